"""Emulated low precision for Newton–Schulz runs (docs/polar.md section 10).

NumPy (and the Array API) have no bfloat16, and array-api-strict has no
float16.  Both are emulated here: values are *stored* in float32 and every
intermediate that the emulated kernel would write to memory is rounded to the
target format with round-to-nearest, ties-to-even.

Formats (:data:`FORMATS`): ``p`` significant bits, smallest normal exponent
``e_min``, largest finite value ``max``:

==========  ===  ======  ==========================
name        p    e_min   max
==========  ===  ======  ==========================
bfloat16    8    -126    (2 - 2^-7) 2^127
float16     11   -14     (2 - 2^-10) 2^15 = 65504
==========  ===  ======  ==========================

The rounding is written with Array-API arithmetic only (no bit casts, which
the standard lacks), so the same lines run on NumPy, CuPy and
array-api-strict: for finite nonzero ``x`` with ``2^e <= |x| < 2^(e+1)`` the
spacing of the format is ``2^(e-p+1)`` (``e`` clamped to ``e_min`` in the
subnormal range), and

    round(x) = rint(x / 2^(e-p+1)) * 2^(e-p+1)

where ``rint`` is the standard's round-half-to-even; dividing by a power of
two is exact, so the result is the correctly rounded value.  Values that
round above ``max`` become ``+-inf`` (IEEE overflow); zeros, infinities and
NaN pass through.  The tests check bfloat16 against the bit-pattern rounding
``(bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000`` and float16 against
NumPy's own IEEE half cast.

Rounding models (:class:`LowPrecision`, the ``emulate=`` argument of
:func:`~gluon_ref.polar.iterations.newton_schulz`):

* ``"per_op"`` — every intermediate is rounded: the Gram matrix, each power,
  each scaled term ``c_k A^k``, each sum and each product (the model of the
  original emulation, which is *further* from real kernels than float64 is);
* ``"fused"`` — one rounding per GEMM call with a fused scale-add epilogue and
  float32 accumulation, the semantics of ``torch.addmm(C, A, B, beta=b,
  alpha=c)`` = ``round(b C + c A B)`` on bfloat16 tensors: a quintic step is
  ``A = round(X X^T)``, ``B = round(b A + c A A)``, ``X = round(a X + B X)``
  (torch.optim.Muon's ``_zeropower_via_newtonschulz``, pytorch/pytorch,
  ``torch/optim/_muon.py``; the same three calls in NVIDIA-NeMo/
  Emerging-Optimizers' ``newton_schulz_step``).  Higher powers ``A^k``
  (degree > 5) are separate GEMMs whose outputs are rounded, and all terms
  of ``B`` are summed in float32 and rounded once.  Run against torch's own
  bfloat16 CPU iteration this model reproduces most iterates bit for bit
  (tests/test_conformance_torch.py).

Normalisation under emulation: for bfloat16 the input, ``||G||_F``, ``s`` and
``X_0`` are rounded (torch and Keller Jordan compute the norm of the bf16
tensor and divide in bf16); for float16 the norm and ``s`` stay in float32 and
only ``X_0`` is rounded (gram-newton-schulz normalises in float32, then casts,
docs/polar.md section 4), which also keeps ``||G||_F`` clear of float16 overflow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..backend import check_float_array

__all__ = [
    "round_to_bfloat16",
    "round_to_float16",
    "round_to_format",
    "FORMATS",
    "EMULATED_DTYPES",
    "ROUNDING_MODELS",
    "LowPrecision",
    "as_low_precision",
    "unit_roundoff",
    "singular_value_radius",
]


@dataclass(frozen=True)
class _Format:
    bits: int      # significant bits p (implicit bit included)
    emin: int      # smallest normal exponent
    max: float     # largest finite value


#: emulated formats (module docstring table)
FORMATS: dict[str, _Format] = {
    "bfloat16": _Format(8, -126, (2.0 - 2.0**-7) * 2.0**127),
    "float16": _Format(11, -14, (2.0 - 2.0**-10) * 2.0**15),
}
#: names accepted as the format of ``emulate=``
EMULATED_DTYPES = tuple(FORMATS)
#: rounding models of :class:`LowPrecision`
ROUNDING_MODELS = ("per_op", "fused")


def unit_roundoff(dtype: str) -> float:
    """``u = 2^-p`` of an emulated format (bfloat16 2^-8, float16 2^-11)."""
    return 2.0 ** -_format(dtype).bits


def _format(dtype: str) -> _Format:
    if dtype not in FORMATS:
        raise ValueError(f"unknown emulated dtype {dtype!r}; valid: {', '.join(FORMATS)}")
    return FORMATS[dtype]


def round_to_format(x: Any, dtype: str):
    """Round ``x`` to the nearest value of ``dtype`` (ties to even), returned as float32.

    See the module docstring for the formula.  Any real floating input is
    first cast to float32 (float64 inputs are thus rounded twice, as a
    float32 -> low-precision cast chain would).
    """
    fmt = _format(dtype)
    xp = check_float_array(x, "x")
    f32 = xp.float32
    x = xp.astype(x, f32)
    sign_negative = x < 0
    ax = xp.abs(x)
    regular = xp.isfinite(x) & (ax > 0)
    f32max = float(xp.finfo(f32).max)
    narrow = fmt.max < f32max
    if narrow:
        # beyond 2 max every value overflows; keep those out of the arithmetic below
        huge = regular & (ax >= min(2 * fmt.max, f32max))
        regular = regular & ~huge
        x = xp.where(huge, xp.zeros_like(x), x)
        ax = xp.abs(x)
    safe = xp.where(regular, ax, xp.ones_like(ax))
    two = xp.asarray(2.0, dtype=f32)
    e = xp.floor(xp.log2(safe))
    # log2 may be off by one ulp next to powers of two: correct the exponent exactly
    e = xp.where(xp.pow(two, e) > safe, e - 1, e)
    e = xp.where(xp.pow(two, e) <= safe / 2, e + 1, e)  # safe/2 exact above 2^-125
    e = xp.maximum(e, xp.asarray(float(fmt.emin), dtype=f32))
    ulp = xp.pow(two, e - (fmt.bits - 1))
    y = xp.round(x / ulp) * ulp
    out = xp.where(regular, y, x)
    if narrow:
        # float16's overflow threshold lies inside float32's range: IEEE rounds to inf there
        inf = xp.asarray(math.inf, dtype=f32)
        over = huge | (regular & (xp.abs(y) > fmt.max))
        out = xp.where(over, xp.where(sign_negative, -inf, inf), out)
    return out


def round_to_bfloat16(x: Any):
    """Round ``x`` to the nearest bfloat16 value (ties to even), returned as float32."""
    return round_to_format(x, "bfloat16")


def round_to_float16(x: Any):
    """Round ``x`` to the nearest IEEE float16 value (ties to even), returned as float32."""
    return round_to_format(x, "float16")


@dataclass(frozen=True)
class LowPrecision:
    """An emulated precision: a format and a rounding model (module docstring).

    ``LowPrecision("bfloat16", "fused")`` emulates torch.optim.Muon's bf16
    Newton–Schulz; ``LowPrecision("bfloat16")`` is the per-operation model
    (``emulate="bfloat16"``).  The string forms ``"<dtype>"`` and
    ``"<dtype>-<rounding>"`` (``"bfloat16-fused"``, ``"float16-per_op"``) are
    accepted wherever ``emulate=`` is.
    """

    dtype: str = "bfloat16"
    rounding: str = "per_op"

    def __post_init__(self):
        _format(self.dtype)
        if self.rounding not in ROUNDING_MODELS:
            raise ValueError(f"unknown rounding model {self.rounding!r}; valid: "
                             f"{', '.join(ROUNDING_MODELS)}")

    @property
    def fused(self) -> bool:
        return self.rounding == "fused"

    @property
    def unit_roundoff(self) -> float:
        return unit_roundoff(self.dtype)

    @property
    def rounds_scale(self) -> bool:
        """Whether the input, ``||G||_F`` and ``s`` are rounded too (bfloat16, not float16)."""
        return self.dtype == "bfloat16"

    def round(self, x: Any):
        return round_to_format(x, self.dtype)

    def __str__(self) -> str:
        return f"{self.dtype}-{self.rounding}"


def as_low_precision(emulate: Any) -> LowPrecision | None:
    """``None``, a :class:`LowPrecision`, ``"<dtype>"`` or ``"<dtype>-<rounding>"`` -> LowPrecision.

    ``ValueError`` names the valid forms.
    """
    if emulate is None or isinstance(emulate, LowPrecision):
        return emulate
    if isinstance(emulate, str):
        dtype, sep, rounding = emulate.partition("-")
        if dtype in FORMATS and (not sep or rounding in ROUNDING_MODELS):
            return LowPrecision(dtype, rounding if sep else "per_op")
    valid = [f"{d}[-{r}]" for d in FORMATS for r in ROUNDING_MODELS]
    raise ValueError(f"unknown emulate={emulate!r}; valid: None, a LowPrecision, or one of "
                     + ", ".join(valid))


def singular_value_radius(polynomials, x, model: LowPrecision | str, shape: tuple[int, int]):
    """First-order rounding-model bound ``R`` on the singular values of an emulated run.

    ``x`` are the normalised singular values ``sigma_i/s`` of the stored input
    and ``shape`` the matrix shape.  Returns ``R`` with, for the computed
    ``X_T`` and to first order in the unit roundoff ``u`` of ``model``,
    ``max_k |sigma_(k)(X_T) - sorted_k |phi_T(x_i)|| <= R`` (both sorted):

    * each step computes ``X' = p(X) + E`` with ``E = (B_hat - B(A)) X + dX``;
      by Weyl's inequality every singular value moves by at most ``||E||_2``;
      a perturbation ``r_i`` already present in ``sigma_i`` reaches the next
      step multiplied by ``|p'(x_i)|``, so the radii follow
      ``r_i <- |p'(y_i)| r_i + ||E||_2`` along the scalar-model trajectory
      ``y_i = phi_t(x_i)``;
    * ``||E||_2`` is bounded from the trajectory: ``||X||_2 <= max_i y_i``,
      ``||X||_F = (sum_i y_i^2)^{1/2}``, ``||A^k||_F <= ||A||_F ||A||_2^{k-1}``;
      every rounded matrix ``M`` contributes ``u ||M||_F``, every float32
      length-``n`` accumulation ``gamma_n`` times the product of the factors'
      Frobenius norms (Higham's ``gamma_n = n 2^-24 / (1 - n 2^-24)``), and
      the Gram matrix error ``dA`` reaches ``B`` through
      ``sum_k k |c_k| ||A||_2^{k-1}``;
    * the fused model rounds ``A``, ``B`` and ``X'`` once each; the per-op
      model also rounds every power, scaled term and partial sum;
    * ``X_0 = r(G/s)`` starts with ``r_i = u x_i + u ||X_0||_F``.

    Worst case in the signs of the rounding errors, first order in ``u``
    (second-order terms are dropped, as in Higham's first-order bounds): the
    tolerance of the low-precision scalar-model claims.
    """
    import numpy as np

    from .scalar_model import odd_derivative, odd_polynomial

    model = as_low_precision(model)
    if model is None:
        raise ValueError("singular_value_radius needs a low-precision model")
    u = model.unit_roundoff
    p_dim, q_dim = min(shape), max(shape)

    def gamma(n):
        v = n * 2.0**-24
        return v / (1 - v)

    y = np.abs(np.asarray(x, dtype=np.float64))
    r = u * y + u * float(np.sqrt(np.sum(y**2)))
    for poly in polynomials:
        s2 = float(np.max(np.abs(y)))
        sF = float(np.sqrt(np.sum(y**2)))
        a2, aF = s2**2, float(np.sqrt(np.sum(y**4)))
        K = len(poly) - 1
        if K == 0:
            e = u * abs(poly[0]) * sF
        else:
            dA = u * aF + gamma(q_dim) * sF**2
            m = [0.0] + [aF * a2 ** (k - 1) for k in range(1, K + 1)]  # ||A^k||_F bounds
            lip_b = sum(k * abs(poly[k]) * a2 ** (k - 1) for k in range(1, K + 1))
            b_norm = sum(abs(poly[k]) * m[k] for k in range(1, K + 1))
            dP = [0.0, 0.0]
            for k in range(2, K + 1):
                dP.append(dP[-1] * a2 + (u + gamma(p_dim)) * m[k])
            if model.fused:
                # powers above A^2 are separate GEMM outputs; B summed in float32, rounded once
                dB = (sum(abs(poly[k]) * (dP[k] if k >= 3 else gamma(p_dim) * m[k])
                          for k in range(2, K + 1)) + u * b_norm)
                dX = u * (abs(poly[0]) + b_norm) * sF + gamma(p_dim) * b_norm * sF
            else:
                dB = sum(abs(poly[k]) * dP[k] for k in range(2, K + 1)) + u * b_norm * (K + 1)
                dX = (u * abs(poly[0]) * sF + (u + gamma(p_dim)) * b_norm * sF
                      + u * (abs(poly[0]) + b_norm) * sF)
            e = (lip_b * dA + dB) * s2 + dX
        r = np.abs(np.asarray(odd_derivative(poly, y))) * r + e
        y = np.asarray(odd_polynomial(poly, y))
    return float(np.max(r))
