"""Customer value model: collapsing rows, likelihoods and maximum-likelihood fits.

BG/NBD and Gamma-Gamma log-likelihoods with their analytic gradients, the
BFGS minimiser and the fits :func:`fit_bgnbd` and :func:`fit_gamma_gamma`,
plus :func:`collapse` (identical rows into weights). Part of
:mod:`value_model`: the formulas, units and numerical choices are in its
docstring; import the public names from there.
"""

import math

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from .value_types import DEFAULT_RATE, BGNBDParams, GammaGammaParams

# Iteration cap of each BFGS fit.
MAXITER = 1000
# Bounds of the log-parameters of both fits (e^20 ~ 4.9e8).
LOG_BOUND = 20.0


def _dot(a, b):
    """Dot product of two vectors as a float.

    ``np.einsum``, not ``@``: a multithreaded BLAS ``ddot`` on a busy or
    small machine can be a hundred times slower than this single loop.
    """
    return float(np.einsum("i,i->", a, b))


def _weights(weights, size):
    if weights is None:
        return np.ones(size)
    return np.broadcast_to(np.asarray(weights, dtype=float), (size,)).copy()


# ----------------------------------------------------------------------------
# Collapsing identical rows
# ----------------------------------------------------------------------------


def _factorize(values):
    """``(uniques, codes)`` with ``uniques[codes] == values``, uniques sorted.

    Fast path without sorting for values on a grid of 1/7 (days in weeks,
    whole numbers) of moderate range; ``np.unique`` otherwise.
    """
    values = np.asarray(values)
    if values.size == 0:
        return values.astype(float), np.zeros(0, dtype=np.intp)
    if np.issubdtype(values.dtype, np.integer):
        grid = values.astype(np.int64)
        on_grid, scale = True, 1.0
    else:
        with np.errstate(all="ignore"):
            scaled = np.rint(values * 7.0)
        on_grid = bool(np.array_equal(scaled / 7.0, values)) and bool(
            np.abs(scaled).max() < 2.0**53
        )
        grid, scale = (scaled.astype(np.int64), 7.0) if on_grid else (None, 1.0)
    if on_grid:
        low, high = int(grid.min()), int(grid.max())
        if high - low < 4 * values.size + 1024:
            present = np.zeros(high - low + 1, dtype=bool)
            present[grid - low] = True
            levels = np.flatnonzero(present)
            lookup = np.cumsum(present) - 1
            uniques = (levels + low) / scale
            return uniques.astype(values.dtype, copy=False), lookup[grid - low]
    uniques, codes = np.unique(values, return_inverse=True)
    return uniques, codes.reshape(-1)


def _group(columns, need_inverse):
    """Unique rows of ``columns`` (lexicographic order, first column first).

    Return ``(unique columns, counts, inverse or None)``.
    """
    size = columns[0].shape[0]
    tables, codes = [], []
    for column in columns:
        uniques, code = _factorize(column)
        tables.append(uniques)
        codes.append(code.astype(np.int64))
    span = 1
    for table in tables:
        span *= max(len(table), 1)
    if size == 0:
        empty = [table[:0] for table in tables]
        return (
            empty,
            np.zeros(0),
            (np.zeros(0, dtype=np.intp) if need_inverse else None),
        )
    if span < 2**62:
        key = codes[0]
        for table, code in zip(tables[1:], codes[1:], strict=True):
            key = key * len(table) + code
        if need_inverse:
            unique_keys, inverse, counts = np.unique(
                key, return_inverse=True, return_counts=True
            )
        else:
            unique_keys, counts = np.unique(key, return_counts=True)
            inverse = None
        result = []
        for table in reversed(tables):
            unique_keys, code = np.divmod(unique_keys, len(table))
            result.append(table[code])
        return result[::-1], counts, inverse
    # Too many combinations for one integer key: sort the code rows.
    stacked = np.stack(codes, axis=1)
    unique_rows, inverse, counts = np.unique(
        stacked, axis=0, return_inverse=True, return_counts=True
    )
    result = [table[unique_rows[:, i]] for i, table in enumerate(tables)]
    return result, counts, (inverse.reshape(-1) if need_inverse else None)


def collapse(*columns, weights=None):
    """Collapse identical rows of ``columns`` into weights.

    Return ``(unique_columns, weights)``: a tuple of arrays with one row per
    distinct row (sorted lexicographically, first column first) and the sum of
    the weights (or the count) of the rows it stands for.
    """
    if not columns:
        raise TypeError("collapse() needs at least one column")
    arrays = np.broadcast_arrays(*(np.asarray(c) for c in columns))
    arrays = [a.reshape(-1) for a in arrays]
    if weights is None:
        uniques, counts, _inverse = _group(arrays, need_inverse=False)
        return tuple(uniques), counts.astype(float)
    weights = np.broadcast_to(np.asarray(weights, dtype=float), arrays[0].shape)
    uniques, _counts, inverse = _group(arrays, need_inverse=True)
    summed = np.bincount(inverse, weights=weights, minlength=len(uniques[0]))
    return tuple(uniques), summed


