"""Array-namespace plumbing: one code path for NumPy, CuPy and array-api-strict.

Every array function in gluon_ref obtains its namespace from its inputs with
:func:`namespace` (array-api-compat's ``array_namespace``) and then calls only
Array-API functions on it, so the same lines run on every backend.  NumPy-only
code (SciPy baselines, plotting, reports) converts at the edge with
:func:`to_numpy`.

Validation helpers live here too, because every public entry point applies the
same input policy (DESIGN.md, "Conventions"):

* integer, boolean and complex arrays raise ``TypeError``;
* non-finite entries raise ``ValueError`` naming how many NaN / inf entries
  there are and in which argument;
* wrong dimensionality raises ``ValueError`` naming the expected ndim;
* counts (Newton–Schulz steps, schedule lengths, periods) are integers in a
  stated range, checked by :func:`check_count`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from array_api_compat import array_namespace, is_cupy_array, is_numpy_array

__all__ = [
    "namespace",
    "to_numpy",
    "asarray_like",
    "check_float_array",
    "check_finite",
    "check_ndim",
    "cast_checked",
    "check_count",
    "frobenius_norm",
]


def namespace(*arrays: Any):
    """Return the Array-API namespace shared by ``arrays``.

    Thin wrapper of ``array_api_compat.array_namespace``; it raises
    ``TypeError`` when arrays from different libraries are mixed.
    """
    return array_namespace(*arrays)


def to_numpy(x: Any) -> np.ndarray:
    """Copy ``x`` (any supported backend, or a Python scalar) to a NumPy array.

    CuPy arrays are brought to the host with ``.get()``; everything else goes
    through ``np.asarray`` (array-api-strict supports the buffer protocol via
    ``__array__`` / DLPack).
    """
    if is_numpy_array(x) or isinstance(x, (int, float, np.generic)):
        return np.asarray(x)
    if is_cupy_array(x):
        return x.get()
    try:
        return np.from_dlpack(x)
    except (TypeError, AttributeError, BufferError, RuntimeError):
        return np.asarray(x)


def asarray_like(values: Any, like: Any):
    """Create an array of ``values`` in the namespace, dtype and device of ``like``."""
    xp = namespace(like)
    return xp.asarray(values, dtype=like.dtype, device=getattr(like, "device", None))


def check_float_array(x: Any, name: str = "input"):
    """Return the namespace of ``x`` after checking it is a real floating array.

    Raises
    ------
    TypeError
        if ``x`` is not an array of a supported library, or its dtype is
        integer, boolean or complex.
    """
    if isinstance(x, np.matrix):
        # np.matrix redefines * as the matrix product and keeps 2-D under reductions,
        # so the elementwise formulas here would silently give wrong values.
        raise TypeError(f"{name} is a numpy.matrix, which gluon_ref does not accept (its '*' is "
                        "the matrix product); pass numpy.asarray(x) instead")
    try:
        xp = namespace(x)
    except TypeError as exc:
        raise TypeError(
            f"{name} must be an array (NumPy, CuPy or array-api-strict), "
            f"got {type(x).__name__}"
        ) from exc
    if not hasattr(x, "dtype") or not hasattr(x, "shape"):
        raise TypeError(f"{name} must be an array, got {type(x).__name__}")
    if not xp.isdtype(x.dtype, "real floating"):
        raise TypeError(
            f"{name} has dtype {x.dtype}; gluon_ref needs a real floating dtype "
            "(float16, float32 or float64). Convert integers explicitly, e.g. "
            "x.astype(float64)."
        )
    return xp


def check_finite(x: Any, name: str = "input") -> None:
    """Raise ``ValueError`` if ``x`` has NaN or infinite entries, saying how many."""
    xp = namespace(x)
    if bool(xp.all(xp.isfinite(x))):
        return
    n_nan = int(xp.sum(xp.astype(xp.isnan(x), xp.int64)))
    n_inf = int(xp.sum(xp.astype(xp.isinf(x), xp.int64)))
    raise ValueError(
        f"{name} has non-finite entries ({n_nan} NaN, {n_inf} inf) in an array of "
        f"shape {tuple(x.shape)}; gluon_ref refuses to return a NaN silently"
    )


def check_ndim(x: Any, allowed: tuple[int, ...], name: str = "input") -> None:
    """Raise ``ValueError`` unless ``x.ndim`` is one of ``allowed``."""
    if x.ndim not in allowed:
        want = " or ".join(str(a) for a in allowed)
        raise ValueError(
            f"{name} has ndim {x.ndim} (shape {tuple(x.shape)}); expected ndim {want}"
        )


def check_count(name: str, value: Any, *, minimum: int = 1, maximum: int | None = None) -> int:
    """``int(value)`` after checking it is an integer in ``[minimum, maximum]`` (``maximum=None``: no cap).

    The one validator of step counts and periods; ``ValueError`` names ``name``,
    the range and the value (floats equal to an integer, like ``5.0``, pass).
    """
    try:
        whole = int(value) == value
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole or isinstance(value, bool) or value < minimum or (
            maximum is not None and value > maximum):
        allowed = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an integer {allowed}, got {value!r}")
    return int(value)


def cast_checked(value: Any, dtype: Any, what: str):
    """``value`` cast to ``dtype``, raising ``OverflowError`` if it overflowed or overflows there.

    Call it on a quantity computed from finite inputs: a non-finite ``value`` can
    then only come from an overflow in the working precision (the norm of an
    array whose entries are near the dtype's largest value, say), and returning it
    would be a silent ``inf``.

    Reductions of float16 arrays run in float32 (float16 has no linalg and a tiny range),
    so a norm such as ``||g||_1`` of a 256x256 array of 2.0 (131070) is finite in the
    working precision but not representable in float16 (max 65504); returning ``inf``
    (and ``NaN`` downstream, e.g. ``inf * 0`` in the sharp operator) would be a silent
    wrong answer.
    """
    xp = namespace(value)
    big = float(xp.max(xp.abs(value))) if value.ndim == 0 or value.size else 0.0
    limit = float(xp.finfo(dtype).max)
    if not math.isfinite(big) or big > limit:
        raise OverflowError(
            f"{what} = {big:.6g} overflows {dtype} (largest finite {limit:.6g}); the input is "
            "finite but the result is not representable: rescale it or use a wider dtype")
    return xp.astype(value, dtype)


def frobenius_norm(a: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False):
    """``sqrt(sum a_i^2)`` over ``axis`` (all entries when ``None``), safe from overflow and underflow.

    Computed as ``amax * ||a / amax||_2`` with ``amax = max |a_i|`` over the same
    axes (0 where ``a`` is 0): the scaling of LAPACK's ``xNRM2`` (Blue's algorithm,
    ACM TOMS 4(1), 1978, in its simplest form).  A direct ``sqrt(sum(a * a))``
    overflows to ``inf`` for float32 entries ~1e20 or float16 512x512 N(0, 1)
    matrices, and underflows to 0 for float64 entries ~1e-160: optimizers that
    divide by it then make no update at all.  float16 input is reduced in
    float32.  Returns an array of ``a``'s namespace and dtype (0-d for
    ``axis=None`` without ``keepdims``).
    """
    xp = namespace(a)
    work = xp.float32 if a.dtype == getattr(xp, "float16", None) else a.dtype
    w = xp.astype(a, work)
    amax = xp.max(xp.abs(w), axis=axis, keepdims=True)
    safe = xp.where(amax > 0, amax, xp.ones_like(amax))
    out = amax * xp.linalg.vector_norm(w / safe, axis=axis, keepdims=True)
    if not keepdims:
        out = xp.reshape(out, ()) if axis is None else xp.squeeze(out, axis=axis)
    return xp.astype(out, a.dtype)
