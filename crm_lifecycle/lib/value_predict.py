"""Customer value model: predictions from a fit.

Probability alive, conditional expected purchases (with the Gauss
hypergeometric helpers), expected order value, purchase rate and customer
lifetime value of a :class:`ValueFit`. Part of :mod:`value_model`: the
formulas are in its docstring; import the public names from there.
"""

import math

import numpy as np
from scipy.special import expit, hyp2f1

from .value_likelihood import _group
from .value_types import DEFAULT_RATE

# Weeks of one CLV step (30 days, as lifetimes does).
MONTH_WEEKS = 30.0 / 7.0
# Values above this (e.g. expected purchases) are clipped.
_HUGE = 1e300


def _clean(values):
    """Finite float array (NaN and infinities to 0)."""
    return np.nan_to_num(
        np.asarray(values, dtype=float), nan=0.0, posinf=0.0, neginf=0.0
    )


def _customers(x, t_x, T):
    """Sanitised ``x >= 0`` (whole), ``0 <= t_x <= T`` (0 when x = 0)."""
    x, t_x, T = np.broadcast_arrays(_clean(x), _clean(t_x), _clean(T))
    x = np.rint(np.maximum(x, 0.0))
    T = np.maximum(T, 0.0)
    t_x = np.where(x > 0, np.clip(t_x, 0.0, T), 0.0)
    return x, t_x, T


def _finite(values, low=0.0, high=_HUGE):
    return np.clip(_clean(values), low, high)


def _is_bgnbd(fit):
    return fit.method == "bgnbd" and fit.bgnbd is not None


