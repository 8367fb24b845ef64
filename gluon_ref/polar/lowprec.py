"""Emulated low precision for Newton–Schulz runs (docs/polar.md section 10).

NumPy (and the Array API) have no bfloat16.  docs/polar.md section 10 prescribes
the emulation implemented here: keep float32 storage and round every float32
intermediate to bfloat16 (8 significant bits: the top 16 bits of the float32
pattern) with round-to-nearest, ties-to-even.

The rounding is written with Array-API arithmetic only (no bit casts, which
the standard lacks), so the same lines run on NumPy, CuPy and
array-api-strict: for finite nonzero ``x`` with ``2^e <= |x| < 2^(e+1)`` the
bfloat16 spacing is ``2^(e-7)`` (``2^-133`` in the subnormal range, where
``e`` is clamped to ``-126``), and

    round_bf16(x) = round(x / 2^(e-7)) * 2^(e-7)

where ``round`` is the standard's round-half-to-even; dividing by a power of
two is exact, so the result is the correctly rounded bfloat16 value.  Values
that round above the largest bfloat16 become ``inf`` (as in IEEE rounding);
zeros, infinities and NaN pass through.  The tests check this against the
bit-pattern rounding ``(bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000``.
"""

from __future__ import annotations

from typing import Any

from ..backend import check_float_array

__all__ = ["round_to_bfloat16", "EMULATED_DTYPES"]

#: names accepted by ``emulate=`` (docs/polar.md section 10)
EMULATED_DTYPES = ("bfloat16",)


def round_to_bfloat16(x: Any):
    """Round ``x`` to the nearest bfloat16 value (ties to even), returned as float32.

    See the module docstring for the formula.  Any real floating input is
    first cast to float32 (float64 inputs are thus rounded twice, as a
    float32 -> bfloat16 cast chain would).
    """
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
    e = xp.maximum(e, xp.asarray(-126.0, dtype=f32))
    ulp = xp.pow(two, e - 7)
    y = xp.round(x / ulp) * ulp
    return xp.where(regular, y, x)