# ----------------------------------------------------------------------------
# BG/NBD likelihood
# ----------------------------------------------------------------------------


class _BGNBDData:
    """Sufficient statistics of the BG/NBD likelihood of weighted rows.

    The terms that depend on ``x`` alone are summed per distinct ``x``, those
    in ``T`` alone per distinct ``T``; only the softplus term is per row (the
    rows with ``x > 0``), with ``ln(alpha + T)`` and ``ln(alpha + t_x)`` looked
    up in per-distinct-value tables.
    """

    def __init__(self, x, t_x, T, weights):
        x = np.asarray(x, dtype=float)
        self.total = float(weights.sum())
        self.xk, x_code = _factorize(x)
        self.xk = self.xk.astype(float)
        self.wk = np.bincount(x_code, weights=weights, minlength=len(self.xk))
        self.Tu, T_code = _factorize(T)
        self.Tu = self.Tu.astype(float)
        self.s0 = np.bincount(T_code, weights=weights, minlength=len(self.Tu))
        self.s1 = np.bincount(T_code, weights=weights * x, minlength=len(self.Tu))
        repeat = x > 0
        self.w_r = weights[repeat]
        self.x_r = x[repeat]
        self.xcode_r = x_code[repeat]
        self.Tcode_r = T_code[repeat]
        self.tu, self.tcode_r = _factorize(np.asarray(t_x, dtype=float)[repeat])
        self.tu = self.tu.astype(float)
        # b + x - 1 for x >= 1 (x = 0 entries unused)
        self.xk_m1 = np.maximum(self.xk, 1.0) - 1.0
        self.k_repeat = self.xk > 0

    def loglik(self, r, alpha, a, b, gradient=True):
        """Total log-likelihood and its gradient in (r, alpha, a, b)."""
        xk, wk = self.xk, self.wk
        log_alpha = math.log(alpha)
        LTu = np.log(alpha + self.Tu)
        Ltu = np.log(alpha + self.tu)
        dL = LTu[self.Tcode_r] - Ltu[self.tcode_r]
        log_bx = np.log(b + self.xk_m1)
        ck = math.log(a) - log_bx
        rx = r + self.x_r
        D = ck[self.xcode_r] + rx * dL
        # softplus(D) = max(D, 0) + ln(1 + e^-|D|), sigmoid(D) from the same
        # e^-|D| (faster than np.logaddexp and expit).
        e = np.exp(-np.abs(D))
        softplus = np.maximum(D, 0.0) + np.log1p(e)
        ll = (
            _dot(wk, gammaln(r + xk) + gammaln(b + xk) - gammaln(a + b + xk))
            - self.total * (gammaln(r) - gammaln(a + b) + gammaln(b))
            + r * log_alpha * self.total
            - _dot(r * self.s0 + self.s1, LTu)
            + _dot(self.w_r, softplus)
        )
        if not gradient:
            return ll, None
        inv = 1.0 / (1.0 + e)
        ws = self.w_r * np.where(D >= 0, inv, e * inv)
        iTu = 1.0 / (alpha + self.Tu)
        itu = 1.0 / (alpha + self.tu)
        uk = np.bincount(self.xcode_r, weights=ws, minlength=len(xk))
        psi_ab = digamma(a + b)
        psi_abk = digamma(a + b + xk)
        g_r = (
            _dot(wk, digamma(r + xk))
            - self.total * digamma(r)
            + log_alpha * self.total
            - _dot(self.s0, LTu)
            + _dot(ws, dL)
        )
        g_alpha = (
            r * self.total / alpha
            - _dot(r * self.s0 + self.s1, iTu)
            + _dot(ws * rx, iTu[self.Tcode_r] - itu[self.tcode_r])
        )
        g_a = _dot(wk, psi_ab - psi_abk) + float(uk.sum()) / a
        g_b = (
            _dot(wk, psi_ab + digamma(b + xk) - psi_abk)
            - self.total * digamma(b)
            - _dot(uk[self.k_repeat], 1.0 / (b + self.xk_m1[self.k_repeat]))
        )
        return ll, np.array([g_r, g_alpha, g_a, g_b])


def _bgnbd_arrays(x, t_x, T, weights):
    x, t_x, T = (np.asarray(v, dtype=float).reshape(-1) for v in (x, t_x, T))
    x, t_x, T = np.broadcast_arrays(x, t_x, T)
    return x, t_x, T, _weights(weights, x.shape[0])


