"""Customer value model (BG/NBD + Gamma-Gamma), anchored on the CDNOW sample.

Reference numbers of the predictions were computed once with ``lifetimes``
0.11.3 (and ``mpmath`` at 50 digits for the 5,000-purchase customer) from the
parameters :data:`CDNOW_PARAMS`; ``lifetimes`` is not imported here.
"""

import collections
import datetime
import json
import math
from pathlib import Path

import numpy as np
import pytest
from lib import (
    value_model as vm,
    value_predict as vp,
)

DATA = Path(__file__).resolve().parent / "data"
CALIBRATION_END = datetime.date(1997, 9, 30)
HOLDOUT_END = datetime.date(1998, 6, 30)

# The BG/NBD and Gamma-Gamma fits of the shipped CDNOW summary (this module's
# fit, identical to lifetimes' to 6 digits): the parameters of the reference
# predictions below.
CDNOW_PARAMS = vm.BGNBDParams(
    r=0.24259290613778456,
    alpha=4.413531544701037,
    a=0.7928861366462561,
    b=2.4257533601576036,
)
CDNOW_GG = vm.GammaGammaParams(
    p=6.248802238692197, q=3.7445883980167562, v=15.447748421886423
)
CDNOW_FIT = vm.ValueFit(
    method="bgnbd",
    bgnbd=CDNOW_PARAMS,
    gamma_gamma=CDNOW_GG,
    heuristic={"rate": 0.03, "mean_value": 35.0},
)


def sig3(value):
    """``value`` rounded to 3 significant digits."""
    return float(f"{value:.3g}")


def load_summary(name):
    return np.genfromtxt(DATA / name, delimiter=",", names=True)


@pytest.fixture(scope="module")
def cdnow():
    """``cdnow_customers_summary_with_transactions.csv``: x, t_x, T, zbar."""
    return load_summary("cdnow_customers_summary_with_transactions.csv")


def read_transactions(transactions_path):
    """``{customer: {day: amount}}`` of CDNOW_sample.txt (columns: master id,
    sample id, yyyymmdd, CDs, dollars); the sample id is the customer."""
    days = collections.defaultdict(lambda: collections.defaultdict(float))
    with open(transactions_path) as handle:
        for line in handle:
            _master, customer, day, _cds, amount = line.split()
            date = datetime.date(int(day[:4]), int(day[4:6]), int(day[6:]))
            days[int(customer)][date] += float(amount)
    return days


def derive_cdnow_summary(transactions_path, calibration_end):
    """Per customer (sorted by id) ``(ids, x, t_x, T, m)`` as of
    ``calibration_end`` (inclusive).

    Conventions: a purchase occasion is a distinct day (the amounts of one day
    are summed); ``x`` = occasions up to ``calibration_end`` minus one,
    ``t_x`` = (last day - first day) / 7, ``T`` = (calibration_end - first
    day) / 7, ``m`` = mean amount of the repeat occasions (first day
    excluded), 0 when ``x = 0``.
    """
    per_customer = read_transactions(transactions_path)
    ids, x, t_x, T, m = [], [], [], [], []
    for customer in sorted(per_customer):
        amounts = per_customer[customer]
        days = sorted(day for day in amounts if day <= calibration_end)
        if not days:
            continue
        first, last = days[0], days[-1]
        repeat = len(days) - 1
        ids.append(customer)
        x.append(repeat)
        t_x.append((last - first).days / 7)
        T.append((calibration_end - first).days / 7)
        m.append(sum(amounts[day] for day in days[1:]) / repeat if repeat else 0.0)
    return tuple(np.array(v, dtype=float) for v in (ids, x, t_x, T, m))


def holdout_occasions(transactions_path, calibration_end, holdout_end, ids):
    """Distinct purchase days in (calibration_end, holdout_end] per id."""
    per_customer = read_transactions(transactions_path)
    return np.array(
        [
            sum(
                1
                for day in per_customer[int(i)]
                if calibration_end < day <= holdout_end
            )
            for i in ids
        ],
        dtype=float,
    )


def assert_finite(*arrays):
    for array in arrays:
        assert np.all(np.isfinite(np.asarray(array, dtype=float)))


def all_predictions(fit, x, t_x, T, m):
    return [
        vm.p_alive(fit, x, t_x, T),
        vm.expected_purchases(fit, 52.0, x, t_x, T),
        vm.expected_value(fit, x, m),
        vm.clv(fit, x, t_x, T, m, 24, 0.1, 0.3),
        vm.expected_rate(fit, x, T),
    ]


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


# ----------------------------------------------------------------------------
# Likelihoods
# ----------------------------------------------------------------------------


