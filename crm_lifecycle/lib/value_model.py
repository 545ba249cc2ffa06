"""Customer value model: BG/NBD purchases and Gamma-Gamma spend, free of the ORM.

Plain Python, numpy and scipy. The Odoo side extracts per-customer figures,
calls :func:`fit` and stores :meth:`ValueFit.to_dict` on its model card, then
predicts with the functions of this module (and reproduces :func:`p_alive` in
SQL).

The code is split over sibling modules; this one re-exports every public name
(import them from here) and holds this documentation of all the formulas:

* :mod:`value_types`: the dataclasses :class:`BGNBDParams`,
  :class:`GammaGammaParams`, :class:`ValueFit`;
* :mod:`value_likelihood`: :func:`collapse`, the log-likelihoods with their
  gradients, :func:`fit_bgnbd`, :func:`fit_gamma_gamma`;
* :mod:`value_predict`: :func:`p_alive`, :func:`expected_purchases` (with the
  hypergeometric helpers), :func:`expected_value`, :func:`expected_rate`,
  :func:`clv`;
* here: :data:`WARNING_CODES`, :func:`fit` (sanitising, fallbacks) and
  :func:`holdout`.

Inputs and units
----------------
Time is measured in **weeks** (days / 7). For each customer, as of a date D:

* ``x``: repeat purchase occasions, i.e. purchase occasions minus one; a
  purchase occasion is a distinct invoice day, so ``x = purchase_count - 1``;
* ``t_x``: weeks from the first to the last purchase (0 when ``x = 0``);
* ``T``: weeks from the first purchase to D (``0 <= t_x <= T``);
* ``m``: mean spend per repeat purchase occasion, the first occasion excluded
  (the sum of the repeat days' amounts divided by ``x``); meaningful only where
  ``x > 0``: pass anything (e.g. 0) for ``x = 0``, it is ignored.

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way")
--------------------------------------------------------------------------
While alive, a customer buys as a Poisson process of rate ``lambda`` per week,
``lambda ~ Gamma(shape r, rate alpha)``; after each repeat purchase it dies
with probability ``p``, ``p ~ Beta(a, b)``. The log-likelihood of one
customer (eq. 6 of the paper; ``[x>0]`` is 1 when ``x > 0`` else 0)::

    ln L = lnG(r+x) - lnG(r) + r ln(alpha)
         + lnG(a+b) + lnG(b+x) - lnG(b) - lnG(a+b+x)
         + ln[ (alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x) ]

computed as ``-(r+x) ln(alpha+T) + [x>0] softplus(D)`` with
``D = ln a - ln(b+x-1) + (r+x) (ln(alpha+T) - ln(alpha+t_x))`` and
``softplus(D) = ln(1 + e^D) = max(D, 0) + ln(1 + e^-|D|)`` (no overflow).
The fit maximises the weighted sum over customers (weights: customers per
row) in the log-parameters with BFGS and the analytic gradient (the
log-parameters are kept within +-20 by a tanh map; beyond +-10 a parameter
is reported as extreme, warning ``bgnbd_boundary``: the data fit a limit
case of the model, e.g. the same dropout probability for everyone, and the
fit is kept). Identical ``(x, t_x, T)`` rows are collapsed into weights
first (:func:`collapse`), the per-``x`` gamma terms are computed once per
distinct ``x`` and ``ln(alpha+T)``, ``ln(alpha+t_x)`` once per distinct
value. Vector dot products use ``np.einsum``, not BLAS (a multithreaded
OpenBLAS makes a ``ddot`` of 500,000 values take 8 ms instead of 0.1 ms on a
2-core machine; the same goes for L-BFGS-B's LAPACK calls, hence BFGS).

Probability alive (Fader, Hardie & Lee 2008, note 021)::

    P(alive | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))

(1 for ``x = 0``), computed in log space: ``expit(-D)`` for ``x > 0``.

Conditional expected purchases in the next ``t`` weeks (eq. 10)::

    E[Y(t) | x, t_x, T] = P(alive) * (a+b+x-1)/(a-1)
                          * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
                                 * 2F1(r+x, b+x; a+b+x-1; z)]
    z = t / (alpha+T+t)

The hypergeometric factor overflows for customers with many purchases; with
Euler's transformation ``2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A,C-B;C;z)`` the
bracket becomes ``1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)``, whose
parameters do not grow with ``x`` except ``C`` (the series then converges
faster): no overflow. It is evaluated with ``scipy.special.hyp2f1`` and, where
that is not finite, with a direct series
(:func:`value_alive._hyp2f1_series`); where the transformed form overflows
(very large ``a``), the original one is used, and where neither is finite the
rate while alive times ``t`` (last resort, see
:func:`value_alive._alive_purchases`). ``a = 1`` (a removable singularity)
is evaluated at ``a = 1 + 1e-7``.

The bracket depends on ``(x, T, t)`` only, so predictions are computed once
per distinct ``(x, T)``. Per distinct ``x``, where ``Beta(a-1, b+x)`` is
concentrated (extreme fits, e.g. ``a`` and ``b`` in the tens of thousands,
where ``hyp2f1`` is slow), the bracket is evaluated as
``E[1 - (1 + q u)^-(r+x)]``, ``q ~ Beta(a-1, b+x)``, ``u = t / (alpha+T)``, by
Gauss-Jacobi quadrature (Golub-Welsch), accepted only where it agrees with the
Gauss-Radau rule (a node at ``q = 0``) to 1e-13; otherwise as above (see the
docstring of :mod:`value_predict`).

Expected purchase rate while alive (posterior mean of ``lambda``)::

    rate = (r+x) / (alpha+T)   purchases per week

and the **next purchase** is expected at the last purchase plus ``1 / rate``
weeks (the Odoo side computes the date; :func:`expected_rate`).

Gamma-Gamma (Fader & Hardie 2013, note 025)
-------------------------------------------
Each repeat occasion's spend ``z ~ Gamma(shape p, rate nu)`` with
``nu ~ Gamma(shape q, rate v)``, independent of the purchase process. Only
customers with ``x > 0`` and ``m > 0`` enter the fit. Log-likelihood of one
customer (eq. 1a of the note)::

    ln L = lnG(px+q) - lnG(px) - lnG(q) + q ln v + (px-1) ln m + px ln x
         - (px+q) ln(xm+v)

Conditional expected average order value (eq. 5)::

    E[M | x, m] = p (v + x m) / (p x + q - 1)       for x > 0 and m > 0
    E[M]        = p v / (q - 1)                     otherwise (population mean)

The model is discarded (warning ``gg_mean_undefined``) when ``q <= 1``: the
population mean does not exist.

Customer lifetime value
-----------------------
Discounted sum over ``months`` monthly steps of 30 days (as ``lifetimes``
does with ``freq="D"``), ``t_i = 30 i / 7`` weeks::

    CLV = sum_{i=1..months} (E[Y(t_i)] - E[Y(t_{i-1})]) * AOV * margin / (1+d_m)^i
    d_m = (1 + annual_discount)^(1/12) - 1

with ``AOV = E[M | x, m]`` (:func:`expected_value`).

Heuristic fallback (``method = "heuristic"``)
---------------------------------------------
Used when the BG/NBD model cannot be fitted: no customer, fewer than
``min_customers`` customers (default :data:`MIN_CUSTOMERS` = 20), no repeat
customer or fewer than ``min_repeat_customers`` (default
:data:`MIN_REPEAT_CUSTOMERS` = 5), a fit that does not converge or gives
invalid parameters (customers are counted as sums of weights). The warning
codes (:data:`WARNING_CODES`) say why. Parameters (``ValueFit.heuristic``,
always filled, also for a BG/NBD fit, whose AOV may fall back to it)::

    rate       lambda = sum(w x) / sum(w T)   pooled repeat purchases per week
               (DEFAULT_RATE = 1/52, one purchase a year, when either sum is 0)
    mean_value population mean positive spend: sum(w m) / sum(w) over the
               customers with x > 0 and m > 0 (else ``fallback_value`` of
               :func:`fit`, else 0)

and the predictions::

    P(alive)         = exp(-lambda (T - t_x))   (x = 0 too: exp(-lambda T))
    E[Y(t)]          = lambda t P(alive)
    rate             = lambda                   (next purchase: last + 1/lambda)
    AOV              = m if x > 0 and m > 0 else mean_value
    CLV              = sum_i lambda (30/7) P(alive) AOV margin / (1+d_m)^i

A heuristic fit has no Gamma-Gamma part. When only the Gamma-Gamma fit fails
(too few repeat customers with positive spend, no convergence, ``q <= 1``),
the BG/NBD model is still used and the AOV falls back to the heuristic one.

Predictions never return NaN or infinity: inputs are sanitised (non-finite
values to 0, ``x >= 0``, ``0 <= t_x <= T``) and outputs clipped.
"""