def _log_odds_dead(params, x, t_x, T):
    """``ln(a/(b+x-1)) + (r+x) ln((alpha+T)/(alpha+t_x))`` (x > 0 rows)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    return (
        math.log(a)
        - np.log(b + np.maximum(x, 1.0) - 1.0)
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )


def p_alive(fit, x, t_x, T):
    """Probability that each customer is still alive (buying).

    BG/NBD (exact formula, the one the Odoo side reproduces in SQL)::

        P = 1 / (1 + [x>0] * a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x))

    i.e. 1 for ``x = 0``, else ``1 / (1 + exp(D))`` with
    ``D = ln(a) - ln(b+x-1) + (r+x) * (ln(alpha+T) - ln(alpha+t_x))``
    (computed in log space, ``expit(-D)``). Heuristic::

        P = exp(-rate * (T - t_x))      (x = 0 too, with t_x = 0)

    with ``rate`` = ``fit.heuristic["rate"]`` (pooled purchases per week).
    """
    x, t_x, T = _customers(x, t_x, T)
    if _is_bgnbd(fit):
        with np.errstate(all="ignore"):
            result = np.where(x > 0, expit(-_log_odds_dead(fit.bgnbd, x, t_x, T)), 1.0)
    else:
        rate = float(fit.heuristic.get("rate", DEFAULT_RATE))
        result = np.exp(-rate * (T - t_x))
    return _finite(result, 0.0, 1.0)


def _hyp2f1_series(A, B, C, z, max_terms=100000, tol=1e-15):
    """Gauss series of 2F1(A, B; C; z), vectorised, for ``0 <= z < 1``.

    The fallback of :func:`_hyp2f1`: the terms are summed until they are below
    ``tol`` times the sum; NaN where that takes more than ``max_terms`` terms
    or the sum is not finite.
    """
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (A, B, C, z)))
    shape = arrays[0].shape
    A, B, C, z = (v.reshape(-1) for v in arrays)
    total = np.ones(A.shape)
    term = np.ones(A.shape)
    active = np.flatnonzero(z > 0)
    k = 0
    while active.size and k < max_terms:
        term[active] *= (
            (A[active] + k)
            * (B[active] + k)
            / ((C[active] + k) * (k + 1.0))
            * z[active]
        )
        total[active] += term[active]
        k += 1
        finite = np.isfinite(total[active])
        total[active[~finite]] = np.nan
        active = active[finite]
        active = active[np.abs(term[active]) > tol * np.abs(total[active])]
    total[active] = np.nan
    return total.reshape(shape)


def _hyp2f1(A, B, C, z):
    """``scipy.special.hyp2f1``, the series (:func:`_hyp2f1_series`) where it is
    not finite; NaN where neither gives a finite value."""
    with np.errstate(all="ignore"):
        values = np.array(hyp2f1(A, B, C, z), dtype=float, ndmin=1)
        bad = ~np.isfinite(values)
        if np.any(bad):
            A, B, C, z = (
                np.broadcast_to(np.asarray(v, dtype=float), values.shape)
                for v in (A, B, C, z)
            )
            values[bad] = _hyp2f1_series(A[bad], B[bad], C[bad], z[bad])
    return values


def _alive_purchases(params, t, x, T):
    """Expected purchases in ``t`` weeks of a customer alive now: BG/NBD eq. 10
    without its P(alive) factor, ``C/(a-1) * (1 - F)`` with ``C = a+b+x-1``.

    ``ln F`` is computed with Euler's transformation,
    ``(a-1) ln(1-z) + ln 2F1(a+b-1-r, a-1; C; z)``, and where that is not
    finite (very large ``a``) in the original form,
    ``(r+x) ln(1-z) + ln 2F1(r+x, b+x; C; z)``; where neither is, the rate
    while alive times ``t``, ``(r+x)/(alpha+T) * t``, is the last resort.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1.0) < 1e-7:
        a = 1.0 + 1e-7
    x, T, t = (v.reshape(-1) for v in np.broadcast_arrays(x, T, t))
    C = a + b + x - 1.0
    with np.errstate(all="ignore"):
        z = t / (alpha + T + t)
        log1mz = np.log1p(-z)
        H = _hyp2f1(a + b - 1.0 - r, a - 1.0, C, z)
        base = (a - 1.0) * log1mz
        bracket = np.where(H > 0, -np.expm1(base + np.log(np.abs(H))), np.nan)
        # H <= 0 only with a < 1 and small C: F = (1-z)^(a-1) H is small.
        negative = H <= 0
        bracket[negative] = 1.0 - np.exp(base[negative]) * H[negative]
        retry = ~np.isfinite(bracket)
        if np.any(retry):
            H2 = _hyp2f1(r + x[retry], b + x[retry], C[retry], z[retry])
            bracket[retry] = -np.expm1((r + x[retry]) * log1mz[retry] + np.log(H2))
        values = C / (a - 1.0) * bracket
        last = ~np.isfinite(values)
        values[last] = (r + x[last]) / (alpha + T[last]) * t[last]
    return _finite(values)


def _per_unique(function, *columns):
    """``function(*unique_columns)`` gathered back onto the rows."""
    columns = [np.asarray(c, dtype=float).reshape(-1) for c in columns]
    if columns[0].size == 0:
        return np.zeros(0)
    uniques, _counts, inverse = _group(columns, need_inverse=True)
    return np.asarray(function(*uniques))[inverse]


def expected_purchases(fit, t, x, t_x, T):
    """Conditional expected purchases of each customer in the next ``t`` weeks.

    BG/NBD: eq. 10 of Fader, Hardie & Lee (:mod:`value_model` docstring), evaluated once
    per distinct ``(x, T, t)``. Heuristic: ``rate * t * P(alive)``.
    """
    x, t_x, T = _customers(x, t_x, T)
    t = np.maximum(_clean(t), 0.0)
    x, t_x, T, t = np.broadcast_arrays(x, t_x, T, t)
    shape = x.shape
    alive = p_alive(fit, x, t_x, T)
    if _is_bgnbd(fit):
        params = fit.bgnbd
        per_alive = _per_unique(
            lambda ux, uT, ut: _alive_purchases(params, ut, ux, uT), x, T, t
        ).reshape(shape)
    else:
        per_alive = float(fit.heuristic.get("rate", DEFAULT_RATE)) * t
    return _finite(alive * per_alive)


