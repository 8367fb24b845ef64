"""Certificates of odd-polynomial schedules from the exact scalar model (docs/polar.md section 2).

A Newton–Schulz-type schedule maps every normalised singular value
``x = sigma / s`` through ``phi_T = p_T o ... o p_1`` and keeps the singular
vectors (section 2).  :func:`certify` proves, on a whole input interval
``[l, u]`` and not on a grid, what that map does:

* **sign preservation** — ``phi_T(x) > 0`` on ``[l, u]``; otherwise the set
  where ``phi_T < 0`` (each such direction is flipped: the output is the
  polar factor of a different matrix, and ``<G, O> < 0`` is possible);
* **the image band** ``phi_T([l, u]) = [a, b]`` (the output singular values of
  every matrix whose normalised spectrum lies in ``[l, u]``), the band after
  every step and the largest intermediate value (the overshoot that low
  precision must survive);
* **the final error** ``sup |1 - phi_T|`` on ``[l, u]``;
* **monotonicity** of ``phi_T`` (the critical points of ``phi_T`` in
  ``(l, u)``), checked against the schedule's claim when it makes one;
* **the tail** — fixed points of the last polynomial with their multipliers,
  its absorbing band (:func:`~gluon_ref.polar.scalar_model.absorbing_band`)
  and the exact image after ``tail_steps`` further repetitions of it (what a
  run with more steps than the list holds does under the repeat-last rule).

How the critical points are found exactly.  ``phi_T`` has degree
``prod_t (2K_t + 1)`` (3125 for five quintic steps), far beyond any reliable
root finder, so its derivative is never expanded.  By the chain rule
``phi_T'(x) = prod_t p_t'(phi_{t-1}(x))``, so ``x`` is critical iff some
``phi_{t-1}(x)`` is a critical point ``c`` of ``p_t``.  The certifier keeps a
partition of ``[l, u]`` on whose pieces ``phi_{t-1}`` is strictly monotone;
on each piece it takes the critical points of ``p_t`` inside the piece's
image (roots of the even polynomial ``p_t'`` in ``x^2``, numpy's companion
matrix, Newton-refined) and pulls each back through the monotone
``phi_{t-1}`` by bracketed root finding (``scipy.optimize.brentq`` to 4 ulp:
a monotone function crosses a level exactly once).  The refined partition
makes ``phi_t`` monotone on every piece.  After the last step, extreme values
and zeros of ``phi_T`` lie at the breakpoints or, one per piece, where a
piece's end values change sign.  The tests compare the breakpoints with the
real roots of ``phi_T'`` from an explicit ``numpy.polynomial`` composition on
schedules of low total degree.

Rounding.  Values of ``phi_T`` are float64 evaluations; each carries a running
forward-error bound (Horner's ``gamma_{2K+2}`` per step, propagated by
``sup |p_t'|`` on the current enclosure), and a verdict is stated only when
the margin exceeds it (``Certificate.rounding_bound``).  A breakpoint located
to within a few ulps of a true critical point moves the value only to second
order there.

Verdicts (:attr:`Certificate.kind`):

* ``"sign flip"`` — ``phi_T < 0`` somewhere: *sign flip at sigma/s > x*;
* ``"certified"`` — sign preserved and ``sup |1 - phi_T| <= tolerance``;
* ``"band"`` — sign preserved, output band ``[a, b]`` (e.g. Muon's quintic);
* ``"matrix test"`` — the schedule's normalisation is not a singular-value
  transform (Turbo-Muon's AOL row scaling, docs/polar.md section 9.1) or the
  method is not a polynomial (Dion's power iteration): no certificate is
  possible; :mod:`gluon_ref.polar.catalogue` runs a matrix test instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import numpy as np
from scipy.optimize import brentq

from ..backend import check_count
from .scalar_model import (
    FixedPoint,
    Polynomial,
    absorbing_band,
    as_polynomial,
    compose,
    critical_points,
    fixed_points,
    odd_polynomial,
    output_interval,
)

__all__ = [
    "Certificate",
    "certify",
    "monotone_breakpoints",
    "negative_set",
    "evaluate_with_bound",
    "default_interval",
    "KINDS",
]

#: verdict kinds (module docstring)
KINDS = ("certified", "band", "sign flip", "matrix test")

_EPS = float(np.finfo(np.float64).eps)
_U = _EPS / 2


def _polys(schedule) -> tuple[Polynomial, ...]:
    polys = getattr(schedule, "polynomials", schedule)
    out = tuple(as_polynomial(p) for p in polys)
    if not out:
        raise ValueError("certify needs a schedule with at least one polynomial")
    return out


def default_interval(schedule, lo: float = 1e-3) -> tuple[float, float]:
    """``[lo, 1/safety]``: with ``s = safety ||G||_F + eps`` (or the clamp), ``sigma_max/s < 1/safety``.

    ``normalization="none"`` gives ``[lo, 1]`` (the caller states the interval).
    """
    safety = float(getattr(schedule, "safety", 1.0))
    if getattr(schedule, "normalization", "frobenius") == "none":
        return float(lo), 1.0
    return float(lo), 1.0 / safety


def monotone_breakpoints(polynomials: Sequence[Sequence[float]], lo: float,
                         hi: float) -> list[float]:
    """Sorted ``[lo, c_1, ..., c_k, hi]`` with ``c_j`` the critical points of ``phi_T`` in ``(lo, hi)``.

    ``phi_T`` is strictly monotone between consecutive breakpoints.  Computed
    by the chain-rule pull-back described in the module docstring, never on
    a grid.
    """
    polys = tuple(as_polynomial(p) for p in polynomials)
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"need a finite interval lo < hi, got [{lo}, {hi}]")
    points = [lo, hi]
    for t, poly in enumerate(polys):
        prefix = polys[:t]
        new = []
        for a, b in zip(points[:-1], points[1:]):
            ya, yb = float(compose(prefix, a)), float(compose(prefix, b))
            ylo, yhi = min(ya, yb), max(ya, yb)
            for c in critical_points(poly, ylo, yhi):
                fa, fb = ya - c, yb - c
                if fa == 0.0 or fb == 0.0 or (fa > 0) == (fb > 0):
                    continue  # the level sits on a breakpoint already
                x = brentq(lambda z, c=c: float(compose(prefix, z)) - c, a, b,
                           xtol=1e-300, rtol=4 * _EPS, maxiter=500)
                if a < x < b:
                    new.append(x)
        points = sorted(set(points + new))
    return points


def negative_set(polynomials: Sequence[Sequence[float]], lo: float, hi: float,
                 breakpoints: Sequence[float] | None = None) -> list[tuple[float, float]]:
    """The maximal subintervals of ``[lo, hi]`` where ``phi_T < 0`` (sign-flipped inputs).

    On each monotone piece ``phi_T`` has at most one zero (bracketed and
    solved with ``brentq``); the sign between consecutive zeros/breakpoints
    is read at their midpoint.
    """
    polys = tuple(as_polynomial(p) for p in polynomials)
    bps = list(breakpoints) if breakpoints is not None else monotone_breakpoints(polys, lo, hi)
    cuts = list(bps)
    for a, b in zip(bps[:-1], bps[1:]):
        fa, fb = float(compose(polys, a)), float(compose(polys, b))
        if fa * fb < 0:
            cuts.append(brentq(lambda z: float(compose(polys, z)), a, b, xtol=1e-300,
                               rtol=4 * _EPS, maxiter=500))
    cuts = sorted(set(cuts))
    neg: list[tuple[float, float]] = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        if float(compose(polys, 0.5 * (a + b))) < 0:
            if neg and neg[-1][1] == a:
                neg[-1] = (neg[-1][0], b)
            else:
                neg.append((a, b))
    # isolated touching zeros at the ends are not flips
    return [(a, b) for a, b in neg if b > a]


def evaluate_with_bound(polynomials: Sequence[Sequence[float]], x: float) -> tuple[float, float]:
    """``(phi_T(x), bound)`` with ``|fl(phi_T(x)) - phi_T(x)| <= bound`` (float64 running error).

    Step ``t`` evaluates ``p_t`` by Horner in ``y^2``: at most ``2K + 2``
    roundings, so the local error is at most ``gamma_{2K+2} sum_k |c_k|
    |y|^{2k+1}`` (Higham, *Accuracy and Stability*, section 5.1); an incoming
    error ``e`` is propagated by the mean-value theorem with ``sup |p_t'|`` on
    the enclosure ``[y - e, y + e]`` (exact: endpoints and the real roots of
    ``p_t''`` inside, by ``numpy.polynomial``), so a superattracting fixed
    point contracts the error instead of inflating it.
    """
    y, e = float(x), 0.0
    for poly in polynomials:
        k = len(poly) - 1
        n = 2 * k + 2
        gamma = n * _U / (1 - n * _U)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                lip = _sup_abs_derivative(poly, y - e, y + e)
            mag = sum(abs(c) * abs(y) ** (2 * j + 1) for j, c in enumerate(poly))
            y = float(odd_polynomial(poly, y))
        except OverflowError:
            return math.inf, math.inf
        e = lip * e + gamma * mag
        if not (math.isfinite(y) and math.isfinite(e)):
            return (y if math.isfinite(y) else math.inf), math.inf
    return y, e


@lru_cache(maxsize=512)
def _derivative_data(poly: Polynomial):
    """``p'`` as a ``numpy.polynomial.Polynomial``, ``|p'|``'s coefficients and the real roots of ``p''``."""
    coef = np.zeros(2 * len(poly))
    coef[1::2] = poly
    d1 = np.polynomial.Polynomial(coef).deriv()
    roots = tuple(float(r.real) for r in d1.deriv().roots() if abs(r.imag) <= 1e-12)
    return d1, np.polynomial.Polynomial(np.abs(d1.coef)), roots