import math
import time

import numpy as np

from .value_likelihood import (
    LOG_BOUND,
    MAXITER,
    _dot,
    _weights,
    bgnbd_loglik,
    bgnbd_loglik_and_grad,
    collapse,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_loglik,
    gamma_gamma_loglik_and_grad,
)
from .value_predict import (
    MONTH_WEEKS,
    _clean,
    _customers,
    clv,
    expected_purchases,
    expected_rate,
    expected_value,
    p_alive,
)
from .value_types import DEFAULT_RATE, BGNBDParams, GammaGammaParams, ValueFit

__all__ = [
    "DEFAULT_RATE",
    "EXTREME_LOG",
    "LOG_BOUND",
    "MAXITER",
    "MIN_CUSTOMERS",
    "MIN_GG_CUSTOMERS",
    "MIN_REPEAT_CUSTOMERS",
    "MONTH_WEEKS",
    "WARNING_CODES",
    "BGNBDParams",
    "GammaGammaParams",
    "ValueFit",
    "bgnbd_loglik",
    "bgnbd_loglik_and_grad",
    "clv",
    "collapse",
    "expected_purchases",
    "expected_rate",
    "expected_value",
    "fit",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_loglik",
    "gamma_gamma_loglik_and_grad",
    "holdout",
    "p_alive",
]