def test_collapsed_fit_equals_uncollapsed(cdnow):
    x, t_x, T = cdnow["x"], cdnow["t_x"], cdnow["T"]
    (cx, ct, cT), weights = vm.collapse(x, t_x, T)
    assert len(cx) < len(x) and weights.sum() == len(x)
    full = vm.fit_bgnbd(x, t_x, T)
    collapsed = vm.fit_bgnbd(cx, ct, cT, weights)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(collapsed[0], name) == pytest.approx(
            getattr(full[0], name), rel=1e-7
        )
    assert collapsed[1] == pytest.approx(full[1], abs=1e-7)
    assert vm.bgnbd_loglik(CDNOW_PARAMS, cx, ct, cT, weights) == pytest.approx(
        vm.bgnbd_loglik(CDNOW_PARAMS, x, t_x, T), abs=1e-8
    )
    # weights add up: duplicated rows = weight 2
    doubled = vm.bgnbd_loglik(CDNOW_PARAMS, np.r_[x, x], np.r_[t_x, t_x], np.r_[T, T])
    assert vm.bgnbd_loglik(CDNOW_PARAMS, x, t_x, T, 2.0) == pytest.approx(doubled)


def test_collapse_rows_and_weights():
    (a, b), weights = vm.collapse([2, 1, 2, 1, 2], [0.5, 3.0, 0.5, 3.0, 1.0])
    assert a.tolist() == [1, 2, 2] and b.tolist() == [3.0, 0.5, 1.0]
    assert weights.tolist() == [2, 2, 1]
    (a,), weights = vm.collapse([3.3, 1.1, 3.3], weights=[1.0, 2.0, 0.5])
    assert a.tolist() == [1.1, 3.3] and weights.tolist() == [2.0, 1.5]
    (a, b), weights = vm.collapse([], [])
    assert a.size == 0 and b.size == 0 and weights.size == 0


def test_bgnbd_loglik_matches_direct_formula(cdnow):
    r, alpha, a, b = 0.3, 5.0, 0.9, 2.0
    x, t_x, T = cdnow["x"], cdnow["t_x"], cdnow["T"]
    from scipy.special import gammaln

    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x)
    direct = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(b + x)
        - gammaln(b)
        - gammaln(a + b + x)
        + np.where(x > 0, np.logaddexp(a3, a4), a3)
    ).sum()
    assert vm.bgnbd_loglik((r, alpha, a, b), x, t_x, T) == pytest.approx(direct)


def finite_difference(function, point, step=1e-6):
    point = np.asarray(point, dtype=float)
    gradient = []
    for i in range(len(point)):
        delta = np.zeros_like(point)
        delta[i] = step * point[i]
        gradient.append(
            (function(point + delta) - function(point - delta)) / (2 * delta[i])
        )
    return np.array(gradient)


@pytest.mark.parametrize(
    "params", [(0.243, 4.41, 0.793, 2.43), (1.5, 0.7, 3.0, 0.4), (0.05, 30.0, 0.2, 9.0)]
)
def test_bgnbd_gradient(cdnow, params):
    x, t_x, T = cdnow["x"], cdnow["t_x"], cdnow["T"]
    ll, gradient = vm.bgnbd_loglik_and_grad(params, x, t_x, T)
    assert ll == pytest.approx(vm.bgnbd_loglik(params, x, t_x, T))
    numeric = finite_difference(lambda p: vm.bgnbd_loglik(p, x, t_x, T), params)
    assert gradient == pytest.approx(numeric, rel=1e-5, abs=1e-4)


@pytest.mark.parametrize(
    "params", [(6.25, 3.74, 15.4), (0.8, 1.5, 3.0), (20.0, 9.0, 80.0)]
)
def test_gamma_gamma_gradient(cdnow, params):
    x, m = cdnow["x"], cdnow["zbar"]
    ll, gradient = vm.gamma_gamma_loglik_and_grad(params, x, m)
    assert ll == pytest.approx(vm.gamma_gamma_loglik(params, x, m))
    numeric = finite_difference(lambda p: vm.gamma_gamma_loglik(p, x, m), params)
    assert gradient == pytest.approx(numeric, rel=1e-5, abs=1e-4)


def test_gamma_gamma_loglik_matches_direct_formula(cdnow):
    from scipy.special import gammaln

    p, q, v = 6.0, 4.0, 15.0
    repeat = cdnow["x"] > 0
    x, m = cdnow["x"][repeat], cdnow["zbar"][repeat]
    direct = (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + v)
    ).sum()
    assert vm.gamma_gamma_loglik((p, q, v), cdnow["x"], cdnow["zbar"]) == pytest.approx(
        direct
    )


# ----------------------------------------------------------------------------
# Predictions against lifetimes 0.11.3 (reference numbers computed once)
# ----------------------------------------------------------------------------

# Hand-picked customers: (x, t_x, T, m).
X = np.array([0, 1, 2, 7, 2, 30, 5000.0])
T_X = np.array([0, 1.71, 30.43, 35.71, 5.0, 38.0, 150.0])
T_ = np.array([38.86, 38.86, 38.86, 38.86, 38.86, 38.86, 156.0])
M = np.array([0, 11.77, 22.35, 40.0, 15.0, 80.0, 25.0])

