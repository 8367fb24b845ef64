"""Conformance with optax.contrib.muon (JAX CPU, float64 via jax_enable_x64), golden inputs.

optax's conventions differ from torch's in three places (README, convention table):

* layout: a weight is (in, out) ("x W = y", reduction axis 0), so its width scaling
  sqrt(max(1, fan_out/fan_in)) is torch's sqrt(max(1, A/B)) on the transposed matrix;
* momentum: an EMA with bias correction; without Nesterov its direction equals torch's
  lerp buffer (NS removes the scale), with Nesterov it uses
  ``beta m_t/(1 - beta^(t+1)) + (1 - beta) g_t/(1 - beta^t)``, which is *not* proportional to
  torch's ``(1 - beta) g_t + beta m_t`` from the second step on;
* eps: additive, ``X / (||X||_F + 1e-8)``.

The expected updates are built from the project's presets and Newton–Schulz in float64.
Skipped cleanly without JAX/optax (optional extra ``conformance``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
contrib_muon = pytest.importorskip("optax.contrib._muon")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

from gluon_ref.optim import Muon  # noqa: E402
from gluon_ref.polar import MUON_QUINTIC, newton_schulz  # noqa: E402
from gluon_ref.polar.catalogue import get_preset  # noqa: E402
from gluon_ref.polar.schedules import YOU_5STEP  # noqa: E402


def _golden(shape, seed, steps=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), [rng.standard_normal(shape) for _ in range(steps)]


def _optax_run(p0, grads, **kw):
    tx = optax.contrib.muon(**kw)
    params = {"w": jnp.asarray(p0, dtype=jnp.float64)}
    state = tx.init(params)
    update = jax.jit(tx.update)  # one compilation instead of eager dispatch of every op
    out = []
    for g in grads:
        updates, state = update({"w": jnp.asarray(g, dtype=jnp.float64)}, state, params)
        params = optax.apply_updates(params, updates)
        assert params["w"].dtype == jnp.float64
        out.append(np.asarray(params["w"]).copy())
    return out


def _ns(u, coefficients=MUON_QUINTIC, steps=5, eps=1e-8):
    return newton_schulz(u, coefficients, steps, normalization="frobenius", eps=eps)


def test_optax_presets_are_the_catalogue_entries():
    assert tuple(contrib_muon._DEFAULT_NS_COEFFS) == get_preset("optax_standard").polynomials[0]
    assert tuple(map(tuple, contrib_muon._DION_NS_COEFFS)) == YOU_5STEP
    assert get_preset("optax_standard").eps == 1e-8


@pytest.mark.parametrize("shape,wd,rms", [((24, 16), 0.0, None), ((16, 24), 0.1, None),
                                          ((40, 12), 0.1, 0.2), ((12, 40), 0.0, 0.2)])
def test_without_nesterov_optax_is_the_project_muon_on_the_transposed_layout(shape, wd, rms):
    """optax (in, out) weight W equals gluon_ref Muon on W^T (torch layout), nesterov=False."""
    # wrong: the same layout on both sides (sqrt(max(1, A/B)) vs fan_out/fan_in flips for tall
    # matrices), or wd after the lr adjustment -> differences of order lr
    p0, grads = _golden(shape, 3)
    lr, beta = 0.05, 0.9
    got = _optax_run(p0, grads, learning_rate=lr, beta=beta, weight_decay=wd, nesterov=False,
                     consistent_rms=rms)
    ours = Muon(lr=lr, momentum=beta, nesterov=False, weight_decay=wd,
                adjust_lr_fn="match_rms_adamw" if rms else "original",
                orthogonalizer=_ns)
    params = {"w": p0.T.copy()}
    state = ours.init(params)
    for k, g in enumerate(grads):
        params, state = ours.step(params, {"w": g.T.copy()}, state)
        # optax bias-corrects the EMA (x 1/(1 - beta^t)); NS is scale invariant up to its
        # eps = 1e-8, relative to ||m_t||_F ~ 0.3 here: ~1e-7 relative, times lr
        assert np.max(np.abs(params["w"].T - got[k])) <= 1e-8, k


def _optax_direction(ms, gs, t, beta, nesterov):
    """The documented optax momentum input at step t (1-based), before orthogonalization."""
    m = ms[t - 1]
    if not nesterov:
        return m / (1 - beta**t)
    return beta * m / (1 - beta ** (t + 1)) + (1 - beta) * gs[t - 1] / (1 - beta**t)


@pytest.mark.parametrize("shape,nesterov,coeffs,steps", [
    ((24, 16), True, MUON_QUINTIC, 5), ((16, 24), True, MUON_QUINTIC, 5),
    ((24, 16), False, MUON_QUINTIC, 5), ((16, 24), True, YOU_5STEP, 5)])
def test_optax_matches_its_documented_convention_exactly(shape, nesterov, coeffs, steps):
    """The convention table's optax row, rebuilt with the project's float64 NS: to 1e-13."""
    # wrong: no bias correction, torch's (1-beta) g + beta m Nesterov input, (out, in) scaling
    p0, grads = _golden(shape, 5, steps=4)
    lr, beta, wd = 0.03, 0.95, 0.05
    got = _optax_run(p0, grads, learning_rate=lr, beta=beta, weight_decay=wd, nesterov=nesterov,
                     ns_coeffs=coeffs, ns_steps=steps)
    m, ms, p = np.zeros(shape), [], p0.copy()
    fan_in, fan_out = shape
    for t, g in enumerate(grads, start=1):
        m = beta * m + (1 - beta) * g
        ms.append(m)
        u = _optax_direction(ms, grads, t, beta, nesterov)
        o = newton_schulz(u, coeffs if isinstance(coeffs[0], tuple) else coeffs,
                          None if isinstance(coeffs[0], tuple) else steps,
                          normalization="frobenius", eps=1e-8)
        p = p - lr * (math.sqrt(max(1.0, fan_out / fan_in)) * o + wd * p)
        assert np.max(np.abs(p - got[t - 1])) <= 1e-13, t


def test_nesterov_conventions_of_optax_and_torch_differ_from_step_two():
    """Same first step (both inputs are multiples of g_1), different afterwards."""
    shape = (24, 16)
    p0, grads = _golden(shape, 9, steps=3)
    lr, beta = 0.05, 0.95
    got = _optax_run(p0, grads, learning_rate=lr, beta=beta, nesterov=True)
    ours = Muon(lr=lr, momentum=beta, nesterov=True, weight_decay=0.0, orthogonalizer=_ns)
    params = {"w": p0.T.copy()}
    state = ours.init(params)
    gaps = []
    for k, g in enumerate(grads):
        params, state = ours.step(params, {"w": g.T.copy()}, state)
        gaps.append(float(np.max(np.abs(params["w"].T - got[k]))))
    print(f"\noptax vs torch-convention Nesterov, max |diff| per step: {gaps}")
    assert gaps[0] <= 1e-8
    assert gaps[1] > 1e-4 and gaps[2] > 1e-4


def test_optax_eps_is_additive():
    p0, grads = _golden((12, 8), 4, steps=1)
    tiny = [1e-10 * grads[0]]  # ||G||_F ~ 1e-9, below eps = 1e-8
    got = _optax_run(p0, tiny, learning_rate=1.0, beta=0.0, nesterov=False)
    o = newton_schulz(tiny[0], MUON_QUINTIC, 5, normalization="frobenius", eps=1e-8)
    assert np.max(np.abs((p0 - o) - got[0])) <= 1e-14
    clamp = newton_schulz(tiny[0], MUON_QUINTIC, 5, normalization="clamp", eps=1e-8)
    assert np.max(np.abs((p0 - clamp) - got[0])) > 1e-6