def _params_tuple(params, names):
    if isinstance(params, dict):
        return tuple(float(params[n]) for n in names)
    if hasattr(params, names[0]):
        return tuple(float(getattr(params, n)) for n in names)
    return tuple(float(v) for v in params)


def bgnbd_loglik_and_grad(params, x, t_x, T, weights=None):
    """Total BG/NBD log-likelihood and its gradient in ``(r, alpha, a, b)``."""
    r, alpha, a, b = _params_tuple(params, ("r", "alpha", "a", "b"))
    data = _BGNBDData(*_bgnbd_arrays(x, t_x, T, weights))
    return data.loglik(r, alpha, a, b)


def bgnbd_loglik(params, x, t_x, T, weights=None):
    """Total BG/NBD log-likelihood of the (weighted) customers.

    ``params``: a :class:`BGNBDParams`, a dict or a sequence ``(r, alpha, a,
    b)``.
    """
    r, alpha, a, b = _params_tuple(params, ("r", "alpha", "a", "b"))
    data = _BGNBDData(*_bgnbd_arrays(x, t_x, T, weights))
    return data.loglik(r, alpha, a, b, gradient=False)[0]


def _minimize(objective, start, maxiter):
    """Minimise ``objective(log_params) -> (value, gradient)``.

    BFGS (scipy) in ``u`` with ``log_params = LOG_BOUND * tanh(u / LOG_BOUND)``:
    smooth, unconstrained, the log-parameters bounded by ``LOG_BOUND``. Not
    L-BFGS-B: on a small or busy machine its BLAS/LAPACK calls with a
    multithreaded OpenBLAS cost milliseconds per iteration (0.1 s for a fit of
    300 customers instead of 2 ms). Return ``(log_params, converged)``.
    """
    start = np.clip(np.asarray(start, dtype=float), -0.9 * LOG_BOUND, 0.9 * LOG_BOUND)

    def transformed(u):
        squashed = np.tanh(u / LOG_BOUND)
        value, gradient = objective(LOG_BOUND * squashed)
        return value, gradient * (1.0 - squashed**2)

    u = LOG_BOUND * np.arctanh(start / LOG_BOUND)
    iterations = 0
    for _attempt in range(2):
        with np.errstate(all="ignore"):
            result = minimize(
                transformed,
                u,
                jac=True,
                method="BFGS",
                options={"maxiter": maxiter - iterations, "gtol": 1e-9},
            )
        iterations += result.nit
        u = np.asarray(result.x, dtype=float)
        if result.success or iterations >= maxiter or not np.all(np.isfinite(u)):
            break
        # The line search could not improve any more (rounding, or a flat
        # ridge when the data fit a limit case of the model): once more from
        # there with a fresh Hessian estimate.
    solution = LOG_BOUND * np.tanh(u / LOG_BOUND)
    converged = bool(result.success)
    if not converged and iterations < maxiter and np.all(np.isfinite(result.jac)):
        # Stopped by rounding: converged when the gradient (per customer) is
        # small, as on the flat ridge of a limit case.
        converged = bool(np.max(np.abs(result.jac)) < 1e-4)
    return solution, converged and bool(np.all(np.isfinite(solution)))


def fit_bgnbd(x, t_x, T, weights=None, maxiter=MAXITER):
    """Maximum-likelihood BG/NBD fit: ``(BGNBDParams, loglik, converged)``.

    ``x``, ``t_x``, ``T`` as described in the :mod:`value_model` docstring (weeks),
    ``weights`` the number of customers each row stands for (collapse the rows
    first for speed: :func:`collapse`).
    """
    x, t_x, T, weights = _bgnbd_arrays(x, t_x, T, weights)
    data = _BGNBDData(x, t_x, T, weights)
    total = data.total
    if total <= 0:
        return BGNBDParams(1.0, 1.0, 1.0, 1.0), float("nan"), False

    def objective(theta):
        r, alpha, a, b = np.exp(theta)
        ll, grad = data.loglik(r, alpha, a, b)
        if not np.isfinite(ll) or not np.all(np.isfinite(grad)):
            return np.inf, np.zeros(4)
        return -ll / total, -grad * np.exp(theta) / total

    exposure = _dot(weights, T)
    purchases = _dot(weights, x)
    rate = purchases / exposure if purchases > 0 and exposure > 0 else DEFAULT_RATE
    # Start: r = 1 and alpha = 1 / rate (the pooled rate), a = 1, b = 3.
    start = np.log([1.0, 1.0 / rate, 1.0, 3.0])
    theta, converged = _minimize(objective, start, maxiter)
    r, alpha, a, b = (float(v) for v in np.exp(theta))
    ll = data.loglik(r, alpha, a, b, gradient=False)[0]
    converged = converged and math.isfinite(ll)
    return BGNBDParams(r, alpha, a, b), float(ll), converged