# BetaGeoFitter.conditional_probability_alive
REF_P_ALIVE = [
    1.0,
    2.1222740580801139e-01,
    7.2660914999826742e-01,
    8.6008384502770763e-01,
    1.2374453543837607e-01,
    9.5574920334160407e-01,
    1.0414659490237839e-79,
]
# BetaGeoFitter.conditional_expected_number_of_purchases_up_to_time(39 / 52)
REF_PURCHASES_39 = [
    1.9478084599816051e-01,
    2.0325064185766700e-01,
    1.2259104492491724e00,
    4.4722701853427180e00,
    2.0877760627120018e-01,
    2.0121016361291300e01,
    1.1592695896453772e-76,
]
REF_PURCHASES_52 = [
    2.5166571065797200e-01,
    2.5990710193572653e-01,
    1.5585837902344808e00,
    5.6272893820229024e00,
    2.6543324848690530e-01,
    2.5162769293421245e01,
    1.5055974355337683e-76,
]
# GammaGammaFitter.conditional_expected_average_profit
REF_AOV = [
    35.171002322676294,
    18.91148001251322,
    24.658616254459854,
    39.71489151965174,
    18.632095421160283,
    79.35314643511647,
    25.00089337962526,
]
# lifetimes.utils._customer_lifetime_value, time=12 months, freq="D" on the
# same customers in days (alpha * 7), discount_rate = 1.1 ** (1 / 12) - 1,
# monetary value = REF_AOV, times a margin of 0.3
REF_CLV_12 = [
    2.5036845242576407e00,
    1.3919629933671984e00,
    1.0891190076342314e01,
    6.3410923456560894e01,
    1.4015012914066520e00,
    5.6696930921228159e02,
    1.0640754362053975e-75,
]


def test_predictions_match_lifetimes():
    fit = CDNOW_FIT
    assert vm.p_alive(fit, X, T_X, T_) == pytest.approx(REF_P_ALIVE, rel=1e-10)
    assert vm.expected_purchases(fit, 39.0, X, T_X, T_) == pytest.approx(
        REF_PURCHASES_39, rel=1e-9
    )
    assert vm.expected_purchases(fit, 52.0, X, T_X, T_) == pytest.approx(
        REF_PURCHASES_52, rel=1e-9
    )
    assert vm.expected_value(fit, X, M) == pytest.approx(REF_AOV, rel=1e-12)
    assert vm.clv(fit, X, T_X, T_, M, 12, 0.1, 0.3) == pytest.approx(
        REF_CLV_12, rel=1e-9
    )
    # rate while alive: (r + x) / (alpha + T)
    assert vm.expected_rate(fit, X, T_) == pytest.approx(
        (CDNOW_PARAMS.r + X) / (CDNOW_PARAMS.alpha + T_)
    )
    # expected purchases per-customer horizons (broadcast)
    horizons = np.array([39.0, 52.0, 39.0, 52.0, 39.0, 52.0, 39.0])
    expected = np.where(horizons == 39.0, REF_PURCHASES_39, REF_PURCHASES_52)
    assert vm.expected_purchases(fit, horizons, X, T_X, T_) == pytest.approx(
        expected, rel=1e-9
    )


def test_p_alive_log_space_formula():
    """The exact formula the Odoo side reproduces in SQL."""
    r, alpha, a, b = (
        CDNOW_PARAMS.r,
        CDNOW_PARAMS.alpha,
        CDNOW_PARAMS.a,
        CDNOW_PARAMS.b,
    )
    x, t_x, T = 3.0, 10.0, 30.0
    expected = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    assert vm.p_alive(CDNOW_FIT, [x], [t_x], [T])[0] == pytest.approx(expected)


# A customer with 5,000 purchases whose direct hypergeometric term overflows:
# (x, t_x, T), expected purchases in 52 weeks and P(alive) computed with
# mpmath at 50 digits.
WHALES = [(5000.0, 155.5, 156.0), (5000.0, 155.9, 156.0), (300.0, 20.0, 38.86)]
WHALE_P_ALIVE = [0.0010475401589454294, 0.99642954966256149, 8.7527236437722932e-73]
WHALE_PURCHASES_52 = [1.5143786298836134, 1440.4904702771822, 2.2568180722306495e-70]


def test_5000_purchases_stay_finite_and_correct(monkeypatch):
    x, t_x, T = (np.array(v) for v in zip(*WHALES, strict=True))
    from scipy.special import hyp2f1

    with np.errstate(over="ignore"):
        direct = hyp2f1(
            CDNOW_PARAMS.r + x[1],
            CDNOW_PARAMS.b + x[1],
            CDNOW_PARAMS.a + CDNOW_PARAMS.b + x[1] - 1,
            52 / (CDNOW_PARAMS.alpha + T[1] + 52),
        )
    assert not np.isfinite(direct)  # the untransformed term overflows
    assert vm.p_alive(CDNOW_FIT, x, t_x, T) == pytest.approx(WHALE_P_ALIVE, rel=1e-10)
    purchases = vm.expected_purchases(CDNOW_FIT, 52.0, x, t_x, T)
    assert purchases == pytest.approx(WHALE_PURCHASES_52, rel=1e-10)
    # scipy's hyp2f1 failing everywhere: the series takes over
    monkeypatch.setattr(
        vp, "hyp2f1", lambda *args: np.full(np.broadcast(*args).shape, np.nan)
    )
    purchases = vm.expected_purchases(CDNOW_FIT, 52.0, x, t_x, T)
    assert purchases == pytest.approx(WHALE_PURCHASES_52, rel=1e-10)
    assert vm.clv(CDNOW_FIT, X, T_X, T_, M, 12, 0.1, 0.3) == pytest.approx(
        REF_CLV_12, rel=1e-9
    )