def expected_value(fit, x, m):
    """Expected average order value (spend per purchase occasion).

    Gamma-Gamma: ``p (v + x m) / (p x + q - 1)`` for ``x > 0`` and ``m > 0``,
    the population mean ``p v / (q - 1)`` otherwise. Without a Gamma-Gamma
    part (heuristic, or the spend fit failed): ``m`` for ``x > 0`` and
    ``m > 0``, else ``fit.heuristic["mean_value"]``.
    """
    x, m = np.broadcast_arrays(_clean(x), _clean(m))
    x = np.rint(np.maximum(x, 0.0))
    known = (x > 0) & (m > 0)
    gg = fit.gamma_gamma
    if gg is not None and gg.q > 1.0:
        with np.errstate(all="ignore"):
            population = gg.p * gg.v / (gg.q - 1.0)
            own = gg.p * (gg.v + x * m) / (gg.p * x + gg.q - 1.0)
        result = np.where(known, own, population)
    else:
        mean_value = float(fit.heuristic.get("mean_value", 0.0))
        result = np.where(known, m, mean_value)
    return _finite(result)


def expected_rate(fit, x, T):
    """Purchases per week while alive: ``(r+x)/(alpha+T)`` (BG/NBD), the
    pooled rate ``fit.heuristic["rate"]`` (heuristic). The next purchase is
    expected ``1 / rate`` weeks after the last one."""
    x, T = np.broadcast_arrays(_clean(x), _clean(T))
    x = np.rint(np.maximum(x, 0.0))
    T = np.maximum(T, 0.0)
    if _is_bgnbd(fit):
        params = fit.bgnbd
        with np.errstate(all="ignore"):
            result = (params.r + x) / (params.alpha + T)
    else:
        result = np.full(x.shape, float(fit.heuristic.get("rate", DEFAULT_RATE)))
    return _finite(result)


def clv(fit, x, t_x, T, m, months, annual_discount, margin):
    """Discounted customer lifetime value over ``months`` steps of 30 days.

    ``sum_{i=1..months} (E[Y(t_i)] - E[Y(t_{i-1})]) * AOV * margin /
    (1+d_m)^i`` with ``t_i = 30 i / 7`` weeks, ``d_m = (1+annual_discount)^(1/12)
    - 1`` and ``AOV`` = :func:`expected_value`.
    """
    x, t_x, T = _customers(x, t_x, T)
    x, t_x, T, m = np.broadcast_arrays(x, t_x, T, _clean(m))
    months = max(int(months), 0)
    annual_discount = float(annual_discount) if math.isfinite(annual_discount) else 0.0
    monthly = (1.0 + max(annual_discount, -0.99)) ** (1.0 / 12.0) - 1.0
    value = expected_value(fit, x, m) * float(margin)
    alive = p_alive(fit, x, t_x, T)
    total = np.zeros(x.shape)
    if months == 0 or x.size == 0:
        return total
    steps = np.arange(months + 1) * MONTH_WEEKS
    if _is_bgnbd(fit):
        params = fit.bgnbd

        def curve(ux, uT):
            return np.stack(
                [_alive_purchases(params, step, ux, uT) for step in steps], axis=1
            )

        uniques, _counts, inverse = _group([x.reshape(-1), T.reshape(-1)], True)
        cumulative = curve(*uniques)
        increments = np.diff(cumulative, axis=1)
        discount = (1.0 + monthly) ** -np.arange(1, months + 1)
        per_pair = np.einsum("ij,j->i", increments, discount)
        total = per_pair[inverse].reshape(x.shape) * alive * value
    else:
        rate = float(fit.heuristic.get("rate", DEFAULT_RATE))
        discount = float(np.sum((1.0 + monthly) ** -np.arange(1, months + 1)))
        total = rate * MONTH_WEEKS * discount * alive * value
    return np.clip(_clean(total), -_HUGE, _HUGE)
