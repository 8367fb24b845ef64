"""Work counts of a Newton–Schulz call, and the shape rule that picks the Gram form.

Counts follow docs/polar.md sections 3 and 9.2 with a multiply–add as 2 FLOPs and
only the matrix products counted (elementwise work is ``O(p^2 + pq)`` per
step, negligible).  ``p = min(m, n)``, ``q = max(m, n)``.

A product ``A A^T`` has a symmetric output; BLAS libraries that detect it
(NumPy with OpenBLAS/MKL runs ``x @ x.T`` through ``syrk``) compute one
triangle: ``p (p + 1) k`` FLOPs instead of ``2 p^2 k`` for ``A`` of shape
``(p, k)``.  ``symmetric=True`` counts those products that way ("as
executed" on NumPy); ``symmetric=False`` counts every product as a full GEMM
(cuBLAS ``matmul``).

Standard form, one step with ``p(x) = c_0 x + ... + c_K x^(2K+1)``:
``A = X X^T`` (symmetric), ``A^2 = A A^T`` (symmetric), ``A^k`` for ``k >= 3``
(full), ``B X`` (full ``2 p^2 q``); a linear step (``K = 0``) is elementwise.

Gram form (docs/polar.md section 9.2, after Dao-AILab/gram-newton-schulz): one
``R = X X^T``, then per step the powers of ``R`` as above, ``Q <- Q P``
(skipped on the first step after a (re)start, where ``Q = P``), ``R <- P (R P)``
(two full ``p^3`` products, skipped when a restart or the end follows), and
per restart ``X <- Q X`` plus a new ``R``; finally ``X <- Q X``.  A linear
step (``P = c_0 I``) only scales ``Q`` (or ``X``) and ``R``.
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["newton_schulz_flops", "prefers_gram", "gram_restarts", "GRAM_AMPLIFICATION",
           "GRAM_MIN_SAVING"]

#: largest rounding amplification ``prod c_0^2`` allowed between two restarts
#: of the Gram form: ``"native"`` for float32/float64, ``"low"`` for float16
#: and emulated bfloat16 (see :func:`gram_restarts`).  Measured, not derived
#: (issue 14; emulated bfloat16, 12 matrices of 32x128 to 192x48, worst
#: ||Q - UV^T||_2): Muon's two-step segments (prod 141) are no worse than the
#: standard form (0.353 vs 0.384), Polar Express's steps 3-4 together (prod 168)
#: are worse (0.365 vs 0.317) and one step per segment is not (0.247); in
#: float32 one restart for the 5-step schedules leaves the error unchanged, and
#: 14-step Pade-7 with segments of 4 (prod 526) stays at 1.1e-13 in float64.
GRAM_AMPLIFICATION = {"native": 2000.0, "low": 150.0}


def gram_restarts(polynomials: Sequence[Sequence[float]],
                  low_precision: bool = False) -> tuple[int, ...]:
    """Default restart points of the Gram form, from the schedule's linear coefficients.

    Why restarts: an eigenvalue of ``R`` that rounding pushed to (or below) 0
    is multiplied by ``P(0)^2 = c_0^2`` at every step until ``R`` is rebuilt
    from ``X`` (about 12 per Muon step, 68 for Polar Express's first), so a
    rounding error ``u`` grows to ``u prod c_0^2`` within one segment.  Greedy
    rule: restart after step ``t - 1`` whenever including step ``t`` would
    push the segment's ``prod c_0^2`` above :data:`GRAM_AMPLIFICATION`
    (linear steps scale everything alike and count 1).  For You's 5-step list
    and Polar Express (T=5) in float32 this gives one restart after step 2,
    the gram-newton-schulz default; Muon's quintic restarts after step 3.
    """
    limit = GRAM_AMPLIFICATION["low" if low_precision else "native"]
    stops, amp = [], 1.0
    for t, poly in enumerate(polynomials, 1):
        growth = float(poly[0]) ** 2 if len(poly) > 1 else 1.0
        if amp * growth > limit and amp > 1.0:
            stops.append(t - 1)
            amp = 1.0
        amp *= growth
    return tuple(stops)


def _sym(p: int, k: int, symmetric: bool) -> int:
    """FLOPs of ``A A^T`` for ``A`` of shape ``(p, k)``."""
    return p * (p + 1) * k if symmetric else 2 * p * p * k


def _powers(p: int, degree_k: int, symmetric: bool) -> int:
    """FLOPs of ``A^2, ..., A^K`` for a ``p x p`` symmetric ``A`` (``A^2 = A A^T``)."""
    if degree_k < 2:
        return 0
    return _sym(p, p, symmetric) + (degree_k - 2) * 2 * p**3


def newton_schulz_flops(shape: Sequence[int], polynomials: Sequence[Sequence[float]], *,
                        gram: bool = False, restarts: Sequence[int] | None = None,
                        symmetric: bool = True) -> int:
    """Matrix-product FLOPs of one Newton–Schulz call on one ``(m, n)`` matrix.

    See the module docstring for what is counted; ``restarts`` (Gram form
    only) are the step counts after which ``X`` is rebuilt, as in
    :func:`~gluon_ref.polar.iterations.newton_schulz`.
    """
    m, n = int(shape[-2]), int(shape[-1])
    p, q = min(m, n), max(m, n)
    polys = [tuple(c) for c in polynomials]
    total = 0
    if not gram:
        for poly in polys:
            k = len(poly) - 1
            if k >= 1:
                total += _sym(p, q, symmetric) + _powers(p, k, symmetric) + 2 * p * p * q
        return total
    if restarts is None:
        restarts = gram_restarts(polys)
    stops = {int(r) for r in restarts if 0 < int(r) < len(polys)}
    if all(len(poly) == 1 for poly in polys):
        return 0                                       # only scalings: no products at all
    total += _sym(p, q, symmetric)                     # R = X X^T
    fresh = True                                       # Q = I (not stored) since the (re)start
    for t, poly in enumerate(polys, 1):
        if len(poly) > 1:                              # (a linear step only scales Q or X, and R)
            total += _powers(p, len(poly) - 1, symmetric)
            if not fresh:
                total += 2 * p**3                      # Q <- Q P
            fresh = False
            if t not in stops and t < len(polys):
                total += 2 * 2 * p**3                  # R <- P (R P)
        if t in stops and not fresh:
            total += 2 * p * p * q + _sym(p, q, symmetric)   # X <- Q X, R <- X X^T
            fresh = True
    return total + (0 if fresh else 2 * p * p * q)     # X <- Q X


#: the automatic choice takes the Gram form only when it saves at least this fraction of the
#: standard form's FLOPs: near aspect ratio 2 the two forms run almost the same products in
#: another order (with a restart after every step the Gram form *is* the standard step), and
#: the Gram form is slightly less accurate at the rounding level of long convergent schedules.
GRAM_MIN_SAVING = 0.1


def prefers_gram(shape: Sequence[int], polynomials: Sequence[Sequence[float]], *,
                 restarts: Sequence[int] | None = None) -> bool:
    """The automatic choice: the Gram form when it executes at least
    :data:`GRAM_MIN_SAVING` fewer FLOPs than the standard one.

    Both counted with symmetric products at half cost.  For 5 quintic steps
    with one restart the two forms cost ``(23 + 6r) p^3`` and ``(15 r + 5) p^3``
    at aspect ratio ``r = q/p`` (equal at ``r = 2``, docs/polar.md 9.2's break-even),
    so the Gram form is chosen from ``r`` about 2.5 on, and never for square
    matrices (``29 p^3`` against ``20 p^3``).
    """
    polys = [tuple(c) for c in polynomials]
    return (newton_schulz_flops(shape, polys, gram=True, restarts=restarts)
            <= (1.0 - GRAM_MIN_SAVING) * newton_schulz_flops(shape, polys, gram=False))
