"""Customer value model: predictions from a fit.

Probability alive, conditional expected purchases, expected order value,
purchase rate and customer lifetime value of a :class:`ValueFit`.
Part of :mod:`value_model`: the formulas are in its docstring; import the
public names from there.

See :mod:`value_alive` for how the expected purchases of a customer alive
now are evaluated.
"""

import math

import numpy as np
from scipy.special import expit

from .value_alive import _HUGE, _alive_grid, _alive_purchases, _clean, _finite
from .value_likelihood import _group
from .value_types import DEFAULT_RATE

# Weeks of one CLV step (30 days, as lifetimes does).
MONTH_WEEKS = 30.0 / 7.0


def _customers(x, t_x, T):
    """Sanitised ``x >= 0`` (whole), ``0 <= t_x <= T`` (0 when x = 0)."""
    x, t_x, T = np.broadcast_arrays(_clean(x), _clean(t_x), _clean(T))
    x = np.rint(np.maximum(x, 0.0))
    T = np.maximum(T, 0.0)
    t_x = np.where(x > 0, np.clip(t_x, 0.0, T), 0.0)
    return x, t_x, T


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


def _per_unique(function, *columns):
    """``function(*unique_columns)`` gathered back onto the rows."""
    columns = [np.asarray(c, dtype=float).reshape(-1) for c in columns]
    if columns[0].size == 0:
        return np.zeros(0)
    uniques, _counts, inverse = _group(columns, need_inverse=True)
    return np.asarray(function(*uniques))[inverse]


def expected_purchases(fit, t, x, t_x, T):
    """Conditional expected purchases of each customer in the next ``t`` weeks.

    BG/NBD: eq. 10 of Fader, Hardie & Lee (:mod:`value_model` docstring),
    ``P(alive)`` times the purchases of a customer alive now, which are
    evaluated once per distinct ``(x, T, t)`` by Gauss-Jacobi quadrature or
    with the hypergeometric function (module docstring, :func:`_alive_grid`).
    Heuristic: ``rate * t * P(alive)``.
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

    BG/NBD: ``E[Y(t_i)] = P(alive) * E[Y(t_i) | alive]`` and the second factor
    depends on ``(x, T)`` only: the discounted sum of its increments is
    computed once per distinct ``(x, T)`` for all the months at once
    (:func:`_alive_grid`) and gathered back onto the customers.
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
    discount = (1.0 + monthly) ** -np.arange(1, months + 1)
    if _is_bgnbd(fit):
        steps = np.arange(1, months + 1) * MONTH_WEEKS
        uniques, _counts, inverse = _group([x.reshape(-1), T.reshape(-1)], True)
        per_pair = _alive_grid(fit.bgnbd, *uniques, steps, discount)
        total = per_pair[inverse].reshape(x.shape) * alive * value
    else:
        rate = float(fit.heuristic.get("rate", DEFAULT_RATE))
        total = rate * MONTH_WEEKS * float(np.sum(discount)) * alive * value
    return np.clip(_clean(total), -_HUGE, _HUGE)
