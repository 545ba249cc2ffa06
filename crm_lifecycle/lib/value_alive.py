"""Customer value model: expected purchases of a customer alive now.

The BG/NBD expected purchases without their P(alive) factor, used by
:func:`value_predict.expected_purchases` and :func:`value_predict.clv`.
Part of :mod:`value_model`: the formulas are in its docstring.

How the BG/NBD expected purchases of a customer alive now are evaluated
(:func:`_alive_grid`; :func:`_alive_purchases` for flat arrays): they depend
on ``(x, T, t)`` only, not on ``t_x``, so :func:`expected_purchases`
computes them once per distinct ``(x, T, t)``, and :func:`clv` once per
distinct ``(x, T)`` for all its months at once, reducing each row of that
``pairs x months`` matrix to its discounted sum of increments block by
block. Per distinct ``x``, either

* Gauss-Jacobi quadrature over the dropout probability
  (:func:`_quadrature_rules`, :func:`_beta_rules`)::

      E[Y(t) | alive] = C/(a-1) E[1 - (1 + q u)^-(r+x)],
      q ~ Beta(a-1, b+x), u = t/(alpha+T), C = a+b+x-1

  (the Euler-transformed 2F1 of eq. 10 written as an expectation; the same
  as ``E_p[(1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p]``,
  ``p ~ Beta(a, b+x)``). Where the Beta distribution is concentrated (large
  ``a + b``, typically a fit at its bounds, exactly where
  ``scipy.special.hyp2f1`` is slow or not finite) a few nodes give machine
  precision: each node costs one ``log1p`` and one ``expm1`` per value.
  Gauss rules bound the exact value from above and Gauss-Radau rules
  (a node at ``q = 0``) from below, because ``(1 + q u)^-s`` is completely
  monotone in ``q``; a rule is used only where that gap is at most
  :data:`_QUAD_TOL` (relative) over the whole range of ``u`` of that ``x``;
* otherwise (``a <= _QUAD_MIN_A``, or a Beta too wide for 32 nodes, e.g.
  CDNOW's ``a = 0.79``), the Gauss hypergeometric function
  (:func:`_alive_purchases_hyp2f1`) with its fallbacks: the original form
  of the hypergeometric term, a direct series, and as the last resort the
  rate while alive times ``t``.
"""

import functools
import math

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.special import hyp2f1

# Values above this (e.g. expected purchases) are clipped.
_HUGE = 1e300
# Gauss-Jacobi quadrature of the alive-customer purchases: the node counts
# tried in turn, the largest relative gap between the Gauss and Gauss-Radau
# values that accepts a Gauss rule, the number of values of u = t/(alpha+T)
# where the gap is checked (geometric, over the range of u of one x), and the
# smallest a for which the quadrature is tried (below, Beta(a-1, b+x) is wide
# or improper and hyp2f1 is fast).
_QUAD_NODES = (2, 3, 4, 6, 8, 12, 16, 24, 32)
_QUAD_TOL = 1e-13
_QUAD_PROBES = 16
_QUAD_MIN_A = 1.5
# Values (rows x columns) evaluated at a time by _alive_grid.
_BLOCK = 1 << 15


def _clean(values):
    """Finite float array (NaN and infinities to 0)."""
    return np.nan_to_num(
        np.asarray(values, dtype=float), nan=0.0, posinf=0.0, neginf=0.0
    )


def _finite(values, low=0.0, high=_HUGE):
    return np.clip(_clean(values), low, high)


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


