"""Exact polar factor U_r V_r^T from the thin SVD (docs/polar.md section 1).

This is the ground truth every Newton–Schulz-type iteration is compared with
and the default orthogonalizer of the spectral norms in
:mod:`gluon_ref.norms`.
"""

from __future__ import annotations

from typing import Any

from ..backend import check_finite, check_float_array

__all__ = ["polar_exact", "rank_threshold", "svd_working_dtype"]


def svd_working_dtype(xp, dtype):
    """dtype in which to run an SVD: float16 is promoted to float32.

    LAPACK and cuSOLVER have no half-precision SVD; promoting is exact for the
    inputs and the result is cast back by the caller.
    """
    if dtype == getattr(xp, "float16", None):
        return xp.float32
    return dtype


def rank_threshold(sigma_max, shape: tuple[int, ...], eps: float):
    """Numerical-rank cut: sigma_i counts iff sigma_i > max(m, n) * eps * sigma_max.

    Source: docs/norms.md section 3 and docs/polar.md section 1 (the usual LAPACK-style
    rank tolerance, as in ``numpy.linalg.matrix_rank``).
    """
    return max(shape[-2], shape[-1]) * eps * sigma_max


def polar_exact(g: Any, *, check: bool = True):
    """Polar factor ``U_r V_r^T`` of ``g`` (shape ``(..., m, n)``) from the thin SVD.

    Formula: with the thin SVD ``g = U diag(sigma) V^T`` and numerical rank
    ``r`` (singular values above ``max(m, n) * eps * sigma_max``), return
    ``sum_{i <= r} u_i v_i^T``.  This is the minimiser of ``||Q - g||_F`` over
    partial isometries with the range of ``g`` (Higham, *Functions of
    Matrices*, Thm 8.4) and the positive maximiser ``s(g)`` of the spectral
    unit ball (docs/norms.md section 2b).

    Null space: on the complements of the row and column spaces the result is
    exactly 0 (``Q v = 0`` for ``v`` orthogonal to the row space), which is the
    minimum-Frobenius choice among all maximisers (docs/norms.md section 3) and what
    every odd-polynomial iteration converges to.  A zero matrix gives a zero
    matrix.

    The input is divided by its largest absolute entry before the SVD so that
    magnitudes near the overflow or underflow limits of the dtype are safe;
    the polar factor is invariant under positive scaling.  float16 inputs are
    factorised in float32 and the result is cast back.

    Batched over leading dimensions; runs on any Array-API namespace with the
    ``linalg`` extension (NumPy, CuPy, array-api-strict).
    """
    xp = check_float_array(g, "g")
    if g.ndim < 2:
        raise ValueError(f"polar_exact needs ndim >= 2 (..., m, n), got shape {tuple(g.shape)}")
    if any(d == 0 for d in g.shape):
        raise ValueError(f"g has an empty dimension: shape {tuple(g.shape)}")
    if check:
        check_finite(g, "g")
    work = svd_working_dtype(xp, g.dtype)
    a = xp.astype(g, work)
    amax = xp.max(xp.abs(a), axis=(-2, -1), keepdims=True)
    a = a / xp.where(amax > 0, amax, xp.ones_like(amax))
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    eps = float(xp.finfo(work).eps)
    keep = s > rank_threshold(s[..., :1], tuple(g.shape), eps)
    q = (u * xp.astype(keep, work)[..., None, :]) @ vh
    return xp.astype(q, g.dtype)
