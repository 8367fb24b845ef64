"""Orthogonalizers that are not a plain Newton–Schulz run, held against ``U V^T`` (docs/polar.md section 9).

* :func:`aol_newton_schulz` — Turbo-Muon: AOL row scaling (Prach & Lampert,
  arXiv 2208.03160) instead of the Frobenius normalisation, then the
  polynomial steps (docs/polar.md section 9.1).  ``diag(d) X`` has different
  singular vectors than ``X``, so this is **not** a singular-value transform:
  the scalar model does not apply and the error against ``polar(G)`` has a
  floor that more steps do not remove.
* :func:`dion_power_iteration` — Dion's low-rank orthogonalization (Ahn et
  al., arXiv 2504.05295; microsoft/dion ``dion_reference.py``): power
  iteration ``P = orth(B Q)``, ``R = B^T P``, ``Q = R / ||R columns||``,
  update ``O = P Q^T``.  Its fixed point is ``U_r V_r^T`` (the polar factor of
  the rank-``r`` truncation); early iterates have non-orthogonal unit columns
  in ``Q``, so ``||O||_2`` can exceed 1 (the update leaves the spectral ball).
* :func:`gram_newton_schulz_restarted` — the Gram form of Newton–Schulz
  (docs/polar.md section 9.2; Dao-AILab/gram-newton-schulz) with restarts,
  written here as an *oracle for the certifier and the comparison harness*
  (the production Gram iteration lives in
  :mod:`gluon_ref.polar.iterations`).  In exact arithmetic it equals the
  plain iteration, so it is held against the same scalar model.

All three take their namespace from the input (NumPy, CuPy,
array-api-strict) and return new arrays.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..backend import check_count, check_finite, check_float_array
from .iterations import _rounder, as_polynomials, normalize_input
from .lowprec import as_low_precision

__all__ = ["aol_scale", "aol_newton_schulz", "dion_power_iteration",
           "gram_newton_schulz_restarted"]


def _check_matrix(g, name="g"):
    xp = check_float_array(g, name)
    if g.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix, got shape {tuple(g.shape)}")
    if any(d == 0 for d in g.shape):
        raise ValueError(f"{name} has an empty dimension: shape {tuple(g.shape)}")
    check_finite(g, name)
    return xp


def aol_scale(x: Any, eps: float = 1e-7):
    """AOL row scaling of a wide ``X`` (p x q, p <= q): ``diag(d) X`` with ``d_i = (sum_j |(X X^T)_ij|)^{-1/2}``.

    Row sums are clamped below at ``eps`` (Turbo-Muon's ``clamp_min``).  AOL
    guarantees ``||diag(d) X||_2 <= 1`` (arXiv 2208.03160, Theorem 1: the
    scaled Gram matrix is dominated by its absolute row sums).
    """
    xp = check_float_array(x, "x")
    a = x @ xp.matrix_transpose(x)
    rows = xp.sum(xp.abs(a), axis=-1, keepdims=True)
    d = 1.0 / xp.sqrt(xp.maximum(rows, xp.asarray(eps, dtype=x.dtype, device=x.device)))
    return d * x


def aol_newton_schulz(g: Any, polynomials: Sequence[Sequence[float]], *, eps: float = 1e-7,
                      emulate: Any = None):
    """Turbo-Muon's orthogonalizer: AOL scaling, then the polynomial steps (docs/polar.md 9.1).

    ``X_0 = diag(d) G`` on the wide orientation (tall inputs are transposed
    and transposed back), ``d`` from :func:`aol_scale`; then
    ``X <- c_0 X + (c_1 A + c_2 A^2) X`` per polynomial.  Reference:
    thib-s/flash-newton-schulz ``newton_schulz_triton_aol``.  With
    ``emulate`` the scaled input and every GEMM output are rounded as in
    :mod:`gluon_ref.polar.lowprec`.  The input is divided by ``max|G_ij|`` first
    (AOL is scale invariant), so ``eps`` acts relative to that entry.
    """
    from .iterations import iterate_polynomials

    xp = _check_matrix(g)
    polys = as_polynomials(polynomials, None)
    model = as_low_precision(emulate)
    rnd = _rounder(model)
    work = xp.float32 if model is not None else g.dtype
    tall = g.shape[0] > g.shape[1]
    x = rnd(xp.astype(xp.matrix_transpose(g) if tall else g, work))
    # AOL is scale invariant (d scales like 1/|x|): work on x / max|x_ij| so that X X^T
    # cannot overflow; eps then acts relative to max|x_ij|
    x = x / _max_abs_or_one(xp, x)
    x0 = rnd(aol_scale(x, eps))
    out = iterate_polynomials(x0, polys, emulate=model)
    out = xp.matrix_transpose(out) if tall else out
    return xp.astype(out, g.dtype)


def _max_abs_or_one(xp, x):
    m = xp.max(xp.abs(x))
    return xp.where(m > 0, m, xp.ones_like(m))


def _orthonormal_columns(xp, p):
    """Householder QR's ``Q`` with the sign fixed by ``diag(R) >= 0`` (a deterministic basis)."""
    q, r = xp.linalg.qr(p)
    sign = xp.where(xp.linalg.diagonal(r) < 0, -xp.ones_like(xp.linalg.diagonal(r)),
                    xp.ones_like(xp.linalg.diagonal(r)))
    return q * sign


def dion_power_iteration(g: Any, rank: int | None = None, iters: int = 1, *, q0: Any = None,
                         rng=None, eps: float = 1e-8, return_q: bool = False):
    """Dion's rank-``r`` orthogonalized update ``O = P Q^T`` after ``iters`` power iterations.

    With ``B = G`` (m x n) and ``Q`` (n x r), each iteration is
    ``P = orth(B Q)`` (Householder QR), ``R = B^T P``; then
    ``Q = R / (||R_:j||_2 + eps)`` column by column and ``O = P Q^T``
    (microsoft/dion ``dion_reference.py``: ``power_iteration`` then the
    column normalisation; Dion runs one iteration per optimizer step with
    ``Q`` carried over, which ``iters`` repeated calls on a fixed ``G``
    model).  ``G`` is divided by ``max|G_ij|`` first (the update is scale
    invariant up to ``eps``), so huge inputs cannot overflow.  ``q0`` is the
    starting ``Q`` (default: Gaussian from ``rng``,
    a seed or ``numpy.random.Generator``); ``rank`` defaults to
    ``min(m, n)``.  At the fixed point ``P = U_r``, ``Q = V_r`` and ``O =
    U_r V_r^T``.  ``return_q`` also returns the new ``Q`` (the warm start).
    """
    xp = _check_matrix(g)
    m, n = g.shape
    r = min(m, n) if rank is None else int(rank)
    if not 1 <= r <= min(m, n):
        raise ValueError(f"rank must be in [1, min(m, n)] = [1, {min(m, n)}], got {rank}")
    iters = check_count("iters", iters)
    if not (math.isfinite(eps) and eps >= 0):
        raise ValueError(f"eps must be finite and >= 0, got {eps}")
    if q0 is None:
        import numpy as np

        if rng is None:
            raise ValueError("pass q0 or a seed/numpy.random.Generator as rng (no hidden randomness)")
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(int(rng))
        q = xp.asarray(gen.standard_normal((n, r)), dtype=g.dtype, device=g.device)
    else:
        q = q0
        if tuple(q.shape) != (n, r):
            raise ValueError(f"q0 must have shape ({n}, {r}), got {tuple(q.shape)}")
    # O = P Q^T is invariant to scaling G (up to eps): work on G / max|G_ij| so that the
    # products cannot overflow
    g = g / _max_abs_or_one(xp, g)
    for _ in range(iters):
        p = _orthonormal_columns(xp, g @ q)
        rmat = xp.matrix_transpose(g) @ p
        q = rmat / (xp.linalg.vector_norm(rmat, axis=0, keepdims=True) + eps)
    o = p @ xp.matrix_transpose(q)
    return (o, q) if return_q else o


def gram_newton_schulz_restarted(g: Any, polynomials: Sequence[Sequence[float]], *,
                                 restarts: Sequence[int] = (2,), normalization: str = "frobenius",
                                 eps: float = 1e-7, safety: float = 1.0, emulate: Any = None):
    """Gram Newton–Schulz with restarts (docs/polar.md section 9.2), as an oracle.

    On the wide orientation ``X_0 = G/s`` (p x q): ``R = X X^T``; step ``t``
    with ``Z = c_1 R + c_2 R^2 + ...`` sets ``Q <- Z + c_0 I`` (first step or
    restart) or ``Q <- Q Z + c_0 Q``, and, unless the next step restarts,
    ``W = R Z + c_0 R``, ``R <- Z W + c_0 W`` (``= P R P``).  Before a step
    whose index is in ``restarts``: ``X <- Q X``, ``R <- X X^T``.  Finally
    ``X <- Q X``.  Every factor is a polynomial in ``R_0``, so they commute and
    the result equals plain Newton–Schulz in exact arithmetic.  Defaults
    follow Dao-AILab/gram-newton-schulz (``restarts=(2,)``).  ``emulate``
    rounds each GEMM-call output (fused scale-add epilogues, as that
    package's ``sym_baddbmm`` calls).
    """
    xp = _check_matrix(g)
    polys = as_polynomials(polynomials, None)
    restarts = set(int(i) for i in restarts)
    model = as_low_precision(emulate)
    rnd = _rounder(model)
    x0, _ = normalize_input(g, normalization=normalization, eps=eps, safety=safety,
                            emulate=model)
    tall = g.shape[0] > g.shape[1]
    x = xp.matrix_transpose(x0) if tall else x0
    p = x.shape[0]
    eye = xp.eye(p, dtype=x.dtype, device=x.device)
    xt = xp.matrix_transpose
    r = rnd(x @ xt(x))
    q = None
    for i, poly in enumerate(polys):
        if i in restarts and i != 0:
            x = rnd(q @ x)
            r = rnd(x @ xt(x))
            q = None
        z = _polynomial_part(r, poly, rnd)
        q = rnd(z + poly[0] * eye) if q is None else rnd(q @ z + poly[0] * q)
        if i < len(polys) - 1 and (i + 1) not in restarts:
            w = rnd(r @ z + poly[0] * r)
            r = rnd(z @ w + poly[0] * w)
    x = rnd(q @ x) if q is not None else x
    out = xt(x) if tall else x
    if not bool(xp.all(xp.isfinite(out))):
        raise ValueError("the Gram Newton–Schulz iteration diverged (non-finite output)")
    return xp.astype(out, g.dtype)


def _polynomial_part(r, poly, rnd):
    """``c_1 R + c_2 R^2 + ...`` (zero for a linear polynomial), one rounding per GEMM call."""
    if len(poly) == 1:
        return 0.0 * r
    acc = poly[1] * r
    power = r
    for c in poly[2:]:
        power_next = power @ r
        acc = acc + c * power_next
        power = rnd(power_next)
    return rnd(acc)
