"""The scalar model of an odd-polynomial schedule (docs/polar.md section 2).

Every step of a Newton–Schulz-type iteration is an odd matrix polynomial,
``X <- c_0 X + c_1 (X X^T) X + c_2 (X X^T)^2 X + ...``, so in exact arithmetic
the singular vectors never move and the singular values follow the scalar map

    x_{t+1} = p_t(x_t),   p_t(x) = c_0 x + c_1 x^3 + c_2 x^5 + ...

From ``X_0 = G / s`` the iterate is ``X_k = U phi_k(Sigma / s) V^T`` with
``phi_k = p_k o ... o p_1``.  All error metrics are functions of the scalars
``phi_k(sigma_i / s)`` (docs/polar.md section 2 table):

* spectral distance ``||X_k - U V^T||_2 = max_i |1 - phi_k(x_i)|``;
* Frobenius distance ``||X_k - U V^T||_F = sqrt(sum_i (1 - phi_k(x_i))^2)``;
* orthogonality on the range ``||X_k^T X_k - I_r||_2 = max_i |phi_k(x_i)^2 - 1|``;
* output singular values ``|phi_k(x_i)|`` (a negative ``phi`` is a sign flip:
  the direction converges to ``-u_i v_i^T``);
* slope at zero ``phi_k'(0) = prod_t c_0^{(t)}``.

Conventions.  A polynomial is the tuple ``(c_0, c_1, ...)`` of its odd
coefficients (``x, x^3, x^5, ...``).  Point evaluation (:func:`odd_polynomial`,
:func:`compose`) uses only ``+``, ``*`` and so works on Python floats and on
arrays of any Array-API namespace.  The interval, fixed-point and band
analyses work on Python floats in float64 (they are design-time scalar
computations, never applied to user matrices), using NumPy's polynomial roots
for critical points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from ..backend import frobenius_norm

__all__ = [
    "Polynomial",
    "as_polynomial",
    "odd_polynomial",
    "odd_derivative",
    "compose",
    "compose_iterates",
    "slope_at_zero",
    "critical_points",
    "interval_image",
    "output_interval",
    "worst_case_error",
    "fixed_points",
    "FixedPoint",
    "absorbing_band",
    "ScalarPrediction",
    "predict",
]

Polynomial = tuple[float, ...]


def as_polynomial(coefficients: Iterable[float]) -> Polynomial:
    """Validate odd-polynomial coefficients ``(c_0, c_1, ...)`` and return them as floats.

    Raises ``ValueError`` for an empty or non-finite coefficient list.
    """
    poly = tuple(float(c) for c in coefficients)
    if not poly:
        raise ValueError("an odd polynomial needs at least one coefficient (c_0 of x)")
    if not all(math.isfinite(c) for c in poly):
        raise ValueError(f"odd-polynomial coefficients must be finite, got {poly}")
    return poly


def odd_polynomial(poly: Sequence[float], x: Any) -> Any:
    """``p(x) = x (c_0 + c_1 x^2 + c_2 x^4 + ...)``, Horner in ``x^2``.

    Works elementwise on floats and on arrays of any namespace.
    """
    y = x * x
    acc = poly[-1]
    for c in reversed(poly[:-1]):
        acc = acc * y + c
    return x * acc


def odd_derivative(poly: Sequence[float], x: Any) -> Any:
    """``p'(x) = c_0 + 3 c_1 x^2 + 5 c_2 x^4 + ...`` (Horner in ``x^2``)."""
    y = x * x
    k = len(poly) - 1
    acc = (2 * k + 1) * poly[-1]
    for j in range(k - 1, -1, -1):
        acc = acc * y + (2 * j + 1) * poly[j]
    return acc if k > 0 else acc + 0 * x


def compose(schedule: Sequence[Sequence[float]], x: Any) -> Any:
    """``phi_T(x) = p_T(...p_1(x))`` for the polynomials of ``schedule`` (docs/polar.md section 2)."""
    for poly in schedule:
        x = odd_polynomial(poly, x)
    return x


def compose_iterates(schedule: Sequence[Sequence[float]], x: Any) -> list:
    """``[phi_0(x) = x, phi_1(x), ..., phi_T(x)]``."""
    out = [x]
    for poly in schedule:
        out.append(odd_polynomial(poly, out[-1]))
    return out


def slope_at_zero(schedule: Sequence[Sequence[float]]) -> float:
    """``phi_T'(0) = prod_t c_0^{(t)}`` (docs/polar.md section 2; Muon: a^k, about 485 for k = 5)."""
    return float(np.prod([float(p[0]) for p in schedule])) if len(schedule) else 1.0


