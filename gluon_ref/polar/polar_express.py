"""Polar Express: optimal odd-polynomial schedules designed at run time (docs/polar.md section 8).

Source: Amsel, Persson, Musco, Gower, "The Polar Express: Optimal Matrix Sign
Methods and Their Application to the Muon Algorithm", arXiv 2505.16932, and
its reference code (repository NoahAmsel/PolarExpress), as summarised in
docs/polar.md sections 8.1-8.5.

What is implemented (the recipe of docs/polar.md section 8.5, "what the suite
implements"):

* :func:`remez_odd` — the *simplified Remez* method of section 8.3 for the
  minimax odd polynomial of degree ``2K+1`` approximating 1 on ``[l, u]``:
  solve the ``(K+2) x (K+2)`` equioscillation system
  ``p(x_j) = 1 + (-1)^{j+1} E`` on the points ``l = x_0 < x_1 < ... < x_K <
  x_{K+1} = u``, move the interior points to the positive critical points of
  ``p``, repeat until ``|E|`` changes by at most ``1e-15``.  The first trial
  points are the Chebyshev extrema ``l + (u - l)(1 - cos(j pi/(K+1)))/2``,
  which for degree 5 are exactly section 8.3's ``q = (3l+u)/4`` and
  ``r = (l+3u)/4``.  Nearly degenerate intervals (``l/u >= 1 - 5e-6``)
  return the Newton–Schulz (Padé) polynomial of that degree rescaled to
  ``u``, as section 8.3 step 1 prescribes.
* :func:`optimal_quintic` — degree 5 (section 8.3), :func:`optimal_cubic` —
  the degree-3 closed form of section 8.2 (``p(x) = beta p_NS(alpha x)``).
* :func:`design_polar_express` — the greedy composition of section 8.5 with
  the cushion-and-recentre *code rule* of section 8.4 (the rule the
  published lists follow), and the safety factor in *folded* or
  *raw-then-scale* mode.

The whole design runs on Python floats in float64 (NumPy's dense solve for the
small linear systems): it manipulates scalars, never the user's matrices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Sequence

import numpy as np

from ..backend import check_count
from .scalar_model import Polynomial, critical_points, odd_polynomial, worst_case_error

__all__ = [
    "RemezResult",
    "newton_schulz_polynomial",
    "remez_odd",
    "optimal_quintic",
    "optimal_cubic",
    "apply_safety",
    "PolarExpressDesign",
    "design_polar_express",
    "PUBLISHED_RECIPES",
    "published_recipe",
]

#: section 8.3 step 1: intervals with l/u at or above this are treated as degenerate
DEGENERATE_RATIO = 1 - 5e-6


def newton_schulz_polynomial(degree: int) -> Polynomial:
    """Odd coefficients of the degree-``2K+1`` Newton–Schulz (Padé) polynomial.

    ``p(x) = x sum_{k=0}^{K} binom(2k, k) 4^{-k} (1 - x^2)^k``, the truncated
    Taylor series of ``x (1 - (1 - x^2))^{-1/2}``; degree 3 gives
    ``1.5x - 0.5x^3`` (section 5.1), degree 5 ``(15x - 10x^3 + 3x^5)/8`` and
    degree 7 ``(35x - 35x^3 + 21x^5 - 5x^7)/16`` (section 5.2).  It satisfies
    ``p(1) = 1`` and ``p^{(j)}(1) = 0`` for ``1 <= j <= K``.
    """
    if degree < 1 or degree % 2 == 0:
        raise ValueError(f"degree must be a positive odd integer, got {degree}")
    K = (degree - 1) // 2
    coeffs = [0.0] * (K + 1)
    for k in range(K + 1):
        w = math.comb(2 * k, k) / 4.0 ** k
        # (1 - y)^k = sum_j binom(k, j) (-y)^j
        for j in range(k + 1):
            coeffs[j] += w * math.comb(k, j) * (-1.0) ** j
    return tuple(coeffs)


@dataclass(frozen=True)
class RemezResult:
    """Minimax odd polynomial on ``[l, u]``: coefficients, error ``E``, alternation points.

    ``max_{x in [l,u]} |1 - p(x)| = |E|`` at convergence; ``points`` are
    ``l, x_1, ..., x_K, u`` where ``p = 1 + (-1)^{j+1} E`` (``p(l) = 1 - E``).
    ``degenerate`` marks the rescaled Padé fallback of section 8.3 step 1.
    """

    coefficients: Polynomial
    error: float
    points: tuple[float, ...]
    rounds: int
    degenerate: bool = False


def remez_odd(l: float, u: float, degree: int = 5, *, tol: float = 1e-15,
              max_rounds: int = 100) -> RemezResult:
    """Simplified Remez for ``min_p max_{x in [l, u]} |1 - p(x)|`` over odd ``p`` of given degree.

    docs/polar.md section 8.3, generalised from degree 5 to any odd degree
    ``2K+1`` (for degree 5 it is exactly the section 8.3 algorithm, including
    its trial points and stopping rule).  See the module docstring.
    ``0 <= l <= u`` is required; ``l == 0`` is rejected (the best odd
    approximation of 1 near 0 has error 1).
    """
    l, u = float(l), float(u)
    if degree < 1 or degree % 2 == 0:
        raise ValueError(f"degree must be a positive odd integer, got {degree}")
    if not (math.isfinite(l) and math.isfinite(u)) or not 0 < l <= u:
        raise ValueError(f"need 0 < l <= u (finite), got l={l}, u={u}")
    K = (degree - 1) // 2
    if l / u >= DEGENERATE_RATIO or K == 0:
        if K == 0:  # linear: best c with |1 - c x| minimax -> c = 2/(l + u)
            c = 2.0 / (l + u)
            return RemezResult((c,), 1.0 - c * l, (l, u), 0, degenerate=False)
        coeffs = apply_safety(newton_schulz_polynomial(degree), u)
        err = 1.0 - float(odd_polynomial(coeffs, l))
        return RemezResult(coeffs, err, (l, u), 0, degenerate=True)
    interior = [l + (u - l) * (1 - math.cos(j * math.pi / (K + 1))) / 2 for j in range(1, K + 1)]
    E_old = math.inf
    coeffs: Polynomial = ()
    E = math.nan
    for rounds in range(1, max_rounds + 1):
        # rows x_j, x_j^3, ..., x_j^(2K+1), (-1)^j: p(x_j) + (-1)^j E = 1
        odd_powers = np.vander(np.array([l] + interior + [u]), 2 * K + 2, increasing=True)[:, 1::2]
        A = np.column_stack([odd_powers, (-1.0) ** np.arange(K + 2)])
        sol = np.linalg.solve(A, np.ones(K + 2))
        coeffs = tuple(float(v) for v in sol[:K + 1])
        E = float(sol[K + 1])
        crit = critical_points(coeffs, 0.0, math.inf)
        if len(crit) < K:
            raise ArithmeticError(
                f"Remez on [{l}, {u}] (degree {degree}): polynomial {coeffs} has "
                f"{len(crit)} positive critical points, expected {K}")
        interior = _interior_critical(coeffs, crit, K)
        if abs(E - E_old) <= tol:
            break
        E_old = E
    return RemezResult(coeffs, E, tuple([l] + interior + [u]), rounds)


def _interior_critical(coeffs, crit, K):
    """The K positive critical points used as the next interior trial points.

    For degree 5 these are the two roots of ``a + 3b x^2 + 5c x^4`` given by
    ``x^2 = (-3b -+ sqrt(9b^2 - 20ac)) / (10c)`` (section 8.3 step 4), computed
    here with that closed form; other degrees use the sorted numerical roots.
    """
    if K == 2:
        a, b, c = coeffs
        disc = 9 * b * b - 20 * a * c
        if disc >= 0 and c != 0:
            roots = sorted(math.sqrt(max(v, 0.0)) for v in (
                (-3 * b - math.sqrt(disc)) / (10 * c), (-3 * b + math.sqrt(disc)) / (10 * c)))
            return roots
    return sorted(crit)[:K]


def optimal_quintic(l: float, u: float) -> RemezResult:
    """Minimax odd quintic approximation of 1 on ``[l, u]`` (docs/polar.md section 8.3)."""
    return remez_odd(l, u, 5)


def optimal_cubic(l: float, u: float) -> RemezResult:
    """Closed-form minimax odd cubic on ``[l, u]`` (docs/polar.md section 8.2).

    ``p(x) = beta p_NS(alpha x)`` with ``p_NS(x) = 1.5x - 0.5x^3``,
    ``alpha = sqrt(3 / (u^2 + l u + l^2))``,
    ``beta = 4 / (2 + l u (l + u) alpha^3)``; it equioscillates at
    ``l, 1/alpha, u`` with ``p(l) = p(u) = 2 - beta``, ``p(1/alpha) = beta``,
    error ``beta - 1``.  For ``u = 1`` this is Chen & Chow's rescaled
    Newton–Schulz; it coincides with the cubic of CANS (arXiv 2506.10935).
    """
    l, u = float(l), float(u)
    if not (math.isfinite(l) and math.isfinite(u)) or not 0 < l <= u:
        raise ValueError(f"need 0 < l <= u (finite), got l={l}, u={u}")
    alpha = math.sqrt(3.0 / (u * u + l * u + l * l))
    beta = 4.0 / (2.0 + l * u * (l + u) * alpha ** 3)
    coeffs = (1.5 * beta * alpha, -0.5 * beta * alpha ** 3)
    return RemezResult(coeffs, beta - 1.0, (l, 1.0 / alpha, u), 0)


def apply_safety(poly: Sequence[float], nu: float) -> Polynomial:
    """``p(x / nu)``: divide ``c_k`` by ``nu^(2k+1)`` (docs/polar.md section 8.4, safety factor)."""
    if not nu > 0:
        raise ValueError(f"safety factor must be > 0, got {nu}")
    return tuple(float(c) / nu ** (2 * k + 1) for k, c in enumerate(poly))


@dataclass(frozen=True)
class PolarExpressDesign:
    """A designed Polar Express schedule and its guarantee.

    Attributes
    ----------
    polynomials:
        the ``T`` returned polynomials (safety applied as the mode says).
    raw:
        the recentred polynomials before any safety division.
    lower, upper:
        ``l_1, ..., l_{T+1}`` and ``u_1, ..., u_{T+1}`` of the greedy recursion
        ``l_{t+1} = p_t(l_t)``, ``u_{t+1} = 2 - l_{t+1}`` (``l_1 = l``,
        ``u_1 = u``), with ``p_t`` the polynomial the recursion actually used
        (the safety-divided one in folded mode, the raw one otherwise).
    remez_errors:
        ``E_t`` of each Remez solve on its (cushioned) design interval.
    final_error:
        ``1 - l_{T+1}``: the greedy guarantee ``sup_{x in [l, u]} |1 - phi_T(x)|``
        for the recursion's polynomials (section 8.1).  In folded mode these
        are the returned polynomials; in raw-then-scale mode they are ``raw``
        and the returned schedule's own worst case is :attr:`schedule_error`.
    schedule_error:
        ``sup_{x in [l, u]} |1 - phi_T(x)|`` of the returned polynomials,
        computed exactly by the scalar model's interval images.
    """

    polynomials: tuple[Polynomial, ...]
    raw: tuple[Polynomial, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    remez_errors: tuple[float, ...]
    final_error: float
    schedule_error: float
    l: float
    u: float
    steps: int
    degree: int
    cushion: float
    safety: float
    mode: str


def design_polar_express(l: float = 1e-3, steps: int = 5, *, degree: int = 5,
                         cushion: float = 0.02, safety: float = 1.01,
                         mode: str = "folded", u: float = 1.0) -> PolarExpressDesign:
    """Design a Polar Express schedule by the recipe of docs/polar.md section 8.5.

    1. ``u_1 = u`` (1 after Frobenius normalisation), ``l_1 = l``.
    2. For ``t = 1..T``: (i) minimax design on ``[max(l_t, c u_t), u_t]``
       (section 8.3; degree 3 uses the closed form of section 8.2);
       (ii) recentre: multiply by ``2 / (p(l_t) + p_max)`` with ``p(l_t)``
       at the *true* ``l_t`` and ``p_max`` the design's upper alternation
       value (``p(u_t)`` for degree 5) — a no-op when the cushion is inactive
       (section 8.4, code rule); (iii) in ``"folded"`` mode divide by the
       safety factor (``p(x/nu)``) when ``t < T``; (iv) record;
       (v) ``l_{t+1} = p_t(l_t)`` (clamped to at most 1, which it exceeds
       only by rounding), ``u_{t+1} = 2 - l_{t+1}``.
    3. In ``"raw"`` (raw-then-scale) mode, after the loop divide every
       polynomial except the last by the safety factor.

    The greedy scheme is optimal (arXiv 2505.16932, the paper's theorem;
    section 8.1) and its final error is exactly ``1 - l_{T+1}``.  Published
    parameter sets are in :data:`PUBLISHED_RECIPES`.  ``safety = 1`` turns the
    safety factor off and ``cushion = 0`` turns cushioning off.
    """
    if mode not in ("folded", "raw"):
        raise ValueError(f"mode must be 'folded' or 'raw' (raw-then-scale), got {mode!r}")
    steps = check_count("steps", steps, minimum=1)
    if not (math.isfinite(cushion) and 0 <= cushion < 1):
        raise ValueError(f"cushion must be in [0, 1), got {cushion}")
    if not (math.isfinite(safety) and safety >= 1):
        raise ValueError(f"safety must be >= 1, got {safety}")
    l0, u0 = float(l), float(u)
    if not (math.isfinite(l0) and math.isfinite(u0)) or not 0 < l0 <= u0:
        raise ValueError(f"need 0 < l <= u (finite), got l={l0}, u={u0}")
    K = (degree - 1) // 2
    lt, ut = l0, u0
    lower, upper, raws, polys, errs = [lt], [ut], [], [], []
    for t in range(1, steps + 1):
        lo_design = max(lt, cushion * ut)
        res = optimal_cubic(lo_design, ut) if degree == 3 else remez_odd(lo_design, ut, degree)
        p = res.coefficients
        p_low = float(odd_polynomial(p, lt))
        if res.degenerate or K % 2 == 0:
            p_high = float(odd_polynomial(p, ut))          # p(u) is a maximum
        else:
            p_high = float(odd_polynomial(p, res.points[-2]))  # last interior point is the maximum
        rescale = 2.0 / (p_low + p_high)
        p = tuple(c * rescale for c in p)
        raws.append(p)
        if mode == "folded" and t < steps:
            p = apply_safety(p, safety)
        polys.append(p)
        errs.append(res.error)
        # l_{t+1} <= 1 in exact arithmetic (the minimum of p on [l_t, u_t] is
        # at most 1); it can exceed 1 by rounding once converged: clamp.
        lt = min(float(odd_polynomial(p, lt)), 1.0)
        ut = 2.0 - lt
        lower.append(lt)
        upper.append(ut)
    if mode == "raw":
        polys = [apply_safety(p, safety) for p in raws[:-1]] + [raws[-1]]
    return PolarExpressDesign(
        polynomials=tuple(polys), raw=tuple(raws), lower=tuple(lower), upper=tuple(upper),
        remez_errors=tuple(errs), final_error=1.0 - lower[-1],
        schedule_error=worst_case_error(polys, l0, u0),
        l=l0, u=u0, steps=steps, degree=degree, cushion=float(cushion),
        safety=float(safety), mode=mode,
    )


#: The published parameter sets of docs/polar.md section 8.5 (all with l = 1e-3).
#: ``normalization``/``norm_safety``/``eps`` give the run-time scale
#: ``s = norm_safety * ||X||_F + eps``.
PUBLISHED_RECIPES: dict[str, dict] = {
    "paper": dict(
        design=dict(l=1e-3, steps=8, cushion=0.02407327424182761, safety=1.01, mode="raw"),
        norm_safety=1.01, eps=1e-7,
        note="the paper's list (arXiv 2505.16932): T = 8, later steps repeat the Padé tail; "
             "raw-then-scale with nu_s = 1.01"),
    "package": dict(
        design=dict(l=1e-3, steps=10, cushion=0.02, safety=1.01, mode="folded"),
        norm_safety=1.01, eps=1e-7,
        note="reference package default (NoahAmsel/PolarExpress): T = 10, c = 0.02, "
             "folded nu_s = 1.01"),
    "modded_nanogpt": dict(
        design=dict(l=1e-3, steps=5, cushion=0.02, safety=1.02, mode="folded"),
        norm_safety=1.02, eps=1e-6,
        note="modded-nanogpt and Dion: T = 5, c = 0.02, folded nu_s = 1.02, "
             "s = 1.02 ||X||_F + 1e-6"),
}


@cache
def published_recipe(name: str) -> PolarExpressDesign:
    """Design one of :data:`PUBLISHED_RECIPES` (``"paper"``, ``"package"``, ``"modded_nanogpt"``).

    Designed on first request and cached (the design is immutable).

    The gram-newton-schulz preset (section 8.5 table, last row) is derived
    from the paper's list: see :func:`gluon_ref.polar.schedules.get_schedule`
    (``"polar_express_gram"``).
    """
    if name not in PUBLISHED_RECIPES:
        raise ValueError(f"unknown recipe {name!r}; valid: {', '.join(PUBLISHED_RECIPES)}")
    return design_polar_express(**PUBLISHED_RECIPES[name]["design"])
