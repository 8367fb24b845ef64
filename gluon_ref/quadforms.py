"""Maxima of quadratic forms over norm balls: ``q* = max_{||D|| <= 1} <D, A(D)>``.

For a self-adjoint positive semidefinite operator ``A`` on ``m x n`` matrices,
``q*`` is the best constant ``L0`` of Assumption 1 (docs/theory.md section 4, with
``L1 = 0``) for the quadratic ``1/2 <X, A X>`` posed in the norm (the proof is
in :mod:`gluon_ref.objectives.quadratics`).  ``q*`` maximises a convex
function over a convex compact set, so it is attained at an extreme point of
the unit ball (Bauer's maximum principle).  Each
:class:`~gluon_ref.geometry.Geometry` evaluates ``q*`` on its extreme points
(:meth:`~gluon_ref.geometry.Geometry.quadratic`) for three kinds of operator:

* ``"left"``:        ``A(D) = H D``  (H symmetric PSD, m x m);
* ``"right"``:       ``A(D) = D K``  (K symmetric PSD, n x n);
* ``"elementwise"``: ``A(D) = W * D`` (W >= 0 entrywise, m x n).

This module holds what those rules share: the result record
:class:`QuadConstant`, the PSD check and the semidefinite bound
:func:`sdp_maxqp_bound`.

The rules (base norms; ``"right"`` is ``"left"`` on ``D^T`` in the transposed
geometry, so ColNorm and RowNorm swap and ``m`` and ``n`` swap):

==================  ===========================  =================================  =========
base norm           left H                       elementwise W                      tight
==================  ===========================  =================================  =========
Frobenius           lambda_max(H)                max W                              exact
spectral            sum of top min(m,n) eig(H)   max-weight assignment of W         exact
nuclear             lambda_max(H)                max W                              exact
entrywise l1        max_i H_ii                   max W                              exact
1->l2 (col)         n lambda_max(H)              sum_j max_i W_ij                   exact
l2->inf (row)       SDP bound (below)            sum_i max_j W_ij                   >= 2/pi
entrywise max       n * SDP bound                sum W                              >= 2/pi
inf->inf (row l1)   SDP bound                    sum_i max_j W_ij                   >= 2/pi
==================  ===========================  =================================  =========

and for ``"right"`` on the inf->inf norm ``m max_k K_kk`` (exact).

Derivations:

* spectral, left: extreme points are semi-orthogonal ``Q``; ``<Q, H Q> =
  tr(H Q Q^T)`` and ``Q Q^T`` is an orthogonal projector of rank
  ``min(m, n)``, so by Ky Fan the maximum is the sum of the top ``min(m, n)``
  eigenvalues, attained by the top eigenvectors.
* spectral, elementwise: for semi-orthogonal ``Q`` (``m <= n``) the matrix
  ``P = Q * Q`` is entrywise >= 0 with unit row sums and column sums <= 1, a
  polytope whose vertices are partial assignments (totally unimodular); so
  ``<W, P>`` is at most the max-weight assignment, attained by the
  corresponding partial permutation matrix (which is semi-orthogonal).
* row (l2->inf), left: ``<D, H D> = <H, G>`` with the Gram matrix ``G = D D^T``
  (PSD, unit diagonal at extreme points, rank <= n).  For any ``d`` in R^m,
  ``y = d + lambda_max(H - diag d) 1`` satisfies ``diag(y) >= H`` (Loewner),
  hence ``<H, G> <= <diag y, G> = sum y`` (and ``y >= diag H >= 0``).  So
  ``SDP(H) := min_d sum(d) + m lambda_max(H - diag d)`` is a valid bound for
  *every* ``d`` (``d = 0`` gives ``m lambda_max(H)``); we minimise this convex
  function numerically and add a rounding margin.  It equals the semidefinite
  relaxation, which is exact when ``n >= m`` and within a factor ``pi/2`` in
  general (Nesterov 1998, "Semidefinite relaxation and nonconvex quadratic
  optimization", PSD case).
* entrywise max, left: the columns are independent vectors in the cube,
  ``sum_j d_j^T H d_j <= n max_{|d| <= 1} d^T H d <= n SDP(H)``, same ``2/pi``.
* inf->inf (rows in the l1 ball), left: every row has ``||D_i:||_2 <=
  ||D_i:||_1 <= 1``, so the row bound ``SDP(H)`` is valid; ``D = s e_1^T``
  with ``s`` in ``{-1, 1}^m`` is feasible, so ``q* >= max_s s^T H s >= (2/pi)
  SDP(H)`` (Nesterov).  Right: the rows are independent points of the l1
  ball, each contributing ``max_{||r||_1 <= 1} r K r^T = max_k K_kk`` (a
  vertex ``+-e_k``).
* elementwise: ``sum_ij W_ij D_ij^2`` with ``sum_j D_ij^2 <= 1`` per row (row;
  per row ``sum_j |D_ij| <= 1`` for inf->inf, whose vertices are single
  entries), per column (col), ``|D_ij| <= 1`` (entrywise max), ``sum D^2 <= 1``
  (Frobenius, nuclear's rank-one extreme points give ``p^T W q`` with p, q in
  the simplex, l1's vertices single entries): the maxima stated.

A scaled norm ``c ||.||_base`` divides ``q*`` by ``c^2`` (docs/norms.md section 1).

Sources: docs/theory.md section 4 (Assumption 1), docs/norms.md section 1 and section 5 item 7;
Gluon, arXiv 2505.13416.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["KINDS", "QuadConstant", "check_psd", "sdp_maxqp_bound"]

#: operator kinds ``A(D) = H D``, ``D K``, ``W * D``
KINDS = ("left", "right", "elementwise")


@dataclass(frozen=True)
class QuadConstant:
    """A bound on ``q*``, its proved tightness (``q* >= tightness * value``) and derivation."""

    value: float
    tightness: float
    note: str


def check_psd(M: np.ndarray, what: str) -> np.ndarray:
    """``M`` as a symmetric float64 PSD matrix; ``ValueError`` naming ``what`` otherwise.

    Symmetry to ``1e-12`` relative, smallest eigenvalue ``>= -1e-10 lambda_max``
    (rounding of a PSD matrix built in float64); the returned matrix is ``(M + M^T)/2``.
    """
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"{what} must be a square matrix, got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ValueError(f"{what} has non-finite entries")
    if not np.allclose(M, M.T, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(M).max())):
        raise ValueError(f"{what} must be symmetric")
    M = (M + M.T) / 2
    lam = np.linalg.eigvalsh(M)
    if lam[0] < -1e-10 * max(1.0, abs(lam[-1])):
        raise ValueError(f"{what} must be positive semidefinite, smallest eigenvalue {lam[0]:.3e}")
    return M


def sdp_maxqp_bound(H: np.ndarray) -> float:
    """Valid upper bound on ``max {<H, G> : G PSD, diag(G) <= 1}`` for PSD ``H``.

    ``SDP(H) = min_d sum(d) + m lambda_max(H - diag d)`` (module docstring, row rule):
    every ``d`` gives a valid bound, the minimiser gives the semidefinite
    relaxation value.  Minimised by L-BFGS-B (gradient ``1 - m v*v`` with the
    top eigenvector ``v``) from ``d = 0`` and from the Gershgorin choice; the
    final eigenvalue is recomputed and a rounding margin
    ``8 m^2 eps ||H||_F`` (bounding eigvalsh's backward error) is added.
    """
    from scipy.optimize import minimize

    H = check_psd(H, "H")
    m = H.shape[0]
    scale = float(np.abs(H).max())
    if scale == 0:
        return 0.0
    Hs = H / scale

    def phi(d):
        w, v = np.linalg.eigh(Hs - np.diag(d))
        top = v[:, -1]
        return d.sum() + m * w[-1], 1.0 - m * top * top

    starts = [np.zeros(m), np.diag(Hs) + np.abs(Hs - np.diag(np.diag(Hs))).sum(axis=1)]
    best_d, best = None, math.inf
    for d0 in starts:
        res = minimize(phi, d0, jac=True, method="L-BFGS-B",
                       options={"maxiter": 500, "gtol": 1e-12, "ftol": 1e-15})
        val = phi(res.x)[0]
        if val < best:
            best, best_d = val, res.x
        if phi(d0)[0] < best:
            best, best_d = phi(d0)[0], d0
    lam = float(np.linalg.eigvalsh(Hs - np.diag(best_d))[-1])
    eps = np.finfo(np.float64).eps
    margin = 8 * m * m * eps * float(np.linalg.norm(Hs))
    bound = float(best_d.sum() + m * (lam + margin))
    return bound * scale
