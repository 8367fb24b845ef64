"""Distances from an approximate polar factor to ``U_r V_r^T`` (docs/polar.md sections 1, 2, 10).

Ground truth is computed in float64 from the full SVD of ``G`` (section 1):
rank ``r`` counts ``sigma_i > max(m, n) * eps64 * sigma_max``; comparisons
are made on the range of ``G``, and separately the leakage of ``Q`` onto the
complements (``||Q V_perp||_2``, ``||U_perp^T Q||_2``), because an SVD's
completion of the null directions is arbitrary while every odd-polynomial
iteration maps them to exactly 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..backend import check_finite, check_float_array, namespace
from .exact import rank_threshold

__all__ = ["PolarErrors", "PolarReference", "polar_reference", "polar_errors"]


@dataclass(frozen=True)
class PolarReference:
    """Full float64 SVD of ``G`` with its numerical rank (reusable across many ``Q``)."""

    u: Any
    s: Any
    vh: Any
    rank: int
    shape: tuple[int, int]


def polar_reference(g: Any, *, rank_eps: float | None = None) -> PolarReference:
    """Float64 full SVD of a 2-D ``g`` and its rank ``r = #{sigma_i > max(m,n) eps sigma_max}``.

    ``eps`` is ``rank_eps`` when given, else the machine epsilon of ``g``'s
    dtype (so a float32 input rounded from a rank-deficient matrix keeps its
    rank: rounding noise sits below the threshold, as in ``polar_exact``).
    """
    xp = check_float_array(g, "g")
    eps = float(xp.finfo(g.dtype).eps) if rank_eps is None else float(rank_eps)
    if g.ndim != 2:
        raise ValueError(f"need a 2-D g, got shape {tuple(g.shape)}")
    check_finite(g, "g")
    f64 = xp.float64
    u, s, vh = xp.linalg.svd(xp.astype(g, f64), full_matrices=True)
    smax = float(s[0]) if s.shape[0] else 0.0
    thr = rank_threshold(smax, tuple(g.shape), eps)
    r = int(xp.sum(xp.astype(s > thr, xp.int64))) if smax > 0 else 0
    return PolarReference(u, s, vh, r, (int(g.shape[0]), int(g.shape[1])))


@dataclass(frozen=True)
class PolarErrors:
    """Measured errors of ``Q`` against ``P = U_r V_r^T`` (all in float64).

    * ``spectral = ||Q - P||_2`` (the whole matrix, null-space leakage included);
    * ``frobenius_rms = ||Q - P||_F / sqrt(r)``;
    * ``orthogonality = ||(Q V_r)^T (Q V_r) - I_r||_2`` (``Q^T Q - I`` on the range);
    * ``out_min``, ``out_max``: extreme singular values of ``Q V_r``;
    * ``leakage = max(||Q V_perp||_2, ||U_perp^T Q||_2)`` (0 at full rank);
    * ``vector_error = ||W - diag(W)||_2`` with ``W = U_r^T Q V_r``: zero iff the
      singular vectors of ``Q`` on the range are those of ``G`` (for distinct
      singular values);
    * ``projections = diag(W)``: the signed ``u_i^T Q v_i`` that the scalar
      model predicts as ``phi_T(sigma_i / s)``; ``sign_flips`` counts negative ones;
    * ``sigma``: the ``r`` range singular values of ``G`` (descending), ``rank = r``.
    """

    spectral: float
    frobenius_rms: float
    orthogonality: float
    out_min: float
    out_max: float
    leakage: float
    vector_error: float
    sign_flips: int
    rank: int
    projections: Any
    sigma: Any


def polar_errors(q: Any, g: Any = None, *, reference: PolarReference | None = None) -> PolarErrors:
    """Measure ``q`` (an approximate polar factor) against the exact ``U_r V_r^T`` of ``g``.

    ``q`` and ``g`` are 2-D arrays of one namespace with the same shape (or
    pass ``reference=polar_reference(g)`` to reuse one SVD); the work is in
    float64.  Formulas: see :class:`PolarErrors`.
    """
    xp = check_float_array(q, "q")
    if reference is None:
        if g is None:
            raise ValueError("pass g or reference=polar_reference(g)")
        namespace(q, g)  # same library
        reference = polar_reference(g)
    if q.ndim != 2 or tuple(q.shape) != reference.shape:
        raise ValueError(f"need a 2-D q of shape {reference.shape}, got {tuple(q.shape)}")
    check_finite(q, "q")
    f64 = xp.float64
    Q = xp.astype(q, f64)
    m, n = reference.shape
    u, s, vh, r = reference.u, reference.s, reference.vh, reference.rank
    if r == 0:
        spec = float(xp.max(xp.linalg.svdvals(Q))) if min(m, n) else 0.0
        empty = xp.zeros((0,), dtype=f64)
        return PolarErrors(spec, math.nan, math.nan, math.nan, math.nan, spec, 0.0, 0, 0,
                           empty, empty)
    ur, vr = u[:, :r], xp.matrix_transpose(vh[:r, :])
    p = ur @ xp.matrix_transpose(vr)
    d = Q - p
    spectral = float(xp.max(xp.linalg.svdvals(d)))
    frob = float(xp.linalg.matrix_norm(d, ord="fro")) / math.sqrt(r)
    qv = Q @ vr
    gram = xp.matrix_transpose(qv) @ qv - xp.eye(r, dtype=f64)
    orth = float(xp.max(xp.abs(xp.linalg.eigvalsh(gram))))
    sv = xp.linalg.svdvals(qv)
    w = xp.matrix_transpose(ur) @ qv
    diag = xp.linalg.diagonal(w)
    off = w - xp.eye(r, dtype=f64) * diag[None, :]
    vec_err = float(xp.max(xp.linalg.svdvals(off))) if r > 1 else 0.0
    leak = 0.0
    if r < n:
        leak = max(leak, float(xp.max(xp.linalg.svdvals(Q @ xp.matrix_transpose(vh[r:, :])))))
    if r < m:
        leak = max(leak, float(xp.max(xp.linalg.svdvals(xp.matrix_transpose(u[:, r:]) @ Q))))
    return PolarErrors(
        spectral=spectral, frobenius_rms=frob, orthogonality=orth,
        out_min=float(xp.min(sv)), out_max=float(xp.max(sv)), leakage=leak,
        vector_error=vec_err, sign_flips=int(xp.sum(xp.astype(diag < 0, xp.int64))),
        rank=r, projections=diag, sigma=s[:r],
    )
