"""Emulated low precision (docs/polar.md section 10): formats, rounding models, the first-order bound.

Expected values come from outside the code under test: NumPy's own IEEE float16 cast,
ml_dtypes' bfloat16 cast (when installed), and matrices with known singular values.
"""

from __future__ import annotations

import numpy as np
import pytest

from gluon_ref.backend import to_numpy
from gluon_ref.polar import MUON_QUINTIC, get_schedule, newton_schulz
from gluon_ref.polar.lowprec import (
    LowPrecision,
    as_low_precision,
    round_to_bfloat16,
    round_to_float16,
    singular_value_radius,
    unit_roundoff,
)
from gluon_ref.polar.matrices import with_spectrum
from gluon_ref.polar.scalar_model import compose


def _float32_sample(n=200_000, seed=0):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    return x[np.isfinite(x)]


def test_float16_rounding_matches_numpy_ieee_cast(xp):
    # wrong: 10 instead of 11 significant bits, e_min -15, or no overflow to inf -> mismatch
    x = _float32_sample()
    edge = np.array([65504.0, 65519.99, 65520.0, -65520.0, 1e6, 2.0**-24, 2.0**-25,
                     3 * 2.0**-26, 2.0**-14 * (1 + 2.0**-11), 1 + 2.0**-11, 1 + 3 * 2.0**-11,
                     0.0, -0.0], dtype=np.float32)
    x = np.concatenate([x, edge])
    with np.errstate(over="ignore"):
        ref = x.astype(np.float16).astype(np.float32)
    got = to_numpy(round_to_float16(xp.asarray(x)))
    assert np.array_equal(got, ref)
    assert np.array_equal(np.signbit(got), np.signbit(ref))


def test_bfloat16_rounding_matches_ml_dtypes():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x = _float32_sample(seed=1)
    x = x[np.abs(x) < 3.38e38]
    ref = x.astype(ml_dtypes.bfloat16).astype(np.float32)
    assert np.array_equal(np.asarray(round_to_bfloat16(x)).view(np.uint32), ref.view(np.uint32))


def test_low_precision_parsing_and_errors():
    assert as_low_precision(None) is None
    assert as_low_precision("bfloat16") == LowPrecision("bfloat16", "per_op")
    assert as_low_precision("float16-fused") == LowPrecision("float16", "fused")
    assert str(LowPrecision("bfloat16", "fused")) == "bfloat16-fused"
    assert unit_roundoff("bfloat16") == 2.0**-8 and unit_roundoff("float16") == 2.0**-11
    for bad in ("fp8", "bfloat16-lazy", "float16-", 3):
        with pytest.raises(ValueError, match="unknown emulate"):
            as_low_precision(bad)
    with pytest.raises(ValueError, match="rounding model"):
        LowPrecision("bfloat16", "exact")
    with pytest.raises(ValueError, match="unknown emulated dtype"):
        LowPrecision("float8")
    g = np.random.default_rng(0).standard_normal((6, 4))
    with pytest.raises(ValueError, match="unknown emulate"):
        newton_schulz(g, emulate="bf16")


@pytest.mark.parametrize("emulate", ["bfloat16", "bfloat16-fused", "float16", "float16-fused"])
def test_emulated_outputs_are_representable(emulate):
    g = np.random.default_rng(1).standard_normal((20, 12)).astype(np.float32)
    q = newton_schulz(g, MUON_QUINTIC, 5, emulate=emulate)
    rnd = round_to_bfloat16 if emulate.startswith("bfloat16") else round_to_float16
    assert q.dtype == np.float32
    assert np.array_equal(np.asarray(rnd(q)), q)