# Warning codes stored on the fit. The Odoo side translates the codes itself:
# keep them stable (the texts may change).
WARNING_CODES = {
    "empty": "No customer to fit.",
    "too_few_customers": "Too few customers for a model fit.",
    "no_repeat_customers": "No customer bought twice: no purchase model.",
    "too_few_repeat_customers": "Too few customers bought twice for a purchase model.",
    "invalid_rows": "Rows with invalid figures were ignored.",
    "adjusted_rows": "Rows with inconsistent figures were adjusted.",
    "bgnbd_not_converged": "The purchase model fit did not converge.",
    "bgnbd_invalid": "The purchase model fit gave invalid parameters.",
    "bgnbd_boundary": "A purchase model parameter is extreme: the data fit a "
    "limit case of the model.",
    "default_rate": "No repeat purchase: a default rate of one a year is used.",
    "nonpositive_spend": "Repeat buyers with zero or negative spend were ignored "
    "by the spend model.",
    "gg_too_few": "Too few repeat buyers with positive spend for the spend model.",
    "gg_not_converged": "The spend model fit did not converge.",
    "gg_invalid": "The spend model fit gave invalid parameters.",
    "gg_mean_undefined": "The spend model has no finite mean (q <= 1).",
    "gg_boundary": "A spend model parameter is extreme: the data fit a limit "
    "case of the model.",
    "no_positive_spend": "No repeat buyer with positive spend: no mean value.",
}

# Fewest customers (sum of weights) for a BG/NBD fit.
MIN_CUSTOMERS = 20
# Fewest repeat customers (x > 0, sum of weights) for a BG/NBD fit.
MIN_REPEAT_CUSTOMERS = 5
# Fewest repeat customers with positive spend for a Gamma-Gamma fit.
MIN_GG_CUSTOMERS = 10
# A fitted parameter beyond e^+-10 is reported as extreme (warning codes
# bgnbd_boundary, gg_boundary).
EXTREME_LOG = 10.0


def _at_bound(values):
    """Whether a parameter is extreme (below e^-10 or above e^10): the data
    fit a limit case of the model, e.g. one purchase rate or one dropout
    probability for every customer (the fit tends to a ridge at infinity)."""
    return bool(np.any(np.abs(np.log(values)) >= EXTREME_LOG))