def test_hyp2f1_fallbacks():
    # scipy returns inf / nan for a large c and z close to 1; the series not
    A, B, C, z = 0.1, 2.0, np.array([102.1, 5002.1]), 0.999
    from scipy.special import hyp2f1

    assert not np.any(np.isfinite(hyp2f1(A, B, C, z)))
    # mpmath.hyp2f1(0.1, 2, 102.1, 0.999) = 1.0019890555...
    values = vp._hyp2f1(A, B, C, z)
    assert values[0] == pytest.approx(1.00198906, rel=1e-8)
    assert np.isfinite(values[1]) and 1 < values[1] < values[0]
    # a series that does not converge in max_terms is NaN, not a wrong number
    assert np.isnan(vp._hyp2f1_series(1.0, 2.0, 2.5, 0.9999999, max_terms=100))
    # the alive-customer expectation is still finite: original form, last resort
    params = vm.BGNBDParams(r=0.004, alpha=0.002, a=4e4, b=2e8)
    assert_finite(vp._alive_purchases(params, np.array([52.0]), np.array([0.0]), 100.0))


def test_a_equal_one_is_finite():
    fit = vm.ValueFit(method="bgnbd", bgnbd=vm.BGNBDParams(0.5, 5.0, 1.0, 3.0))
    near = vm.ValueFit(method="bgnbd", bgnbd=vm.BGNBDParams(0.5, 5.0, 1.0 + 1e-5, 3.0))
    values = vm.expected_purchases(fit, 52.0, X, T_X, T_)
    assert_finite(values)
    assert values == pytest.approx(
        vm.expected_purchases(near, 52.0, X, T_X, T_), rel=1e-4
    )


# ----------------------------------------------------------------------------
# Extreme parameters (a fit at its bounds): Gauss-Jacobi quadrature
# ----------------------------------------------------------------------------

# A fit that hit its bounds: p = a/(a+b) about 0.03 for everyone, Beta(a, b+x)
# extremely concentrated, where scipy's hyp2f1 is slow or not finite.
EXTREME_PARAMS = vm.BGNBDParams(r=1.4715, alpha=6.988, a=75820.7, b=2401141.8)
EXTREME_FIT = vm.ValueFit(
    method="bgnbd",
    bgnbd=EXTREME_PARAMS,
    heuristic={"rate": 0.03, "mean_value": 35.0},
)
# (x, t_x, T) and expected purchases in 30/7, 52 and 156 weeks, computed with
# mpmath at 30 digits as P(alive) * E[(1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p]
# with p ~ Beta(a, b+x) (mpmath.quad around the Beta mass), for the extreme
# and the CDNOW parameters (the CDNOW values agree with mpmath.hyp2f1 of
# eq. 10 and, at x = 5,000 and 52 weeks, with WHALE_PURCHASES_52).
MPMATH_CUSTOMERS = [
    (0, 0.0, 0.0),
    (0, 0.0, 80.0),
    (1, 10.0, 30.0),
    (5, 40.0, 52.25),
    (60, 150.0, 156.0),
    (5000, 155.5, 156.0),
]
MPMATH_HORIZONS = [30 / 7, 52.0, 156.0]
EXTREME_PURCHASES = [
    [0.8819746210444679, 8.514644562453016, 17.487122833299832],
    [0.07236280995971917, 0.8601607276175247, 2.470613990069642],
    [0.23404915947887703, 2.6567921548074986, 6.964767923323238],
    [0.4068175085490315, 4.513006584169647, 11.291292133584031],
    [1.1972290021322338, 11.159123934876321, 20.606488555776206],
    [0.00021626734518524778, 0.00022023810379766994, 0.00022023810379766994],
]
CDNOW_PURCHASES = [
    [0.20828718397199572, 1.4440208388410634, 2.7548682834084643],
    [0.012222359618786337, 0.13754587317640043, 0.36450031332373317],
    [0.07681980351905379, 0.753837484978134, 1.7161192952820978],
    [0.26884101667570026, 2.6789963807414803, 6.1173066856966205],
    [1.4120558770179927, 15.485842051435892, 39.2188539715505],
    [0.13848227675496885, 1.5143786298836135, 3.8209125233232384],
]
# CLV over 36 months, annual discount 0.1, margin 0.3, AOV = m (the heuristic
# mean value 35 for x = 0), from the same mpmath expectations: (x, t_x, T, m).
EXTREME_CLV_CUSTOMERS = [
    (0, 0.0, 40.0, 0.0),
    (1, 10.0, 30.0, 20.0),
    (5, 40.0, 52.25, 35.5),
    (60, 150.0, 156.0, 12.25),
    (5000, 155.5, 156.0, 9.0),
]
EXTREME_CLV_36 = [
    39.28129651294186,
    36.235329322380295,
    104.72895525112042,
    68.00499985354604,
    0.000589852945027948,
]


