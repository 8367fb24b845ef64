"""Emulated low precision for Newton–Schulz runs (POLAR.md section 10).

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
POLAR.md section 4), which also keeps ``||G||_F`` clear of float16 overflow.
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
    ax = xp.abs(x)
    regular = xp.isfinite(x) & (ax > 0)
    safe = xp.where(regular, ax, xp.ones_like(ax))
    two = xp.asarray(2.0, dtype=f32)
    e = xp.floor(xp.log2(safe))
    # log2 may be off by one ulp next to powers of two: correct the exponent exactly
    e = xp.where(xp.pow(two, e) > safe, e - 1, e)
    e = xp.where(xp.pow(two, e) <= safe / 2, e + 1, e)  # safe/2 exact above 2^-125
    e = xp.maximum(e, xp.asarray(float(fmt.emin), dtype=f32))
    ulp = xp.pow(two, e - (fmt.bits - 1))
    y = xp.round(x / ulp) * ulp
    if fmt.max < float(xp.finfo(f32).max):
        # float16's overflow threshold lies inside float32's range: IEEE rounds to inf there
        inf = xp.asarray(math.inf, dtype=f32)
        y = xp.where(xp.abs(y) > fmt.max, xp.where(y > 0, inf, -inf), y)
    return xp.where(regular, y, x)


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
        dtype, _, rounding = emulate.partition("-")
        if dtype in FORMATS and (not rounding or rounding in ROUNDING_MODELS):
            return LowPrecision(dtype, rounding or "per_op")
    valid = [f"{d}[-{r}]" for d in FORMATS for r in ROUNDING_MODELS]
    raise ValueError(f"unknown emulate={emulate!r}; valid: None, a LowPrecision, or one of "
                     + ", ".join(valid))