def _sup_abs_derivative(poly, a: float, b: float) -> float:
    """``max_{z in [a, b]} |p'(z)|``: endpoints and the real roots of ``p''`` inside."""
    d1, d1_abs, roots = _derivative_data(tuple(poly))
    pts = [a, b] + [r for r in roots if a < r < b]
    # widen by the relative evaluation error of p' itself (a few ulps of its terms)
    mag = float(d1_abs(max(abs(a), abs(b))))
    return max(abs(float(d1(z))) for z in pts) + 8 * _EPS * mag


@dataclass(frozen=True)
class Certificate:
    """What the scalar model proves about a schedule on ``[lo, hi]`` (module docstring).

    ``band = phi_T([lo, hi])`` (signed), ``step_bands[t] = phi_{t+1}([lo, hi])``,
    ``peak`` the largest ``|value|`` over all steps, ``flip_set`` the
    subintervals where ``phi_T < 0`` and ``flip_threshold`` the smallest
    flipped input (``None`` when the sign is preserved).
    ``critical_points`` are those of ``phi_T`` in ``(lo, hi)``;
    ``monotone`` is True when there are none and ``phi_T`` increases (non-decreasing
    within the rounding bound at the ends).
    ``tail_fixed_points``/``tail_band``/``tail_image`` describe repeating the
    last polynomial (module docstring).  ``rounding_bound`` bounds the float64
    evaluation error of every value used.
    """

    name: str
    steps: int
    degree: int
    interval: tuple[float, float]
    normalization: str
    safety: float
    kind: str
    verdict: str
    band: tuple[float, float]
    final_error: float
    sign_preserving: bool
    flip_threshold: float | None
    flip_set: tuple[tuple[float, float], ...]
    monotone: bool
    monotone_claimed: bool | None
    critical_points: tuple[float, ...]
    step_bands: tuple[tuple[float, float], ...]
    peak: float
    slope_at_zero: float
    tail_fixed_points: tuple[FixedPoint, ...]
    tail_band: tuple[float, float] | None
    tail_image: tuple[float, float]
    tail_steps: int
    rounding_bound: float
    tolerance: float
    polynomials: tuple[Polynomial, ...] = field(repr=False, default=())

    @property
    def monotone_ok(self) -> bool | None:
        """Whether the schedule's monotonicity claim holds (``None`` when it claims nothing)."""
        return None if self.monotone_claimed is None else (self.monotone == self.monotone_claimed)

    def as_row(self) -> dict[str, Any]:
        """Flat dict for tables and JSON."""
        lo, hi = self.band
        return {
            "name": self.name, "steps": self.steps, "degree": self.degree,
            "interval": list(self.interval), "normalization": self.normalization,
            "safety": self.safety, "kind": self.kind, "verdict": self.verdict,
            "band_lo": lo, "band_hi": hi, "final_error": self.final_error,
            "sign_preserving": self.sign_preserving, "flip_threshold": self.flip_threshold,
            "flip_set": [list(f) for f in self.flip_set], "monotone": self.monotone,
            "monotone_claimed": self.monotone_claimed, "critical_points": len(self.critical_points),
            "peak": self.peak, "slope_at_zero": self.slope_at_zero,
            "tail_fixed_points": [(f.x, f.derivative, f.kind) for f in self.tail_fixed_points],
            "tail_band": list(self.tail_band) if self.tail_band else None,
            "tail_image": list(self.tail_image), "tail_steps": self.tail_steps,
            "rounding_bound": self.rounding_bound,
        }