@pytest.mark.parametrize(
    "fit, reference",
    [(EXTREME_FIT, EXTREME_PURCHASES), (CDNOW_FIT, CDNOW_PURCHASES)],
    ids=["extreme", "cdnow"],
)
def test_expected_purchases_match_mpmath(fit, reference):
    x, t_x, T = (np.array(v, dtype=float) for v in zip(*MPMATH_CUSTOMERS, strict=True))
    reference = np.array(reference)
    for column, horizon in enumerate(MPMATH_HORIZONS):
        values = vm.expected_purchases(fit, horizon, x, t_x, T)
        assert values == pytest.approx(reference[:, column], rel=1e-11)
    # all horizons at once, one per row
    rows = np.repeat(np.arange(len(MPMATH_CUSTOMERS)), len(MPMATH_HORIZONS))
    horizons = np.tile(MPMATH_HORIZONS, len(MPMATH_CUSTOMERS))
    values = vm.expected_purchases(fit, horizons, x[rows], t_x[rows], T[rows])
    assert values == pytest.approx(reference.reshape(-1), rel=1e-11)


def test_extreme_clv_matches_mpmath():
    x, t_x, T, m = (
        np.array(v, dtype=float) for v in zip(*EXTREME_CLV_CUSTOMERS, strict=True)
    )
    values = vm.clv(EXTREME_FIT, x, t_x, T, m, 36, 0.1, 0.3)
    assert values == pytest.approx(EXTREME_CLV_36, rel=1e-11)
    # the extreme customers use the quadrature, not hyp2f1
    xs = np.unique(x)
    rules = vp._quadrature_rules(
        EXTREME_PARAMS, xs, np.full(xs.size, 0.01), np.full(xs.size, 25.0)
    )
    assert all(rule is not None and rule[0].size <= 8 for rule in rules)


def plain_clv(fit, x, t_x, T, m, months, annual_discount, margin):
    """:func:`clv` without the per-(x, T) grouping: every row, every month."""
    steps = np.arange(1, months + 1) * vm.MONTH_WEEKS
    curve = vp._alive_grid(fit.bgnbd, x, T, steps)
    increments = np.diff(curve, axis=1, prepend=0.0)
    monthly = (1.0 + annual_discount) ** (1.0 / 12.0) - 1.0
    discount = (1.0 + monthly) ** -np.arange(1, months + 1)
    alive = vm.p_alive(fit, x, t_x, T)
    return increments @ discount * alive * vm.expected_value(fit, x, m) * margin


@pytest.mark.parametrize("fit", [EXTREME_FIT, CDNOW_FIT], ids=["extreme", "cdnow"])
def test_unique_pairs_equal_plain_path(fit):
    rng = np.random.default_rng(3)
    count = 3000
    # whole weeks: many repeated (x, T) pairs, with different t_x and m
    x = np.minimum(rng.geometric(0.3, count) - 1, 60).astype(float)
    x[:3] = [5000.0, 300.0, 60.0]
    T = rng.integers(0, 160, count).astype(float)
    t_x = np.where(x > 0, np.floor(rng.uniform(0, 1, count) * T * 7) / 7.0, 0.0)
    m = rng.uniform(5, 100, count)
    assert np.unique(np.c_[x, T], axis=0).shape[0] < count // 2
    values = vm.clv(fit, x, t_x, T, m, 36, 0.1, 0.3)
    assert_finite(values)
    assert values == pytest.approx(
        plain_clv(fit, x, t_x, T, m, 36, 0.1, 0.3), rel=1e-12, abs=1e-300
    )
    # expected purchases: per distinct (x, T, t) = per row
    horizon = rng.choice([30 / 7, 52.0, 156.0], count)
    purchases = vm.expected_purchases(fit, horizon, x, t_x, T)
    plain = vp._alive_grid(fit.bgnbd, x, T, horizon[:, None])[:, 0]
    assert purchases == pytest.approx(
        plain * vm.p_alive(fit, x, t_x, T), rel=1e-12, abs=1e-300
    )
    # and one customer at a time
    for i in range(0, count, 499):
        alone = vm.clv(
            fit, x[i : i + 1], t_x[i : i + 1], T[i : i + 1], m[i : i + 1], 36, 0.1, 0.3
        )
        assert alone == pytest.approx(values[i : i + 1], rel=1e-12, abs=1e-300)


def test_beta_rules_exact_for_polynomials():
    for A, B in [
        (2.5, 3.0),
        (EXTREME_PARAMS.a - 1, EXTREME_PARAMS.b + 5000),
        (0.5, 10),
    ]:
        moments = np.cumprod([1.0] + [(A + j) / (A + B + j) for j in range(17)])
        for n in (2, 4, 8):
            (nodes, weights), (radau_nodes, radau_weights) = vp._beta_rules(A, B, n)
            assert np.all((nodes > 0) & (nodes < 1)) and np.all(weights > 0)
            assert radau_nodes.min() == pytest.approx(0.0, abs=1e-15)
            for k in range(2 * n):  # Gauss: degree 2n - 1
                assert np.sum(weights * nodes**k) == pytest.approx(
                    moments[k], rel=1e-12
                )
            for k in range(2 * n + 1):  # Radau: degree 2n
                assert np.sum(radau_weights * radau_nodes**k) == pytest.approx(
                    moments[k], rel=1e-12
                )