def test_fused_and_per_op_models_differ_and_fused_rounds_less():
    # wrong: a "fused" path that still rounds every term equals the per-op path bit for bit
    rng = np.random.default_rng(2)
    diffs = []
    for _ in range(5):
        g = rng.standard_normal((24, 16)).astype(np.float32)
        exact = newton_schulz(g.astype(np.float64), MUON_QUINTIC, 5, normalization="clamp")
        fused = newton_schulz(g, MUON_QUINTIC, 5, normalization="clamp", emulate="bfloat16-fused")
        perop = newton_schulz(g, MUON_QUINTIC, 5, normalization="clamp", emulate="bfloat16")
        assert not np.array_equal(fused, perop)
        diffs.append((np.linalg.norm(fused - exact), np.linalg.norm(perop - exact)))
    d = np.array(diffs)
    # fewer roundings: the fused run is closer to exact arithmetic on average
    assert d[:, 0].mean() < d[:, 1].mean()


def test_fused_step_matches_an_explicit_ml_dtypes_sequence():
    """One fused quintic step = r(a X + r(b A + c A A) X), A = r(X X^T), with ml_dtypes' rounding."""
    ml_dtypes = pytest.importorskip("ml_dtypes")

    def r(x):
        return np.asarray(x, np.float32).astype(ml_dtypes.bfloat16).astype(np.float32)

    rng = np.random.default_rng(3)
    a, b, c = MUON_QUINTIC
    for shape in ((12, 20), (16, 16)):
        x = r(rng.standard_normal(shape) / 6)  # ||x||_2 < 1: already normalised
        gram = r(x @ x.T)
        want = r(np.float32(a) * x + r(np.float32(b) * gram + np.float32(c) * (gram @ gram)) @ x)
        got = newton_schulz(x, MUON_QUINTIC, 1, normalization="none", emulate="bfloat16-fused")
        assert np.array_equal(got, want)


def _run(name, shape, emulate, spectrum, seed):
    rng = np.random.default_rng(seed)
    p = min(shape)
    sigma = np.linspace(1, 0.2, p) if spectrum == "lin" else np.logspace(0, -2, p)
    g = with_spectrum(sigma, shape, rng).astype(np.float32)
    sch = get_schedule(name)
    dtype = emulate.split("-")[0]
    if dtype == "bfloat16":
        g = np.asarray(round_to_bfloat16(g))
    q = sch(g, emulate=emulate).astype(np.float64)
    s = float(np.asarray(sch.scale(g, emulate=emulate)).reshape(-1)[0])
    x = np.linalg.svd(g.astype(np.float64), compute_uv=False) / s
    pred = np.sort(np.abs(compose(sch.polynomials, x)))
    got = np.sort(np.linalg.svd(q, compute_uv=False))
    return float(np.max(np.abs(got - pred))), singular_value_radius(sch.polynomials, x, emulate,
                                                                      shape)


@pytest.mark.parametrize("name", ["cubic", "pade", "you6", "muon", "polar_express"])
@pytest.mark.parametrize("emulate", ["bfloat16", "bfloat16-fused", "float16", "float16-fused"])
def test_singular_values_within_first_order_rounding_radius(name, emulate):
    # wrong: a local error of one rounding u ||X||_2 per step (no Gram-matrix, B and
    # accumulation terms) falls below the measured deviation of cubic NS in bfloat16
    for shape, spectrum, seed in (((24, 16), "lin", 0), ((16, 48), "log", 1)):
        measured, radius = _run(name, shape, emulate, spectrum, seed)
        assert measured <= radius, (name, emulate, shape, measured, radius)


def test_fused_radius_is_smaller_than_per_op():
    x = np.linspace(0.05, 0.25, 16)
    for name in ("cubic", "muon", "polar_express"):
        polys = get_schedule(name).polynomials
        for dtype in ("bfloat16", "float16"):
            fused = singular_value_radius(polys, x, f"{dtype}-fused", (24, 16))
            perop = singular_value_radius(polys, x, dtype, (24, 16))
            assert fused < perop
    assert singular_value_radius(polys, x, "float16", (24, 16)) < \
        singular_value_radius(polys, x, "bfloat16", (24, 16))
    with pytest.raises(ValueError, match="low-precision model"):
        singular_value_radius(polys, x, None, (24, 16))
