"""Value model: likelihoods, gradients, collapsing, the degenerate data that
falls back to the heuristic, and the hand-checked holdout."""

import json
import math

import numpy as np
import pytest
from lib import (
    value_model as vm,
)
from value_data import (
    CDNOW_FIT,
    CDNOW_GG,
    CDNOW_PARAMS,
    T_,
    T_X,
    M,
    X,
    all_predictions,
    assert_finite,
)

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