def critical_points(poly: Sequence[float], lo: float = -math.inf,
                    hi: float = math.inf) -> list[float]:
    """Real roots of ``p'`` in the open interval ``(lo, hi)``, sorted.

    ``p'(x) = sum_k (2k+1) c_k y^k`` with ``y = x^2``; each positive real root
    ``y`` gives the pair ``x = +-sqrt(y)``.  Roots are computed with
    ``numpy.roots`` and refined by Newton steps in float64.
    """
    poly = as_polynomial(poly)
    xs = []
    for x in _positive_sqrt_roots([(2 * k + 1) * c for k, c in enumerate(poly)]):
        x = _newton_refine_critical(poly, x)
        for cand in (x, -x):
            if lo < cand < hi:
                xs.append(cand)
    return sorted(xs)


def _positive_sqrt_roots(coeffs: Sequence[float]) -> list[float]:
    """``sqrt(y)`` for each positive real root ``y`` of ``sum_k coeffs[k] y^k`` (``numpy.roots``).

    Trailing zero coefficients are dropped; a constant has no roots.
    """
    coeffs = list(coeffs)
    while len(coeffs) > 1 and coeffs[-1] == 0.0:
        coeffs.pop()
    if len(coeffs) <= 1:
        return []
    return [math.sqrt(ry.real) for ry in np.roots(coeffs[::-1])
            if abs(ry.imag) <= 1e-9 * max(1.0, abs(ry.real)) and ry.real > 0]


def _newton_refine_critical(poly, x: float, rounds: int = 3) -> float:
    """A few Newton steps on p'(x) = 0 (p'' from the odd coefficients)."""
    for _ in range(rounds):
        d1 = odd_derivative(poly, x)
        # p''(x) = sum_k (2k+1)(2k) c_k x^{2k-1}
        d2 = sum((2 * k + 1) * (2 * k) * c * x ** (2 * k - 1) for k, c in enumerate(poly) if k)
        if d2 == 0 or not math.isfinite(d2):
            break
        step = d1 / d2
        if not math.isfinite(step) or abs(step) > 0.1 * abs(x):
            break
        x -= step
    return x


def interval_image(poly: Sequence[float], lo: float, hi: float) -> tuple[float, float]:
    """Exact image ``p([lo, hi]) = [min, max]`` of an interval under one polynomial.

    A continuous function maps an interval onto an interval whose ends are
    values at the endpoints or at interior critical points.
    """
    lo, hi = float(lo), float(hi)
    if not lo <= hi:
        raise ValueError(f"need lo <= hi, got [{lo}, {hi}]")
    pts = [lo, hi] + critical_points(poly, lo, hi)
    vals = [float(odd_polynomial(poly, x)) for x in pts]
    return min(vals), max(vals)


def output_interval(schedule: Sequence[Sequence[float]], lo: float,
                    hi: float) -> tuple[float, float]:
    """Exact image ``phi_T([lo, hi])`` by composing :func:`interval_image` step by step.

    This is the set of output singular values (signed) of every matrix whose
    normalised singular values lie in ``[lo, hi]`` (docs/polar.md section 2).
    """
    for poly in schedule:
        lo, hi = interval_image(poly, lo, hi)
    return lo, hi


def worst_case_error(schedule: Sequence[Sequence[float]], lo: float, hi: float) -> float:
    """``sup_{x in [lo, hi]} |1 - phi_T(x)|`` = worst spectral error over that input interval.

    Computed exactly from :func:`output_interval`: ``max(|1 - y_lo|, |1 - y_hi|)``.
    This is the quantity Polar Express minimises (docs/polar.md section 8.1).
    """
    ylo, yhi = output_interval(schedule, lo, hi)
    return max(abs(1.0 - ylo), abs(1.0 - yhi))


@dataclass(frozen=True)
class FixedPoint:
    """A positive fixed point ``x* = p(x*)`` with its multiplier ``p'(x*)``.

    ``kind`` is ``"superattracting"`` (``|p'| < 1e-12``), ``"attracting"``
    (``|p'| < 1``), ``"neutral"`` or ``"repelling"`` (``|p'| > 1``).
    """

    x: float
    derivative: float
    kind: str


