"""Odd-polynomial Newton–Schulz iterations (docs/polar.md sections 2-4 and 10).

One mechanism serves every method: a *schedule* of odd polynomials
``p_t(x) = c_0 x + c_1 x^3 + c_2 x^5 + ...`` applied as the matrix step

    A = X X^T,   B = c_1 A + c_2 A^2 + ...,   X <- c_0 X + B X

(the "Muon form" of docs/polar.md section 3; cubic steps have no ``A^2`` term) to
``X_0 = G / s``, where the scale ``s`` follows a *normalization* convention
(section 4).  In exact arithmetic ``X_k = U phi_k(Sigma / s) V^T`` with
``phi_k = p_k o ... o p_1`` (the scalar model, section 2, see
:mod:`gluon_ref.polar.scalar_model`).  Named schedules (cubic, Padé, Muon,
You, Polar Express) live in :mod:`gluon_ref.polar.schedules`.

Precision.  The iteration runs in the input's dtype: float64, float32, or
float16 (NumPy's native half arithmetic; array-api-strict has no float16).
For float16 the Frobenius norm is computed in float32 and the normalised
matrix cast to float16 (as gram-newton-schulz does, docs/polar.md section 4), so
the norm cannot overflow.  ``emulate=`` runs in float32 storage and rounds
to an emulated format with a rounding model (:mod:`gluon_ref.polar.lowprec`,
section 10): ``"bfloat16"`` (or ``"float16"``) rounds every intermediate (the
scale, ``X_0``, ``A``, each product, each scaled term and each sum);
``"bfloat16-fused"`` rounds once per GEMM call with a fused scale-add
epilogue (``A = r(X X^T)``, ``B = r(c_1 A + c_2 A A)``, ``X = r(c_0 X + B X)``,
torch.optim.Muon's ``addmm`` sequence).  Products accumulate in float32 before
their rounding, like a low-precision GEMM with float32 accumulation.

Bad input.  Integer/complex dtypes raise ``TypeError``; NaN/inf entries, an
empty dimension or ``ndim < 2`` raise ``ValueError``; a run whose iterates
overflow (e.g. cubic NS with a normalised singular value above sqrt 5 under
``normalization="none"``) raises ``ValueError`` instead of returning NaN.  A
zero matrix maps to the zero matrix.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import numpy as np

from ..backend import check_count, check_finite, check_float_array
from .lowprec import as_low_precision
from .scalar_model import as_polynomial

__all__ = ["newton_schulz", "normalize_input", "iterate_polynomials", "as_polynomials",
           "MUON_QUINTIC", "NORMALIZATIONS"]

#: Keller Jordan's Muon quintic (docs/polar.md section 6); also torch.optim.Muon's
#: default ``ns_coefficients``.
MUON_QUINTIC = (3.4445, -4.7750, 2.0315)

#: valid ``normalization`` values (docs/polar.md section 4)
NORMALIZATIONS = ("frobenius", "clamp", "none")


def _identity(x):
    return x


def _rounder(emulate):
    model = as_low_precision(emulate)
    return _identity if model is None else model.round


def _working_dtype(xp, g, emulate):
    if emulate is not None:
        if g.dtype not in (xp.float32, xp.float64):
            raise ValueError(f"emulate={emulate!r} needs a float32 or float64 input, got {g.dtype}")
        return xp.float32
    return g.dtype


def normalize_input(g: Any, *, normalization: str = "frobenius", eps: float = 1e-7,
                    safety: float = 1.0, emulate: str | None = None):
    """Return ``(X_0, s)`` with ``X_0 = G / s`` (docs/polar.md section 4).

    * ``"frobenius"``: ``s = safety * ||G||_F + eps`` (Keller Jordan's Muon:
      safety 1, eps 1e-7; Polar Express: 1.01 and 1e-7; modded-nanogpt's
      Polar Express: 1.02 and 1e-6);
    * ``"clamp"``: ``s = max(||G||_F, eps)`` (torch.optim.Muon; ``safety``
      still multiplies the norm);
    * ``"none"``: ``s = 1`` (the caller guarantees the scaled spectrum).

    ``||G||_F`` is computed as ``m ||G/m||_F`` with ``m`` the largest absolute
    entry (one rounding different from the direct sum of squares, and free of
    overflow); float16 inputs compute the norm in float32.  With ``eps = 0``
    a zero matrix gets ``s = 1`` so that ``X_0 = 0`` rather than ``0/0``.
    Under ``emulate="bfloat16"`` (either rounding model) the input, the norm,
    ``s`` and ``X_0`` are rounded to bfloat16 (section 10); under
    ``emulate="float16"`` the norm and ``s`` stay float32 and only ``X_0`` is
    rounded (gram-newton-schulz's order, :mod:`gluon_ref.polar.lowprec`).
    ``s`` has shape ``(..., 1, 1)`` and the working dtype (float32 for float16
    inputs).  Batched: one scale per matrix.
    """
    xp = check_float_array(g, "g")
    if not (math.isfinite(safety) and safety > 0 and math.isfinite(eps) and eps >= 0):
        raise ValueError(f"need safety > 0 and finite eps >= 0, got safety={safety}, eps={eps}")
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"unknown normalization {normalization!r}; valid: {', '.join(map(repr, NORMALIZATIONS))}"
        )
    model = as_low_precision(emulate)
    rnd = _rounder(model)
    pre = rnd if model is None or model.rounds_scale else _identity
    work = _working_dtype(xp, g, model)
    norm_dtype = xp.float32 if work == getattr(xp, "float16", None) else work
    a = pre(xp.astype(g, norm_dtype))
    if normalization == "none":
        s = xp.ones(g.shape[:-2] + (1, 1), dtype=norm_dtype)
    else:
        amax = xp.max(xp.abs(a), axis=(-2, -1), keepdims=True)
        pos = amax > 0
        safe = xp.where(pos, amax, xp.ones_like(amax))
        fro = pre(safe * xp.linalg.matrix_norm(a / safe, ord="fro", keepdims=True))
        fro = xp.where(pos, fro, xp.zeros_like(fro))
        if normalization == "frobenius":
            s = pre(pre(safety * fro) + eps)
        else:  # clamp
            s = xp.maximum(pre(safety * fro), xp.asarray(eps, dtype=norm_dtype))
        s = xp.where(s > 0, s, xp.ones_like(s))
    x0 = xp.astype(rnd(a / s), work)
    return x0, s


def as_polynomials(coefficients, steps) -> list[tuple[float, ...]]:
    """Normalise the ``coefficients``/``steps`` arguments of :func:`newton_schulz`.

    * a flat sequence of numbers ``(c_0, c_1, ...)`` is one odd polynomial
      repeated ``steps`` times (Muon's ``ns_coefficients``/``ns_steps``);
    * a sequence of such sequences is one polynomial per step; ``steps``
      must then be ``None`` or equal its length.

    Trailing zero coefficients are dropped (a triple ``(a, b, 0)`` is cubic).
    """
    if isinstance(coefficients, numbers.Real) or getattr(coefficients, "ndim", None) == 0:
        raise TypeError(f"coefficients must be a sequence (c_0, c_1, ...) or a sequence of them, "
                        f"got the single number {coefficients!r}")
    coeffs = list(coefficients)
    if not coeffs:
        raise ValueError("coefficients must not be empty")
    # numbers.Real covers NumPy scalars (np.float32, np.int64): a NumPy coefficient array is flat
    if all(isinstance(c, numbers.Real) and not isinstance(c, (bool, np.bool_)) for c in coeffs):
        return [_trim(as_polynomial(coeffs))] * check_count("steps", steps, minimum=0)
    schedule = []
    for t, c in enumerate(coeffs):
        try:
            schedule.append(_trim(as_polynomial(c)))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"step {t}: invalid odd-polynomial coefficients {c!r}: {exc}") from exc
    if steps is not None and steps != len(schedule):
        raise ValueError(f"steps={steps} disagrees with a schedule of {len(schedule)} polynomials")
    return schedule


def _trim(poly):
    poly = list(poly)
    while len(poly) > 1 and poly[-1] == 0.0:
        poly.pop()
    return tuple(poly)


def iterate_polynomials(x0: Any, polynomials: Sequence[Sequence[float]], *,
                        emulate: str | None = None):
    """Apply the odd matrix polynomials to an already normalised ``X_0`` (shape ``(..., m, n)``).

    Step ``t``: ``A = X X^T``, ``P_1 = A``, ``P_k = P_{k-1} A``,
    ``B = sum_{k>=1} c_k P_k``, ``X <- c_0 X + B X`` (docs/polar.md section 3,
    Muon form).  Tall inputs are transposed so the Gram matrix is
    ``min(m, n)``-square, and transposed back (this changes the cost only).
    Under ``emulate`` with the ``fused`` rounding model, ``B`` is summed in
    float32 and rounded once and ``c_0 X + B X`` is rounded once
    (:mod:`gluon_ref.polar.lowprec`).
    Raises ``ValueError`` when the result is not finite (divergence).
    """
    xp = check_float_array(x0, "x0")
    model = as_low_precision(emulate)
    rnd = _rounder(model)
    fused = model is not None and model.fused
    tall = x0.shape[-2] > x0.shape[-1]
    x = xp.matrix_transpose(x0) if tall else x0
    for poly in polynomials:
        if len(poly) == 1:
            x = rnd(poly[0] * x)
            continue
        gram = rnd(x @ xp.matrix_transpose(x))
        if fused:
            x = _fused_step(x, gram, poly, rnd)
            continue
        b = rnd(poly[1] * gram)
        power = gram
        for c in poly[2:]:
            power = rnd(power @ gram)
            b = rnd(b + rnd(c * power))
        x = rnd(rnd(poly[0] * x) + rnd(b @ x))
    out = xp.matrix_transpose(x) if tall else x
    if not bool(xp.all(xp.isfinite(out))):
        raise ValueError(
            f"the Newton–Schulz iteration diverged (non-finite output, shape {tuple(out.shape)}): "
            "the normalised singular values left the schedule's basin; use a Frobenius "
            "normalisation or a convergent schedule"
        )
    return out


def _fused_step(x, gram, poly, rnd):
    """One odd-polynomial step with one rounding per GEMM call (torch.addmm semantics).

    ``B = r(c_1 A + c_2 (A A) + c_3 (A^2 A) + ...)`` summed in float32, where
    each power ``A^k`` for ``k < K`` feeding the next GEMM is itself a GEMM
    output (rounded); then ``X = r(c_0 X + B X)``.
    """
    acc = poly[1] * gram
    power = gram
    for k, c in enumerate(poly[2:], start=2):
        prod = power @ gram
        acc = acc + c * prod
        if k < len(poly) - 1:
            power = rnd(prod)
    b = rnd(acc)
    return rnd(poly[0] * x + b @ x)


def newton_schulz(g: Any, coefficients: Sequence[float] | Sequence[Sequence[float]] = MUON_QUINTIC,
                  steps: int | None = 5, *, normalization: str = "frobenius",
                  eps: float = 1e-7, safety: float = 1.0, emulate: str | None = None):
    """Approximate polar factor of ``g`` (shape ``(..., m, n)``) by an odd-polynomial schedule.

    ``X_0 = G / s`` with ``s`` from :func:`normalize_input`, then ``T`` steps
    of :func:`iterate_polynomials`; the result approximates ``U_r V_r^T``
    with error ``max_i |1 - phi_T(sigma_i / s)|`` in exact arithmetic
    (docs/polar.md section 2).  ``coefficients`` is one polynomial ``(a, b, c)``
    (or any odd length, ``(c_0, c_1, ...)``) repeated ``steps`` times —
    Muon's convention, ``ns_coefficients``/``ns_steps`` in torch.optim.Muon —
    or a sequence of polynomials, one per step (``steps`` then ``None`` or
    equal to its length).  Cubic steps use ``c = 0`` or a pair ``(a, b)``.

    Returns an array of the input's namespace and dtype (float32-stored
    bfloat16/float16 values under ``emulate=``, cast back to the input
    dtype).  Zero singular values stay exactly 0, so on rank-deficient inputs
    the result vanishes on the null spaces (docs/polar.md section 1).
    """
    xp = check_float_array(g, "g")
    if g.ndim < 2:
        raise ValueError(f"newton_schulz needs ndim >= 2 (..., m, n), got shape {tuple(g.shape)}")
    if any(d == 0 for d in g.shape):
        raise ValueError(f"g has an empty dimension: shape {tuple(g.shape)}")
    check_finite(g, "g")
    polys = as_polynomials(coefficients, steps)
    x0, _ = normalize_input(g, normalization=normalization, eps=eps, safety=safety,
                            emulate=emulate)
    out = iterate_polynomials(x0, polys, emulate=emulate)
    return xp.astype(out, g.dtype)
