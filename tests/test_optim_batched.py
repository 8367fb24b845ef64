"""Batched layers (issue 14): same-norm, same-shape layers share one batched LMO, and the
result is the per-layer loop's, bit for bit.  The expected values are the per-layer calls
of the public single-layer API (Norm.lmo, one-layer optimizers)."""

from __future__ import annotations

import numpy as np
import pytest

from gluon_ref.backend import to_numpy
from gluon_ref.norms import get_norm, grouped_lmo
from gluon_ref.optim import Gluon, Muon, gluon_config
from gluon_ref.polar import get_schedule


def _grads(xp, shapes, seed=0):
    rng = np.random.default_rng(seed)
    return {n: xp.asarray(rng.standard_normal(s)) for n, s in shapes.items()}


@pytest.mark.parametrize("norm_name,shape,orth", [
    ("spectral", (8, 5), None), ("rms_to_rms", (5, 8), "polar_express"),
    ("spectral_conv", (4, 3, 2, 2), None), ("rms_to_rms", (9, 4), "muon"),
    ("sign", (6, 3), None)])
def test_lmo_many_equals_the_loop_bitwise(xp, norm_name, shape, orth):
    norm = get_norm(norm_name, orthogonalizer=orth) if orth else get_norm(norm_name)
    gs = list(_grads(xp, {str(i): shape for i in range(4)}).values())
    gs[2] = 0.0 * gs[2]                             # lmo(0) = 0 inside a stack
    got = norm.lmo_many(gs, radius=0.7)
    for g, d in zip(gs, got):
        assert d.dtype == g.dtype and tuple(d.shape) == shape
        assert np.array_equal(to_numpy(d), to_numpy(norm.lmo(g, radius=0.7)))
    assert not np.signbit(to_numpy(got[2])).any()   # +0 as lmo gives, not -0


class _Recorder:
    """Orthogonalizer that records the shapes it is called with (``batched`` settable)."""

    def __init__(self, batched):
        self.batched, self.calls = batched, []

    def __call__(self, g):
        self.calls.append(tuple(g.shape))
        return get_schedule("muon")(g)


@pytest.mark.parametrize("batched", [True, False])
def test_grouping_by_norm_and_shape(batched):
    rec = _Recorder(batched)
    spec = get_norm("spectral", orthogonalizer=rec)
    other = get_norm("rms_to_rms", orthogonalizer=rec)
    shapes = {"a": (8, 5), "b": (8, 5), "c": (8, 5), "d": (6, 4), "e": (8, 5)}
    g = _grads(np, shapes)
    norms = {"a": spec, "b": spec, "c": spec, "d": spec, "e": other}
    out = grouped_lmo({n: (norms[n], g[n]) for n in shapes})
    assert list(out) == list(shapes)
    if batched:      # a, b, c share norm and shape; d and e are alone
        assert sorted(rec.calls) == sorted([(3, 8, 5), (6, 4), (8, 5)])
    else:            # a 2-D-only orthogonalizer is called once per layer
        assert sorted(rec.calls) == sorted([(8, 5)] * 4 + [(6, 4)])
    for n in shapes:
        assert np.array_equal(out[n], norms[n].lmo(g[n]))


def test_gluon_step_equals_per_layer_updates(xp):
    shapes = {"w1": (8, 5), "w2": (8, 5), "w3": (8, 5), "head": (3, 8), "b": (8,)}
    params, grads = _grads(xp, shapes, 1), _grads(xp, shapes, 2)
    norms = {"w1": "rms_to_rms", "w2": "rms_to_rms", "w3": "rms_to_rms", "head": "sign",
             "b": "rms"}
    cfg = gluon_config(params, norms=norms, stepsizes=0.1, orthogonalizer="polar_express")
    opt = Gluon(cfg)
    new, _ = opt.step(params, grads, opt.init(params))
    for n in shapes:        # momentum 'ema' at step 0 is the gradient itself
        want = params[n] + 0.1 * cfg.layers[n].norm.lmo(grads[n])
        assert np.array_equal(to_numpy(new[n]), to_numpy(want)), n


def test_muon_stack_equals_each_layer_alone(xp):
    shapes = {"w1": (12, 7), "w2": (12, 7), "w3": (12, 7), "v": (7, 12)}
    params, grads = _grads(xp, shapes, 3), _grads(xp, shapes, 4)
    opt = Muon(lr=0.02, weight_decay=0.1)
    state = opt.init(params)
    new, state = opt.step(params, grads, state)
    new, _ = opt.step(new, grads, state)            # second step: a non-zero momentum buffer
    for n in shapes:
        one = {n: params[n]}
        s1 = opt.init(one)
        alone, s1 = opt.step(one, {n: grads[n]}, s1)
        alone, _ = opt.step(alone, {n: grads[n]}, s1)
        assert np.array_equal(to_numpy(new[n]), to_numpy(alone[n])), n


def test_numpy_stacks_only_where_stacking_pays():
    """NumPy runs a stack as one BLAS call per matrix: above NUMPY_STACK_MAX_ENTRIES entries the
    layers go one by one (measured slower stacked); other namespaces always stack."""
    import array_api_strict

    from gluon_ref.backend import NUMPY_STACK_MAX_ENTRIES

    side = int(NUMPY_STACK_MAX_ENTRIES ** 0.5) + 1
    for xp, want in ((np, [(side, side)] * 2), (array_api_strict, [(2, side, side)])):
        rec = _Recorder(True)
        norm = get_norm("spectral", orthogonalizer=rec)
        g = _grads(xp, {"a": (side, side), "b": (side, side)})
        grouped_lmo({n: (norm, g[n]) for n in g})
        assert rec.calls == want
