"""Value model predictions: against lifetimes 0.11.3 (reference numbers
computed once), customers with thousands of purchases, and the extreme
parameters evaluated by quadrature (references computed once with mpmath)."""

import numpy as np
import pytest
from lib import (
    value_alive as va,
    value_model as vm,
)
from value_data import (
    CDNOW_FIT,
    CDNOW_PARAMS,
    T_,
    T_X,
    M,
    X,
    assert_finite,
)

# ----------------------------------------------------------------------------
# Predictions against lifetimes 0.11.3 (reference numbers computed once)
# ----------------------------------------------------------------------------


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
        va, "hyp2f1", lambda *args: np.full(np.broadcast(*args).shape, np.nan)
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
    values = va._hyp2f1(A, B, C, z)
    assert values[0] == pytest.approx(1.00198906, rel=1e-8)
    assert np.isfinite(values[1]) and 1 < values[1] < values[0]
    # a series that does not converge in max_terms is NaN, not a wrong number
    assert np.isnan(va._hyp2f1_series(1.0, 2.0, 2.5, 0.9999999, max_terms=100))
    # the alive-customer expectation is still finite: original form, last resort
    params = vm.BGNBDParams(r=0.004, alpha=0.002, a=4e4, b=2e8)
    assert_finite(va._alive_purchases(params, np.array([52.0]), np.array([0.0]), 100.0))


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
    rules = va._quadrature_rules(
        EXTREME_PARAMS, xs, np.full(xs.size, 0.01), np.full(xs.size, 25.0)
    )
    assert all(rule is not None and rule[0].size <= 8 for rule in rules)


def plain_clv(fit, x, t_x, T, m, months, annual_discount, margin):
    """:func:`clv` without the per-(x, T) grouping: every row, every month."""
    steps = np.arange(1, months + 1) * vm.MONTH_WEEKS
    curve = va._alive_grid(fit.bgnbd, x, T, steps)
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
    plain = va._alive_grid(fit.bgnbd, x, T, horizon[:, None])[:, 0]
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
            (nodes, weights), (radau_nodes, radau_weights) = va._beta_rules(A, B, n)
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
    assert va._alive_purchases(params, t, x, T) == pytest.approx(reference, rel=1e-13)
    # the Gauss rules alone agree with each other at u = 156 / 0.5, wrongly
    s, u = params.r + 4762.0, np.array([156.0 / params.alpha])
    brackets = [
        va._quadrature_bracket(
            *va._beta_rules(params.a - 1, params.b + 4762, n)[0], s, u
        )
        for n in (4, 8, 16)
    ]
    assert brackets[0] == pytest.approx(brackets[2], rel=1e-15)
    scale = (params.a + params.b + 4762.0 - 1) / (params.a - 1)
    assert abs(brackets[2][0] * scale / reference[0] - 1) > 1e-4
    assert va._quadrature_rules(params, np.array([4762.0]), u, u) == [None]


def test_hyp2f1_path_with_large_a_is_finite():
    # the original form and the last resort of the hypergeometric path
    params = vm.BGNBDParams(r=0.004, alpha=0.002, a=4e4, b=2e8)
    values = va._alive_purchases_hyp2f1(
        params, np.array([52.0, 4.0]), np.array([0.0, 5000.0]), np.array([100.0, 1.0])
    )
    assert_finite(values)