def test_quadrature_not_used_where_it_misses_the_beta_tail():
    """A wide Beta(a-1, b+x) and thousands of purchases: every Gauss node
    predicts certain dropout, the mass near p = 0 does not; the Radau bound
    sends such customers to hyp2f1."""
    params = vm.BGNBDParams(r=0.05, alpha=0.5, a=2.5, b=75.0)
    x = np.array([4762.0, 4762.0, 30.0])
    T = np.array([0.0, 150.0, 100.0])
    t = np.array([156.0, 30 / 7, 52.0])
    # mpmath, 30 digits, as for MPMATH_CUSTOMERS (without P(alive))
    reference = [3225.0701158501225, 131.00638916480199, 13.08418519252888]
    assert vp._alive_purchases(params, t, x, T) == pytest.approx(reference, rel=1e-13)
    # the Gauss rules alone agree with each other at u = 156 / 0.5, wrongly
    s, u = params.r + 4762.0, np.array([156.0 / params.alpha])
    brackets = [
        vp._quadrature_bracket(
            *vp._beta_rules(params.a - 1, params.b + 4762, n)[0], s, u
        )
        for n in (4, 8, 16)
    ]
    assert brackets[0] == pytest.approx(brackets[2], rel=1e-15)
    scale = (params.a + params.b + 4762.0 - 1) / (params.a - 1)
    assert abs(brackets[2][0] * scale / reference[0] - 1) > 1e-4
    assert vp._quadrature_rules(params, np.array([4762.0]), u, u) == [None]


def test_hyp2f1_path_with_large_a_is_finite():
    # the original form and the last resort of the hypergeometric path
    params = vm.BGNBDParams(r=0.004, alpha=0.002, a=4e4, b=2e8)
    values = vp._alive_purchases_hyp2f1(
        params, np.array([52.0, 4.0]), np.array([0.0, 5000.0]), np.array([100.0, 1.0])
    )
    assert_finite(values)


# ----------------------------------------------------------------------------
# Degenerate data: the heuristic fallback, never NaN or infinity
# ----------------------------------------------------------------------------


def test_empty_input():
    fit = vm.fit([], [], [], [])
    assert fit.method == "heuristic" and "empty" in fit.warnings
    assert fit.customers == 0 and fit.gamma_gamma is None
    assert fit.heuristic == {"rate": vm.DEFAULT_RATE, "mean_value": 0.0}
    for values in all_predictions(fit, [], [], [], []):
        assert values.shape == (0,)
    assert_finite(*all_predictions(fit, X, T_X, T_, M))
    assert vm.holdout(fit, [], [], [], [], 10.0, max_bucket=1) == [
        {"bucket": 0, "customers": 0, "actual": 0.0, "predicted": 0.0},
        {"bucket": 1, "customers": 0, "actual": 0.0, "predicted": 0.0},
        {"bucket": -1, "customers": 0, "actual": 0.0, "predicted": 0.0},
    ]


def test_five_customers_too_few():
    x = np.array([0, 1, 2, 3, 4.0])
    t_x = np.array([0, 5, 10, 20, 30.0])
    T = np.full(5, 40.0)
    m = np.array([0, 10, 20, 30, 40.0])
    fit = vm.fit(x, t_x, T, m)
    assert fit.method == "heuristic" and fit.warnings == ["too_few_customers"]
    assert fit.heuristic["rate"] == pytest.approx(10 / 200)
    assert fit.heuristic["mean_value"] == pytest.approx(25.0)
    rate = 10 / 200
    assert vm.p_alive(fit, x, t_x, T) == pytest.approx(np.exp(-rate * (T - t_x)))
    assert vm.expected_purchases(fit, 52.0, x, t_x, T) == pytest.approx(
        rate * 52 * np.exp(-rate * (T - t_x))
    )
    assert vm.expected_value(fit, x, m) == pytest.approx([25.0, 10, 20, 30, 40])
    assert vm.expected_rate(fit, x, T) == pytest.approx(np.full(5, rate))
    # CLV: rate * 30/7 weeks * P(alive) * AOV * margin per month, discounted
    monthly = 1.1 ** (1 / 12) - 1
    discount = sum((1 + monthly) ** -i for i in range(1, 13))
    expected = (
        rate * 30 / 7 * discount * np.exp(-rate * (T - t_x)) * [25, 10, 20, 30, 40]
    )
    assert vm.clv(fit, x, t_x, T, m, 12, 0.1, 0.5) == pytest.approx(expected * 0.5)
    # enough customers, too few repeat customers (4 < MIN_REPEAT_CUSTOMERS)
    fit = vm.fit(x, t_x, T, m, min_customers=5)
    assert fit.warnings == ["too_few_repeat_customers"]


def test_every_customer_bought_once():
    T = np.linspace(1, 100, 50)
    fit = vm.fit(np.zeros(50), np.zeros(50), T, np.zeros(50))
    assert fit.method == "heuristic"
    assert fit.warnings == ["no_repeat_customers", "default_rate", "no_positive_spend"]
    assert fit.heuristic == {"rate": vm.DEFAULT_RATE, "mean_value": 0.0}
    assert vm.p_alive(fit, 0, 0, 52.0)[()] == pytest.approx(math.exp(-1))
    assert_finite(*all_predictions(fit, np.zeros(50), np.zeros(50), T, np.zeros(50)))
    assert not np.any(vm.clv(fit, 0, 0, T, 0, 12, 0.1, 0.3))
    # a mean value given by the caller (e.g. the mean first purchase)
    fit = vm.fit(np.zeros(50), np.zeros(50), T, None, fallback_value=42.0)
    assert fit.heuristic["mean_value"] == 42.0
    assert vm.expected_value(fit, [0], [0])[0] == 42.0