# ----------------------------------------------------------------------------
# Fit with fallbacks
# ----------------------------------------------------------------------------


def _heuristic_params(x, T, m, weights, fallback_value):
    """``(rate, mean_value, default_rate_used, mean_found)``."""
    purchases = _dot(weights, x)
    exposure = _dot(weights, T)
    default_rate = not (purchases > 0 and exposure > 0)
    rate = DEFAULT_RATE if default_rate else purchases / exposure
    spenders = (x > 0) & (m > 0)
    spend_weight = float(weights[spenders].sum())
    if spend_weight > 0:
        mean_value = _dot(weights[spenders], m[spenders]) / spend_weight
        found = True
    else:
        mean_value = float(fallback_value) if fallback_value else 0.0
        found = False
    if not math.isfinite(mean_value) or mean_value < 0:
        mean_value = 0.0
    return rate, mean_value, default_rate, found


def _sanitize(x, t_x, T, m, weights, warnings):
    """Drop invalid rows, adjust inconsistent ones (warning codes)."""
    x, t_x, T = (np.asarray(v, dtype=float).reshape(-1) for v in (x, t_x, T))
    m = np.zeros_like(x) if m is None else np.asarray(m, dtype=float).reshape(-1)
    x, t_x, T, m = (np.array(v) for v in np.broadcast_arrays(x, t_x, T, m))
    weights = _weights(weights, x.shape[0])
    valid = (
        np.isfinite(x)
        & np.isfinite(t_x)
        & np.isfinite(T)
        & np.isfinite(weights)
        & (x >= 0)
        & (t_x >= 0)
        & (T >= 0)
        & (weights >= 0)
    )
    if not valid.all():
        warnings.append("invalid_rows")
        x, t_x, T, m, weights = (v[valid] for v in (x, t_x, T, m, weights))
    keep = weights > 0
    if not keep.all():
        x, t_x, T, m, weights = (v[keep] for v in (x, t_x, T, m, weights))
    rounded = np.rint(x)
    new_t_x = np.where(rounded > 0, np.minimum(t_x, T), 0.0)
    if not (np.array_equal(rounded, x) and np.array_equal(new_t_x, t_x)):
        warnings.append("adjusted_rows")
    m = np.where(np.isfinite(m), m, 0.0)
    return rounded, new_t_x, T, m, weights