def certify(schedule: Any, lo: float | None = None, hi: float | None = None, *,
            name: str | None = None, tolerance: float = 1e-2,
            monotone_claimed: bool | None = None, tail_steps: int = 50) -> Certificate:
    """Certify an odd-polynomial schedule on ``[lo, hi]`` from the exact scalar model.

    ``schedule`` is a :class:`~gluon_ref.polar.schedules.Schedule` (its
    normalisation sets the default ``hi = 1/safety``, :func:`default_interval`)
    or a sequence of odd-coefficient tuples ``(c_0, c_1, ...)``.  ``lo``
    defaults to ``1e-3`` (the Polar Express design interval, of the order of
    bfloat16's resolution, docs/polar.md section 8.5).  ``tolerance`` is the final
    error below which the verdict is ``"certified"`` (default ``1e-2``, the
    fidelity an emulated bfloat16 run has anyway, section 2).  See the module
    docstring for what is proved and how.

    Raises ``ValueError`` for an empty schedule, non-finite coefficients or a
    bad interval (``0 < lo < hi`` finite).
    """
    polys = _polys(schedule)
    dlo, dhi = default_interval(schedule, 1e-3 if lo is None else lo)
    lo = dlo
    hi = dhi if hi is None else float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise ValueError(f"need a finite input interval 0 < lo < hi, got [{lo}, {hi}]")
    if not (math.isfinite(tolerance) and tolerance > 0):
        raise ValueError(f"tolerance must be finite and > 0, got {tolerance}")
    tail_steps = check_count("tail_steps", tail_steps, minimum=0)
    name = name or getattr(schedule, "name", "custom")

    bps = monotone_breakpoints(polys, lo, hi)
    vals, bounds = zip(*(evaluate_with_bound(polys, x) for x in bps))
    if not all(math.isfinite(v) and math.isfinite(b) for v, b in zip(vals, bounds)):
        raise ValueError(f"schedule {name!r} overflows on [{lo}, {hi}]: phi_T is not finite there")
    band = (min(vals), max(vals))
    rounding = max(bounds)
    crit = tuple(bps[1:-1])
    # no interior critical point: strictly monotone; increasing unless the ends say otherwise
    monotone = not crit and vals[-1] >= vals[0] - rounding
    neg = tuple(negative_set(polys, lo, hi, bps))
    flip = neg[0][0] if neg else None
    final_error = max(abs(1.0 - band[0]), abs(1.0 - band[1]))

    step_bands = []
    a, b = lo, hi
    for poly in polys:
        a, b = output_interval([poly], a, b)
        step_bands.append((a, b))
    peak = max(max(abs(x), abs(y)) for x, y in step_bands)

    last = polys[-1]
    fps = tuple(fixed_points(last))
    try:
        tband = absorbing_band(last)
    except ValueError:
        tband = None
    with np.errstate(over="ignore", invalid="ignore"):
        timg = band
        for _ in range(tail_steps):
            timg = output_interval([last], *timg)
            if not all(math.isfinite(v) for v in timg) or max(map(abs, timg)) > 1e12:
                timg = (-math.inf, math.inf)
                break

    safety = float(getattr(schedule, "safety", 1.0))
    if neg:
        kind = "sign flip"
        verdict = (f"sign flip at sigma/s > {flip:.4g} (sigma/||G||_F > {flip * safety:.4g}); "
                   f"phi_T reaches {band[0]:.4g}")
    elif final_error <= tolerance and final_error + rounding <= tolerance:
        kind = "certified"
        verdict = f"certified: |1 - phi_T| <= {final_error:.3g} on [{lo:.3g}, {hi:.4g}]"
    else:
        kind = "band"
        verdict = f"band [{band[0]:.4f}, {band[1]:.4f}]"
    if band[0] <= rounding and not neg and band[0] > 0:
        verdict += f" (sign margin {band[0]:.2e} within the rounding bound {rounding:.1e})"
    return Certificate(
        name=name, steps=len(polys), degree=max(2 * len(p) - 1 for p in polys),
        interval=(lo, hi), normalization=str(getattr(schedule, "normalization", "none")),
        safety=safety, kind=kind, verdict=verdict, band=band, final_error=final_error,
        sign_preserving=not neg, flip_threshold=flip, flip_set=neg, monotone=monotone,
        monotone_claimed=monotone_claimed, critical_points=crit, step_bands=tuple(step_bands),
        peak=peak, slope_at_zero=float(np.prod([p[0] for p in polys])),
        tail_fixed_points=fps, tail_band=tband, tail_image=timg, tail_steps=tail_steps,
        rounding_bound=rounding, tolerance=float(tolerance), polynomials=polys,
    )