def test_nobody_bought_at_all():
    """Customers whose first purchase is today: T = 0 everywhere."""
    fit = vm.fit(np.zeros(30), np.zeros(30), np.zeros(30), np.zeros(30))
    assert fit.method == "heuristic" and "default_rate" in fit.warnings
    assert_finite(*all_predictions(fit, np.zeros(30), np.zeros(30), np.zeros(30), 0))


def random_customers(count, seed=7):
    """``(x, t_x, T, m)`` simulated from BG/NBD (r=0.5, alpha=4, a=0.8, b=2.5)
    and Gamma-Gamma (p=6, q=4, v=15) processes, on whole days."""
    rng = np.random.default_rng(seed)
    T = rng.integers(30, 700, count) / 7
    rate = rng.gamma(0.5, 1 / 4.0, count)
    dropout = rng.beta(0.8, 2.5, count)
    nu = rng.gamma(4.0, 1 / 15.0, count)
    x, t_x, m = np.zeros(count), np.zeros(count), np.zeros(count)
    for i in range(count):
        now, days = 0.0, set()
        while True:
            now += rng.exponential(1 / rate[i])
            if now > T[i]:
                break
            days.add(round(now * 7))
            if rng.random() < dropout[i]:
                break
        days.discard(0)
        if days:
            x[i], t_x[i] = len(days), max(days) / 7
            m[i] = round(float(rng.gamma(6.0, 1 / nu[i], len(days)).mean()), 2)
    return x, t_x, T, m


def test_zero_or_negative_spend():
    x, t_x, T, m = random_customers(200)
    m = np.where(x > 0, -m, 0.0)
    m[:10] = 0.0
    fit = vm.fit(x, t_x, T, m)
    assert fit.method == "bgnbd" and fit.gamma_gamma is None
    assert fit.warnings == ["nonpositive_spend", "gg_too_few", "no_positive_spend"]
    values = all_predictions(fit, x, t_x, T, m)
    assert_finite(*values)
    assert not np.any(values[2]) and not np.any(values[3])  # AOV 0, CLV 0
    # some positive spend: too few for Gamma-Gamma, AOV falls back
    m[x > 0] = np.where(np.arange((x > 0).sum()) < 5, 30.0, -5.0)
    fit = vm.fit(x, t_x, T, m)
    assert fit.gamma_gamma is None and fit.heuristic["mean_value"] == 30.0
    assert fit.warnings == ["nonpositive_spend", "gg_too_few"]
    assert vm.expected_value(fit, [0, 2, 2], [0, 12.0, -3.0]) == pytest.approx(
        [30.0, 12.0, 30.0]
    )


def test_only_customer_with_thousands_of_purchases():
    x = np.r_[np.zeros(25), 5000.0]
    t_x = np.r_[np.zeros(25), 99.5]
    T = np.full(26, 100.0)
    m = np.r_[np.zeros(25), 12.0]
    fit = vm.fit(x, t_x, T, m)
    assert fit.method == "heuristic" and fit.warnings == ["too_few_repeat_customers"]
    assert fit.heuristic == {"rate": pytest.approx(5000 / 2600), "mean_value": 12.0}
    assert_finite(*all_predictions(fit, x, t_x, T, m))


def test_customer_with_thousands_of_purchases_among_others():
    x, t_x, T, m = random_customers(60)
    x[0], t_x[0], T[0], m[0] = 5000.0, T[0], T[0], 25.0
    fit = vm.fit(x, t_x, T, m)
    assert fit.method == "bgnbd"
    values = all_predictions(fit, x, t_x, T, m)
    assert_finite(*values)
    assert values[1][0] > 100  # the whale keeps buying
    assert_finite(*all_predictions(fit, [5000, 20000], [1, 155.9], [156, 156], [9, 9]))


def test_fit_does_not_converge():
    x, t_x, T, m = random_customers(300)
    fit = vm.fit(x, t_x, T, m, maxiter=1)
    assert fit.method == "heuristic" and fit.warnings == ["bgnbd_not_converged"]
    assert fit.bgnbd is None and fit.gamma_gamma is None
    assert fit.heuristic["rate"] == pytest.approx(x.sum() / T.sum())
    assert_finite(*all_predictions(fit, x, t_x, T, m))
    params, ll, converged = vm.fit_bgnbd(x, t_x, T, maxiter=1)
    assert not converged


def test_gamma_gamma_failures(monkeypatch):
    x, t_x, T, m = random_customers(300)
    fitted = vm.fit(x, t_x, T, m)
    assert fitted.method == "bgnbd" and fitted.gamma_gamma is not None
    assert fitted.warnings == []
    cases = {
        "gg_not_converged": (vm.GammaGammaParams(2.0, 3.0, 4.0), -10.0, False),
        "gg_mean_undefined": (vm.GammaGammaParams(2.0, 0.9, 4.0), -10.0, True),
        "gg_invalid": (vm.GammaGammaParams(2.0, 3.0, 4.0), float("nan"), True),
    }
    for code, result in cases.items():
        monkeypatch.setattr(
            vm, "fit_gamma_gamma", lambda *a, result=result, **k: result
        )
        fit = vm.fit(x, t_x, T, m)
        assert fit.method == "bgnbd" and fit.gamma_gamma is None
        assert fit.warnings == [code]
        assert fit.bgnbd == fitted.bgnbd
        aov = vm.expected_value(fit, x, m)
        assert aov == pytest.approx(np.where(x > 0, m, fit.heuristic["mean_value"]))
        assert_finite(*all_predictions(fit, x, t_x, T, m))