def fit(
    x,
    t_x,
    T,
    m,
    weights=None,
    min_customers=MIN_CUSTOMERS,
    *,
    min_repeat_customers=MIN_REPEAT_CUSTOMERS,
    min_gg_customers=MIN_GG_CUSTOMERS,
    maxiter=MAXITER,
    fallback_value=None,
):
    """Fit BG/NBD and Gamma-Gamma; never raises on data.

    ``x``, ``t_x``, ``T`` (weeks), ``m`` (mean repeat spend, ignored where
    ``x = 0``; ``None``: no spend data) per customer, ``weights`` optional
    (customers per row). Identical ``(x, t_x, T)`` rows are collapsed for the
    BG/NBD fit. Falls back to the heuristic of the module docstring (method
    ``"heuristic"``) with warning codes (:data:`WARNING_CODES`) when the
    BG/NBD model cannot be fitted; ``gamma_gamma`` is ``None`` when the spend
    model cannot (the AOV then falls back). ``min_customers``: fewest
    customers for a fit; ``min_repeat_customers``: fewest customers with
    ``x > 0`` for the BG/NBD fit; ``min_gg_customers``: fewest repeat customers with
    positive spend for the Gamma-Gamma fit; ``maxiter``: iteration cap of each
    fit; ``fallback_value``: heuristic mean value when no repeat customer has
    a positive spend (e.g. the mean first purchase).
    """
    started = time.perf_counter()
    warnings = []
    x, t_x, T, m, weights = _sanitize(x, t_x, T, m, weights, warnings)
    customers = float(weights.sum())
    repeat = x > 0
    repeat_customers = float(weights[repeat].sum())
    rate, mean_value, default_rate, found = _heuristic_params(
        x, T, m, weights, fallback_value
    )
    result = ValueFit(
        method="heuristic",
        customers=int(round(customers)),
        repeat_customers=int(round(repeat_customers)),
        warnings=warnings,
        heuristic={"rate": rate, "mean_value": mean_value},
    )
    if customers <= 0:
        warnings.append("empty")
    elif customers < min_customers:
        warnings.append("too_few_customers")
    elif repeat_customers <= 0:
        warnings.append("no_repeat_customers")
    elif repeat_customers < min_repeat_customers:
        warnings.append("too_few_repeat_customers")
    else:
        (cx, ct, cT), cw = collapse(x, t_x, T, weights=weights)
        params, ll, converged = fit_bgnbd(cx, ct, cT, cw, maxiter=maxiter)
        values = np.array([params.r, params.alpha, params.a, params.b, ll])
        if not converged:
            warnings.append("bgnbd_not_converged")
        elif not np.all(np.isfinite(values)):
            warnings.append("bgnbd_invalid")
        else:
            result.method = "bgnbd"
            result.bgnbd = params
            result.loglik_bgnbd = ll
            if _at_bound(values[:4]):
                warnings.append("bgnbd_boundary")
    if result.method == "heuristic" and default_rate:
        warnings.append("default_rate")
    if result.method == "bgnbd":
        if np.any(repeat & (m <= 0)):
            warnings.append("nonpositive_spend")
        spenders = repeat & (m > 0)
        if float(weights[spenders].sum()) < min_gg_customers:
            warnings.append("gg_too_few")
        else:
            gg, ll, converged = fit_gamma_gamma(
                x[spenders], m[spenders], weights[spenders], maxiter=maxiter
            )
            values = np.array([gg.p, gg.q, gg.v, ll])
            if not converged:
                warnings.append("gg_not_converged")
            elif not np.all(np.isfinite(values)):
                warnings.append("gg_invalid")
            elif gg.q <= 1.0:
                warnings.append("gg_mean_undefined")
            else:
                result.gamma_gamma = gg
                result.loglik_gg = ll
                if _at_bound(values[:3]):
                    warnings.append("gg_boundary")
    if not found and (result.method == "heuristic" or result.gamma_gamma is None):
        warnings.append("no_positive_spend")
    result.fit_seconds = time.perf_counter() - started
    return result


# ----------------------------------------------------------------------------
# Calibration / holdout comparison
# ----------------------------------------------------------------------------


def holdout(
    fit_cal, x_cal, t_x_cal, T_cal, x_holdout, holdout_weeks, max_bucket=7, weights=None
):
    """Calibration / holdout comparison by number of calibration repeat purchases.

    Return a list of ``max_bucket + 2`` dicts ``{"bucket", "customers",
    "actual", "predicted"}``: one per ``k = 0 .. max_bucket`` (the last one is
    "``max_bucket`` or more"), then the total row with ``bucket = -1``.
    ``actual`` is the mean of ``x_holdout`` (purchases in the holdout period),
    ``predicted`` the mean of :func:`expected_purchases` over
    ``holdout_weeks`` (a number or one per customer), both weighted by
    ``weights``; an empty bucket has 0 customers and 0.0 means.
    """
    x, t_x, T = _customers(x_cal, t_x_cal, T_cal)
    actual = _clean(x_holdout)
    x, t_x, T, actual = np.broadcast_arrays(x, t_x, T, actual)
    x, t_x, T, actual = (v.reshape(-1) for v in (x, t_x, T, actual))
    w = _weights(weights, x.shape[0])
    predicted = expected_purchases(fit_cal, holdout_weeks, x, t_x, T).reshape(-1)
    bucket = np.minimum(x, max_bucket).astype(int)
    rows = []
    for k in [*range(max_bucket + 1), -1]:
        chosen = np.ones(x.shape, dtype=bool) if k < 0 else bucket == k
        total = float(w[chosen].sum())
        rows.append(
            {
                "bucket": k,
                "customers": int(round(total)),
                "actual": _dot(w[chosen], actual[chosen]) / total if total else 0.0,
                "predicted": (
                    _dot(w[chosen], predicted[chosen]) / total if total else 0.0
                ),
            }
        )
    return rows
