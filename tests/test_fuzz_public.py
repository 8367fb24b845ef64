"""Property-based fuzz of the public surface (issue 13): hypothesis draws arrays of every float
dtype with magnitudes from 1e-300 to 1e300 (clipped to the dtype's range) and special values, and
every norm, polar method and optimizer preset must either raise a documented exception or return
a finite result that satisfies its identities -- never a NaN, a silent zero step, or a mutated or
retained input.  The contracts are those of gluon_ref.testing, tested for teeth in test_edge_pack."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from gluon_ref import available_norms, get_norm
from gluon_ref.optim import PRESETS, get_preset
from gluon_ref.polar import available_schedules, get_schedule, polar_exact
from gluon_ref.testing import (EdgeCase, check_norm_contract, check_orthogonalizer_contract,
                               check_step_contract)

DTYPES = (np.float16, np.float32, np.float64)


@st.composite
def arrays(draw, ndim=2):
    dtype = draw(st.sampled_from(DTYPES))
    info = np.finfo(dtype)
    shape = tuple(draw(st.integers(1, 5)) for _ in range(ndim))
    lo, hi = max(-300, int(np.log10(info.tiny))), min(300, int(np.log10(info.max)) - 1)
    exponent = draw(st.integers(lo, hi))
    seed = draw(st.integers(0, 2**32 - 1))
    a = np.random.default_rng(seed).standard_normal(shape) * 10.0 ** exponent
    special = draw(st.sampled_from([None, 0.0, np.nan, np.inf, -np.inf, "subnormal", "zero_all"]))
    if special == "zero_all":
        a[...] = 0.0
    elif special == "subnormal":
        a.flat[0] = float(info.smallest_subnormal)
    elif special is not None:
        a.flat[draw(st.integers(0, a.size - 1))] = special
    with np.errstate(over="ignore"):
        arr = a.astype(dtype)
    finite = bool(np.all(np.isfinite(arr)))
    return EdgeCase(f"fuzz {dtype.__name__} 1e{exponent} {special}", arr,
                    raises=None if finite else ValueError, zero=finite and not np.any(arr))


@pytest.mark.parametrize("name", available_norms())
@given(data=st.data())
def test_norms_fuzz(name, data):
    norm = get_norm(name)
    ndim = next(d for d in (2, 1, 4) if d in norm.ndims)
    case = data.draw(arrays(ndim))
    radius = data.draw(st.sampled_from([1e-3, 0.5, 1.0, 7.0]))
    check_norm_contract(norm, case, radius=radius)


METHODS = {"exact": polar_exact, **{n: get_schedule(n) for n in available_schedules()}}


@pytest.mark.parametrize("method", sorted(METHODS))
@given(case=arrays(2))
def test_polar_fuzz(method, case):
    check_orthogonalizer_contract(METHODS[method], case)


@pytest.mark.parametrize("name", sorted(PRESETS))
@given(case=arrays(2), lr=st.sampled_from([1e-3, 0.01, 0.1]))
def test_presets_fuzz(name, case, lr):
    """A finite result, inputs untouched and not retained; moving is required where the gradient
    is of ordinary magnitude (|g| in [1e-3, 1e3]) and the step is resolvable in the dtype."""
    g = case.array
    p = {"w": np.ones_like(g) * np.asarray(0.5, g.dtype)}
    opt = get_preset(name, lr=lr)
    if case.raises is not None:
        with pytest.raises(case.raises):
            opt.step(p, {"w": g}, opt.init(p))
        return
    amax = float(np.max(np.abs(g.astype(np.float64)))) if g.size else 0.0
    ordinary = 1e-3 <= amax <= 1e3 and g.dtype != np.float16 and name not in ("lars",)
    try:
        check_step_contract(opt, p, {"w": g}, moves=ordinary and lr >= 0.01 and not case.zero)
    except OverflowError:
        # documented only where a square of the gradient overflows (Adam, LAMB, Shampoo)
        assert amax > np.sqrt(float(np.finfo(g.dtype).max) / 16), (name, amax)
