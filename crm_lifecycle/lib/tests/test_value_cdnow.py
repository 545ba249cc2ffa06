"""Value model: the CDNOW correctness anchor (published parameters, the
summary derived from the transactions, the calibration/holdout figure)."""

import collections
import datetime
import math

import numpy as np
import pytest
from lib import (
    value_model as vm,
)
from value_data import (
    CALIBRATION_END,
    CDNOW_FIT,
    CDNOW_GG,
    CDNOW_PARAMS,
    DATA,
    HOLDOUT_END,
    derive_cdnow_summary,
    holdout_occasions,
    load_summary,
    sig3,
)

# ----------------------------------------------------------------------------
# CDNOW anchor
# ----------------------------------------------------------------------------


def test_cdnow_bgnbd_published_parameters():
    data = load_summary("cdnow_customers_summary.csv")
    assert len(data) == 2357
    params, ll, converged = vm.fit_bgnbd(data["frequency"], data["recency"], data["T"])
    assert converged
    assert [sig3(params.r), sig3(params.alpha), sig3(params.a), sig3(params.b)] == [
        0.243,
        4.41,
        0.793,
        2.43,
    ]
    assert ll == pytest.approx(-9582.4, abs=0.05)


def test_cdnow_gamma_gamma_published_parameters(cdnow):
    repeat = cdnow["x"] > 0
    assert repeat.sum() == 946
    params, ll, converged = vm.fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert converged and math.isfinite(ll)
    assert [sig3(params.p), sig3(params.q), sig3(params.v)] == [6.25, 3.74, 15.4]
    # the rows with x = 0 are ignored
    same = vm.fit_gamma_gamma(cdnow["x"][repeat], cdnow["zbar"][repeat])
    assert same[1] == pytest.approx(ll, abs=1e-9)


def test_cdnow_fit(cdnow):
    fit = vm.fit(cdnow["x"], cdnow["t_x"], cdnow["T"], cdnow["zbar"])
    assert fit.method == "bgnbd" and fit.warnings == []
    assert (fit.customers, fit.repeat_customers) == (2357, 946)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fit.bgnbd, name) == pytest.approx(
            getattr(CDNOW_PARAMS, name), rel=1e-6
        )
    for name in ("p", "q", "v"):
        assert getattr(fit.gamma_gamma, name) == pytest.approx(
            getattr(CDNOW_GG, name), rel=1e-6
        )
    assert fit.loglik_bgnbd == pytest.approx(-9582.4256, abs=1e-3)
    assert fit.heuristic["rate"] == pytest.approx(
        cdnow["x"].sum() / cdnow["T"].sum(), rel=1e-12
    )
    repeat = cdnow["x"] > 0
    assert fit.heuristic["mean_value"] == pytest.approx(cdnow["zbar"][repeat].mean())


def test_derive_cdnow_summary_reproduces_shipped_files(cdnow):
    ids, x, t_x, T, m = derive_cdnow_summary(DATA / "CDNOW_sample.txt", CALIBRATION_END)
    assert np.array_equal(ids, cdnow["ID"])
    assert np.array_equal(x, cdnow["x"])
    # the shipped files round weeks and dollars to 2 decimals (half up)
    assert np.max(np.abs(t_x - cdnow["t_x"])) <= 0.005 + 1e-9
    assert np.max(np.abs(T - cdnow["T"])) <= 0.005 + 1e-9
    assert np.max(np.abs(m - cdnow["zbar"])) <= 0.005 + 1e-9
    shipped = load_summary("cdnow_customers_summary.csv")
    assert np.array_equal(x, shipped["frequency"])
    assert np.max(np.abs(t_x - shipped["recency"])) <= 0.005 + 1e-9
    # T = 27 to 38.86 weeks: first purchases 1997-01-01 .. 1997-03-25
    assert T.min() == 27 and T.max() == 272 / 7
    # one day later, the calibration would have other ages (and x)
    later = derive_cdnow_summary(
        DATA / "CDNOW_sample.txt", CALIBRATION_END + datetime.timedelta(days=1)
    )
    assert later[3] == pytest.approx(T + 1 / 7, abs=1e-12)
    # counting transactions instead of days gives other figures (80 customers
    # have several transactions on one day)
    transactions = collections.Counter()
    with open(DATA / "CDNOW_sample.txt") as handle:
        for line in handle:
            _master, customer, day, _cds, _amount = line.split()
            if day <= CALIBRATION_END.strftime("%Y%m%d"):
                transactions[int(customer)] += 1
    per_transaction = np.array([transactions[int(i)] - 1 for i in ids])
    assert np.sum(per_transaction != x) == 80


def test_derived_cdnow_reproduces_published_parameters():
    """Exact weeks (days / 7) as of 1997-09-30 inclusive: the published fit."""
    _ids, x, t_x, T, m = derive_cdnow_summary(
        DATA / "CDNOW_sample.txt", CALIBRATION_END
    )
    fit = vm.fit(x, t_x, T, m)
    params = fit.bgnbd
    assert fit.method == "bgnbd" and fit.warnings == []
    assert [sig3(params.r), sig3(params.alpha), sig3(params.a), sig3(params.b)] == [
        0.243,
        4.41,
        0.793,
        2.43,
    ]
    assert fit.loglik_bgnbd == pytest.approx(-9582.4, abs=0.05)
    gg = fit.gamma_gamma
    assert [sig3(gg.p), sig3(gg.q), sig3(gg.v)] == [6.25, 3.74, 15.4]


def test_cdnow_holdout(cdnow):
    """Calibration 39 weeks, holdout 39 weeks (1997-10-01 .. 1998-06-30):
    conditional expectations as in Fader, Hardie & Lee (2005), figure 5."""
    ids = cdnow["ID"]
    x_holdout = holdout_occasions(
        DATA / "CDNOW_sample.txt", CALIBRATION_END, HOLDOUT_END, ids
    )
    rows = vm.holdout(CDNOW_FIT, cdnow["x"], cdnow["t_x"], cdnow["T"], x_holdout, 39.0)
    assert [row["bucket"] for row in rows] == [0, 1, 2, 3, 4, 5, 6, 7, -1]
    assert [row["customers"] for row in rows] == [
        1411,
        439,
        214,
        100,
        62,
        38,
        29,
        64,
        2357,
    ]
    actual = [round(row["actual"], 2) for row in rows]
    predicted = [round(row["predicted"], 2) for row in rows]
    assert actual == [0.24, 0.70, 1.39, 1.56, 2.53, 2.95, 3.86, 6.36, 0.80]
    assert predicted == [0.23, 0.52, 1.04, 1.52, 2.16, 2.65, 3.50, 6.16, 0.70]