def fixed_points(poly: Sequence[float]) -> list[FixedPoint]:
    """Positive fixed points of one odd polynomial, sorted, with their stability.

    ``p(x) = x`` with ``x > 0`` means ``(c_0 - 1) + c_1 y + c_2 y^2 + ... = 0``
    in ``y = x^2``.  (``x = 0`` is always fixed, with multiplier ``c_0``.)
    Examples: cubic NS has the single positive fixed point 1 (superattracting,
    docs/polar.md section 5.1); Padé's quintic has 1 (superattracting) and
    sqrt(7/3) (repelling, section 5.2); Muon's quintic has two repelling
    ones, about 0.868 and 1.264 (section 6).
    """
    poly = as_polynomial(poly)
    out = []
    # p(x) = c_0 x has no positive fixed point unless c_0 == 1 (then all are): no roots
    for x in _positive_sqrt_roots([poly[0] - 1.0] + list(poly[1:])):
        for _ in range(3):  # Newton on p(x) - x
            f = float(odd_polynomial(poly, x)) - x
            df = float(odd_derivative(poly, x)) - 1.0
            if df == 0:
                break
            x -= f / df
        d = float(odd_derivative(poly, x))
        if abs(d) < 1e-12:
            kind = "superattracting"
        elif abs(d) < 1 - 1e-12:
            kind = "attracting"
        elif abs(d) <= 1 + 1e-12:
            kind = "neutral"
        else:
            kind = "repelling"
        out.append(FixedPoint(x, d, kind))
    return sorted(out, key=lambda f: f.x)


def absorbing_band(poly: Sequence[float], center: float | None = None, *,
                   max_iter: int = 10_000) -> tuple[float, float]:
    """Smallest closed interval ``J`` containing the interior fixed point with ``p(J) ⊆ J``.

    ``center`` defaults to the positive fixed point closest to 1.  Starting
    from ``J_0 = [x*(1 - 1e-9), x*(1 + 1e-9)]`` the hulls
    ``J_{k+1} = hull(J_k ∪ p(J_k))`` grow monotonically; they reach the
    smallest invariant interval around ``x*`` in finitely many steps once a
    critical point is inside (its ends are then critical values).  For an
    attracting fixed point the result is (numerically) ``[x*, x*]``: the
    iteration converges.  For Keller Jordan's quintic it is about
    ``[0.68, 1.13]`` (docs/polar.md section 6): a singular value that enters it
    never leaves, and the iteration never converges to 1.

    Raises ``ValueError`` if the hulls grow without bound (no absorbing band).
    """
    poly = as_polynomial(poly)
    fps = fixed_points(poly)
    if center is None:
        if not fps:
            raise ValueError(f"polynomial {poly} has no positive fixed point")
        center = min(fps, key=lambda f: abs(f.x - 1.0)).x
    fp = [f for f in fps if abs(f.x - center) <= 1e-9 * max(1.0, center)]
    if fp and fp[0].kind in ("superattracting", "attracting"):
        return (center, center)
    lo, hi = center * (1 - 1e-9), center * (1 + 1e-9)
    for _ in range(max_iter):
        ilo, ihi = interval_image(poly, lo, hi)
        nlo, nhi = min(lo, ilo), max(hi, ihi)
        if nlo == lo and nhi == hi:
            return lo, hi
        if not (math.isfinite(nlo) and math.isfinite(nhi)) or nhi - nlo > 1e6:
            break
        lo, hi = nlo, nhi
    raise ValueError(f"no absorbing band around x* = {center} for polynomial {poly}")


@dataclass(frozen=True)
class ScalarPrediction:
    """Scalar-model prediction for one matrix (docs/polar.md section 2 table).

    ``phi`` holds ``phi_T(sigma_i / s)`` (signed) for the range singular values.
    """

    phi: Any
    spectral_error: float
    frobenius_error: float
    orthogonality_error: float
    output_min: float
    output_max: float
    sign_flips: int
    input_interval: tuple[float, float]
    output_rms: float = math.nan


def predict(schedule: Sequence[Sequence[float]], sigma: Any, scale: float,
            shape: tuple[int, int] | None = None) -> ScalarPrediction:
    """Predict the metrics of a schedule on a matrix with range singular values ``sigma``.

    ``x_i = sigma_i / scale`` (``scale = s`` of the normalisation, docs/polar.md
    section 4); then ``phi = phi_T(x)`` and the metrics of the section 2
    table.  ``frobenius_error`` is ``sqrt(sum (1 - phi_i)^2)`` (not divided by
    ``sqrt(r)``); with ``shape = (m, n)`` also the output RMS
    ``sqrt(sum phi_i^2 / (m n))``.  Computed in float64 NumPy (a reporting edge).
    """
    x = np.asarray(sigma, dtype=np.float64) / float(scale)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"sigma must be a non-empty 1-D list of range singular values, got {x.shape}")
    phi = compose(schedule, x)
    return ScalarPrediction(
        phi=phi,
        spectral_error=float(np.max(np.abs(1.0 - phi))),
        frobenius_error=float(frobenius_norm(1.0 - phi)),
        orthogonality_error=float(np.max(np.abs(phi * phi - 1.0))),
        output_min=float(np.min(np.abs(phi))),
        output_max=float(np.max(np.abs(phi))),
        sign_flips=int(np.sum(phi < 0)),
        input_interval=(float(np.min(x)), float(np.max(x))),
        output_rms=(float(frobenius_norm(phi)) / math.sqrt(shape[0] * shape[1])
                    if shape is not None else math.nan),
    )