def test_bgnbd_invalid(monkeypatch):
    x, t_x, T, m = random_customers(100)
    result = (vm.BGNBDParams(float("inf"), 1.0, 1.0, 1.0), -5.0, True)
    monkeypatch.setattr(vm, "fit_bgnbd", lambda *a, **k: result)
    fit = vm.fit(x, t_x, T, m)
    assert fit.method == "heuristic" and fit.warnings == ["bgnbd_invalid"]


def test_invalid_and_inconsistent_rows():
    x, t_x, T, m = random_customers(100)
    x[0], T[1], t_x[2] = np.nan, -1.0, np.inf
    t_x[3] = T[3] + 5  # recency above age: clipped
    x[4], t_x[4] = 0.0, 3.0  # one-time buyer with a recency: set to 0
    fit = vm.fit(x, t_x, T, m)
    assert fit.method == "bgnbd"
    assert fit.warnings == ["invalid_rows", "adjusted_rows"]
    assert fit.customers == 97
    assert_finite(*all_predictions(fit, x, t_x, T, m))
    assert_finite(*all_predictions(CDNOW_FIT, x, t_x, T, m))
    assert vm.p_alive(CDNOW_FIT, [np.nan, -3], [np.inf, 1], [5, np.nan]).tolist() == [
        1.0,
        1.0,
    ]


def test_weights_in_fit(cdnow):
    (cx, ct, cT, cm), weights = vm.collapse(
        cdnow["x"], cdnow["t_x"], cdnow["T"], cdnow["zbar"]
    )
    fit = vm.fit(cx, ct, cT, cm, weights=weights)
    assert (fit.customers, fit.repeat_customers) == (2357, 946)
    assert fit.bgnbd.r == pytest.approx(CDNOW_PARAMS.r, rel=1e-6)
    assert fit.gamma_gamma.p == pytest.approx(CDNOW_GG.p, rel=1e-6)


def test_round_trip_json(cdnow):
    fit = vm.fit(cdnow["x"], cdnow["t_x"], cdnow["T"], cdnow["zbar"])
    again = vm.ValueFit.from_dict(json.loads(json.dumps(fit.to_dict())))
    assert again == fit
    heuristic = vm.fit([0, 1], [0, 1], [2, 2], [0, 5])
    again = vm.ValueFit.from_dict(json.loads(json.dumps(heuristic.to_dict())))
    assert again == heuristic
    assert vm.ValueFit.from_dict({}).method == "heuristic"
    assert set(fit.warnings + heuristic.warnings) <= set(vm.WARNING_CODES)


# ----------------------------------------------------------------------------
# Holdout
# ----------------------------------------------------------------------------


def test_holdout_hand_checked():
    """Heuristic fit with rate 0.1 a week, holdout of 5 weeks.

    predicted = 0.1 * 5 * exp(-0.1 * (T - t_x)):
      A x=0 t_x=0  T=10: 0.5 e^-1   = 0.18393972, actual 2
      B x=1 t_x=5  T=10: 0.5 e^-0.5 = 0.30326533, actual 0
      C x=3 t_x=10 T=10: 0.5        = 0.5,        actual 1
      D x=9 t_x=8  T=10: 0.5 e^-0.2 = 0.40936538, actual 4
    max_bucket 2: bucket 2 holds C and D (2 or more).
    """
    fit = vm.ValueFit(method="heuristic", heuristic={"rate": 0.1, "mean_value": 1.0})
    rows = vm.holdout(fit, [0, 1, 3, 9], [0, 5, 10, 8], [10] * 4, [2, 0, 1, 4], 5.0, 2)
    expected = [
        (0, 1, 2.0, 0.18393972),
        (1, 1, 0.0, 0.30326533),
        (2, 2, 2.5, (0.5 + 0.40936538) / 2),
        (-1, 4, 1.75, (0.18393972 + 0.30326533 + 0.5 + 0.40936538) / 4),
    ]
    assert len(rows) == len(expected)
    for row, (bucket, customers, actual, predicted) in zip(rows, expected, strict=True):
        assert row["bucket"] == bucket and row["customers"] == customers
        assert row["actual"] == pytest.approx(actual)
        assert row["predicted"] == pytest.approx(predicted, abs=1e-8)
    # with weights: B counts twice
    rows = vm.holdout(
        fit, [0, 1, 3, 9], [0, 5, 10, 8], [10] * 4, [2, 0, 1, 4], 5.0, 2, [1, 2, 1, 1]
    )
    assert rows[1]["customers"] == 2 and rows[-1]["customers"] == 5
    assert rows[-1]["actual"] == pytest.approx(7 / 5)