# ----------------------------------------------------------------------------
# Gamma-Gamma likelihood
# ----------------------------------------------------------------------------


class _GammaGammaData:
    """Sufficient statistics of the Gamma-Gamma likelihood (x > 0, m > 0)."""

    def __init__(self, x, m, weights):
        keep = (x > 0) & (m > 0) & (weights > 0)
        x, m, w = x[keep], m[keep], weights[keep]
        self.total = float(w.sum())
        self.xk, x_code = _factorize(x)
        self.xk = self.xk.astype(float)
        self.wk = np.bincount(x_code, weights=w, minlength=len(self.xk))
        log_m = np.log(m)
        self.k0 = _dot(w, log_m)  # sum w ln m
        self.k1 = _dot(w * x, log_m)  # sum w x ln m
        self.xlogx = _dot(self.wk, self.xk * np.log(np.maximum(self.xk, 1.0)))
        self.mean = _dot(w, m) / self.total if self.total else 0.0
        self.xm = x * m
        self.w = w
        self.wx = w * x

    def loglik(self, p, q, v, gradient=True):
        """Total log-likelihood and its gradient in (p, q, v)."""
        xk, wk = self.xk, self.wk
        L = np.log(self.xm + v)
        sum_wL = _dot(self.w, L)
        sum_wxL = _dot(self.wx, L)
        ll = (
            _dot(wk, gammaln(p * xk + q) - gammaln(p * xk))
            - self.total * gammaln(q)
            + q * math.log(v) * self.total
            + p * self.k1
            - self.k0
            + p * self.xlogx
            - p * sum_wxL
            - q * sum_wL
        )
        if not gradient:
            return ll, None
        inv = 1.0 / (self.xm + v)
        psi_pq = digamma(p * xk + q)
        g_p = _dot(wk * xk, psi_pq - digamma(p * xk)) + self.k1 + self.xlogx - sum_wxL
        g_q = (
            _dot(wk, psi_pq)
            - self.total * digamma(q)
            + self.total * math.log(v)
            - sum_wL
        )
        g_v = q * self.total / v - p * _dot(self.wx, inv) - q * _dot(self.w, inv)
        return ll, np.array([g_p, g_q, g_v])


def _gg_arrays(x, m, weights):
    x, m = (np.asarray(v, dtype=float).reshape(-1) for v in (x, m))
    x, m = np.broadcast_arrays(x, m)
    return x, m, _weights(weights, x.shape[0])


def gamma_gamma_loglik_and_grad(params, x, m, weights=None):
    """Total Gamma-Gamma log-likelihood (rows x > 0, m > 0) and its gradient
    in ``(p, q, v)``."""
    p, q, v = _params_tuple(params, ("p", "q", "v"))
    return _GammaGammaData(*_gg_arrays(x, m, weights)).loglik(p, q, v)


def gamma_gamma_loglik(params, x, m, weights=None):
    """Total Gamma-Gamma log-likelihood of the rows with x > 0 and m > 0."""
    p, q, v = _params_tuple(params, ("p", "q", "v"))
    data = _GammaGammaData(*_gg_arrays(x, m, weights))
    return data.loglik(p, q, v, gradient=False)[0]


def fit_gamma_gamma(x, m, weights=None, maxiter=MAXITER):
    """Maximum-likelihood Gamma-Gamma fit on the rows with ``x > 0`` and
    ``m > 0``: ``(GammaGammaParams, loglik, converged)``."""
    data = _GammaGammaData(*_gg_arrays(x, m, weights))
    total = data.total
    if total <= 0:
        return GammaGammaParams(1.0, 1.0, 1.0), float("nan"), False

    def objective(theta):
        p, q, v = np.exp(theta)
        ll, grad = data.loglik(p, q, v)
        if not np.isfinite(ll) or not np.all(np.isfinite(grad)):
            return np.inf, np.zeros(3)
        return -ll / total, -grad * np.exp(theta) / total

    # Start: p = 2, q = 3 and v such that the population mean p v / (q - 1)
    # is the mean spend.
    start = np.log([2.0, 3.0, max(data.mean, 1e-6)])
    theta, converged = _minimize(objective, start, maxiter)
    p, q, v = (float(val) for val in np.exp(theta))
    ll = data.loglik(p, q, v, gradient=False)[0]
    converged = converged and math.isfinite(ll)
    return GammaGammaParams(p, q, v), float(ll), converged