def _alive_purchases_hyp2f1(params, t, x, T):
    """Expected purchases in ``t`` weeks of a customer alive now: BG/NBD eq. 10
    without its P(alive) factor, ``C/(a-1) * (1 - F)`` with ``C = a+b+x-1``,
    with the Gauss hypergeometric function (flat arrays ``t``, ``x``, ``T``).

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


def _beta_jacobi(A, B, size):
    """Jacobi matrix of ``Beta(A, B)`` on ``[0, 1]``, centred on its mean:
    ``(mean, diagonal - mean, squared off-diagonal)`` (``size``, ``size - 1``).

    The recurrence of the Jacobi polynomials (``x = 2q - 1``, exponents
    ``B - 1`` at ``x = 1`` and ``A - 1`` at ``x = -1``), with the diagonal
    minus the mean ``A / (A+B)`` in closed form, so that the nodes keep their
    relative precision however concentrated the distribution. No gamma
    function: no overflow for large parameters (``scipy.special.roots_jacobi``
    overflows there).
    """
    alpha, beta = B - 1.0, A - 1.0
    total = alpha + beta
    k = np.arange(1.0, size)
    # the products are taken as bounded ratios: no overflow for huge A, B
    diagonal = np.zeros(size)
    diagonal[1:] = (
        -4.0
        * k
        * ((beta - alpha) / (total + 2.0))
        * ((k + total + 1.0) / (2.0 * k + total + 2.0))
        / (2.0 * k + total)
    )
    squared = np.empty(size - 1)
    if size > 1:
        squared[0] = 4.0 * (A / (total + 2.0)) * (B / (total + 2.0)) / (total + 3.0)
        k = k[1:]
        middle = 2.0 * k + total
        squared[1:] = (
            4.0
            * k
            * ((k + alpha) / middle)
            * ((k + beta) / middle)
            * ((k + total) / (middle + 1.0))
            / (middle - 1.0)
        )
    return A / (A + B), diagonal / 2.0, squared / 4.0


def _golub_welsch(mean, diagonal, squared):
    """Nodes (in ``[0, 1]``) and normalised weights of a centred Jacobi
    matrix; ``None`` where it is not finite or LAPACK fails."""
    if not (
        math.isfinite(mean)
        and np.all(np.isfinite(diagonal))
        and np.all(np.isfinite(squared))
        and np.all(squared >= 0.0)
    ):
        return None
    try:
        offsets, vectors = eigh_tridiagonal(diagonal, np.sqrt(squared))
    except (ValueError, np.linalg.LinAlgError):
        return None
    weights = vectors[0] ** 2
    total = np.sum(weights)
    if not (np.all(np.isfinite(offsets)) and np.isfinite(total) and total > 0.0):
        return None
    return np.clip(mean + offsets, 0.0, 1.0), weights / total


@functools.lru_cache(maxsize=1024)
def _beta_rules(A, B, n):
    """Gauss rule (``n`` nodes) and Gauss-Radau rule (``n + 1`` nodes, one at
    ``q = 0``) of ``Beta(A, B)``: ``(gauss, radau)``, each ``(nodes, weights)``
    or ``None`` (:func:`_golub_welsch`).

    Golub-Welsch; the Radau rule changes the last diagonal entry of the
    ``n + 1`` Jacobi matrix to ``z - e_n^2 P_{n-1}(z) / P_n(z)`` (``P`` the
    monic orthogonal polynomials, ``z = 0`` in centred coordinates ``-mean``),
    which makes ``z`` an eigenvalue.
    """
    mean, diagonal, squared = _beta_jacobi(A, B, n + 1)
    gauss = _golub_welsch(mean, diagonal[:n], squared[: n - 1])
    z = -mean
    ratio = z - diagonal[0]  # P_1(z) / P_0(z)
    for k in range(1, n):
        ratio = z - diagonal[k] - squared[k - 1] / ratio
    radau_diagonal = diagonal.copy()
    with np.errstate(all="ignore"):
        radau_diagonal[n] = z - squared[n - 1] / ratio
    return gauss, _golub_welsch(mean, radau_diagonal, squared)


def _quadrature_bracket(nodes, weights, s, u):
    """``sum_k w_k (1 - (1 + q_k u)^-s)``: one rule (1-d ``nodes`` and
    ``weights``, ``u`` any shape) or one rule per row of ``u`` (2-d, ``s`` a
    scalar or a column), one node at a time (``log1p``, ``expm1``)."""
    u = np.asarray(u, dtype=float)
    nodes, weights = np.asarray(nodes), np.asarray(weights)
    if nodes.ndim == 2:
        nodes, weights = nodes.T[:, :, None], weights.T[:, :, None]
    total = np.zeros(u.shape)
    work = np.empty(u.shape)
    with np.errstate(all="ignore"):
        for node, weight in zip(nodes, weights, strict=True):
            np.multiply(u, node, out=work)
            np.log1p(work, out=work)
            work *= -s
            np.expm1(work, out=work)
            work *= weight
            total -= work
    return total


def _quadrature_rules(params, xs, u_min, u_max):
    """Per distinct ``x`` (``xs``), the Gauss rule of ``Beta(a-1, b+x)`` that
    evaluates ``E[1 - (1+q u)^-(r+x)]`` to :data:`_QUAD_TOL` (relative) for
    ``u`` in ``[u_min, u_max]`` (per ``x``), or ``None`` (use hyp2f1).

    ``f(q) = (1+q u)^-s`` is completely monotone in ``q`` (its derivatives
    alternate in sign), so its ``n``-point Gauss rule is below ``E[f]`` and
    its ``n + 1``-point Gauss-Radau rule with a node at ``q = 0`` above: the
    bracket ``1 - f`` lies between the two rules' values, and the gap between
    them bounds the error of the Gauss value. The first ``n`` of
    :data:`_QUAD_NODES` whose gap is at most :data:`_QUAD_TOL` times the
    bracket at :data:`_QUAD_PROBES` values of ``u`` spaced geometrically over
    the range (at most 6 decades below ``u_max``; below, the bracket is
    linear in ``u`` and the rules agree even better) is taken. The Radau
    node at ``q = 0`` carries the weight of the Beta mass near 0, where
    ``f`` may still be large when it is negligible at every Gauss node (many
    purchases, a wide Beta): the Gauss rules alone would agree there and be
    wrong.
    """
    r, a, b = params.r, params.a, params.b
    rules = [None] * len(xs)
    if not a > _QUAD_MIN_A or not math.isfinite(a) or not math.isfinite(b):
        return rules
    with np.errstate(all="ignore"):
        top = np.log(u_max)
        bottom = np.maximum(np.log(u_min), top - 6.0 * math.log(10.0))
        for index, x in enumerate(xs):
            if not (b + x > 0 and np.isfinite(top[index]) and u_max[index] > 0):
                continue
            low = bottom[index] if np.isfinite(bottom[index]) else top[index]
            probes = np.exp(np.linspace(low, top[index], _QUAD_PROBES))
            previous = None
            for n in _QUAD_NODES:
                gauss, radau = _beta_rules(a - 1.0, b + x, n)
                if gauss is None or radau is None:
                    break
                upper = _quadrature_bracket(*gauss, r + x, probes)
                lower = _quadrature_bracket(*radau, r + x, probes)
                gap = np.max((upper - lower) / lower)
                if not np.isfinite(gap):
                    break
                if gap <= _QUAD_TOL:
                    rules[index] = gauss
                    break
                # Give up early where the gap does not shrink fast enough to
                # reach the tolerance with the largest rule.
                if previous is not None and gap > 0.0:
                    rate = (gap / previous[1]) ** (1.0 / (n - previous[0]))
                    if gap * rate ** (_QUAD_NODES[-1] - n) > 1e3 * _QUAD_TOL:
                        break
                previous = (n, gap)
    return rules


def _alive_grid(params, x, T, t, discount=None):
    """Expected purchases in ``t`` weeks of customers alive now, a matrix:
    rows ``x``, ``T`` (1-d), columns ``t`` (shape ``(rows, k)`` or ``(k,)``).

    With ``discount`` (``k`` factors), the discounted sum of each row's
    increments instead, ``sum_j (G_j - G_{j-1}) discount_j`` with
    ``G_0 = 0`` (1-d, the matrix is never built).

    Per distinct ``x``: the Gauss-Jacobi quadrature where it converges
    (:func:`_quadrature_rules`), else :func:`_alive_purchases_hyp2f1`. Rows
    with the same quadrature node count are evaluated together, one node at
    a time, in blocks of about :data:`_BLOCK` values: the temporaries stay
    small and are reused (allocating fresh ``rows x k`` arrays, page faults
    included, can cost more than the arithmetic).
    """
    x = np.asarray(x, dtype=float).reshape(-1)
    T = np.asarray(T, dtype=float).reshape(-1)
    t = np.asarray(t, dtype=float)
    t = np.broadcast_to(t if t.ndim == 2 else t.reshape(1, -1), (x.size, t.shape[-1]))
    width = t.shape[1]
    result = np.zeros(x.size if discount is not None else t.shape)
    if x.size == 0 or width == 0:
        return result
    xs, inverse = np.unique(x, return_inverse=True)
    inverse = inverse.reshape(-1)
    with np.errstate(all="ignore"):
        scale = 1.0 / (params.alpha + T)
        u_max = np.zeros(xs.size)
        np.maximum.at(u_max, inverse, np.max(t, axis=1) * scale)
        u_min = np.full(xs.size, np.inf)
        np.minimum.at(u_min, inverse, np.min(t, axis=1) * scale)
    rules = _quadrature_rules(params, xs, u_min, u_max)
    sizes = np.array([0 if rule is None else rule[0].size for rule in rules])
    row_sizes = sizes[inverse]
    block = max(_BLOCK // width, 1)
    for n in np.unique(row_sizes):
        group = np.flatnonzero(row_sizes == n)
        if n:
            members = np.flatnonzero(sizes == n)
            position = np.zeros(xs.size, dtype=np.intp)
            position[members] = np.arange(members.size)
            index = position[inverse[group]]
            nodes = np.stack([rules[i][0] for i in members])[index]
            weights = np.stack([rules[i][1] for i in members])[index]
        for start in range(0, group.size, block):
            rows = group[start : start + block]
            if n:
                piece = slice(start, start + block)
                bracket = _quadrature_bracket(
                    nodes[piece],
                    weights[piece],
                    (params.r + x[rows])[:, None],
                    t[rows] * scale[rows, None],
                )
                values = (
                    bracket
                    * ((params.a + params.b - 1.0 + x[rows]) / (params.a - 1.0))[
                        :, None
                    ]
                )
            else:
                values = _alive_purchases_hyp2f1(
                    params,
                    t[rows].reshape(-1),
                    np.repeat(x[rows], width),
                    np.repeat(T[rows], width),
                ).reshape(rows.size, width)
            values = _finite(values)
            if discount is None:
                result[rows] = values
            else:
                increments = np.diff(values, axis=1, prepend=0.0)
                result[rows] = np.einsum("ij,j->i", increments, discount)
    return result


def _alive_purchases(params, t, x, T):
    """Expected purchases in ``t`` weeks of a customer alive now: BG/NBD eq. 10
    without its P(alive) factor (flat, broadcast ``t``, ``x``, ``T``).

    Gauss-Jacobi quadrature or the hypergeometric form per distinct ``x``
    (:func:`_alive_grid`); the latter falls back to the original form of the
    hypergeometric term and, as the last resort, to the rate while alive
    times ``t`` (:func:`_alive_purchases_hyp2f1`).
    """
    x, T, t = (
        np.asarray(v, dtype=float).reshape(-1) for v in np.broadcast_arrays(x, T, t)
    )
    return _alive_grid(params, x, T, t[:, None])[:, 0]
