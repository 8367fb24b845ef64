"""Every claimed smoothness constant is attacked, and halving it must be caught.

Assumption 1 (docs/theory.md section 4), anchored at X:

    ||grad_i f(X) - grad_i f(Y)||_*  <=  (L0_i + L1_i ||grad_i f(X)||_*) ||X_i - Y_i||

and Lemma D (section 5) are evaluated on pairs from
:func:`proofs_check.attack.attack_pairs` (random pairs, Gluon LMO
steps, a deterministic Gluon trajectory, and the generalised power method on
the Hessian block).  For every separable family:

* validity: no pair violates either inequality beyond the rounding allowance;
* negative control: the *same search* with every constant halved finds a
  violation in every layer (so the search can break a constant that is too
  small, and each claimed constant is within a factor 2 of the best one).

The quadratic constants are additionally measured against an independent
lower bound on the best constant ``q* = max_{||D||<=1} <D, A D>`` (power
ascent written here from the operator and the norm's LMO, and brute force
over the vertices of the l_inf ball), which shows how tight each table entry
is.  Non-separable objectives are checked in the segment form only (section 4
caveat): with box constants along one-layer and all-layer steps, and the
literal assumption is shown to fail on them.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gluon_ref.norms import get_norm
from gluon_ref.objectives import (builtin_objectives, cosh_objective, glm_objective,
                                  gronwall_constants, least_squares_objective,
                                  quadratic_constant, quadratic_zoo, sdp_maxqp_bound)
from proofs_check.attack import (attack, attack_pairs, cross_power_direction, descent_instance,
                                 joint_power_direction, literal_assumption_counterexample, lmo_step,
                                 power_direction, scaled, segment_instances, step_of)
from gluon_ref.objectives.quadratics import random_psd, random_quadratic_layer

SEPARABLE = {
    "quadratic_zoo": lambda s: quadratic_zoo(s),
    "least_squares": lambda s: least_squares_objective(s),
    "glm_logistic": lambda s: glm_objective(s, loss="logistic"),
    "glm_logcosh": lambda s: glm_objective(s, loss="logcosh"),
    "cosh": lambda s: cosh_objective(s),
}
NONSEP = builtin_objectives(0)
NONSEP = {k: NONSEP[k] for k in ("matrix_factorization", "deep_linear", "tanh_mlp")}

_ATTACKS: dict = {}


def _attack(name, seed):
    """One attack per (family, seed), shared by the validity test and the negative control."""
    key = (name, seed)
    if key not in _ATTACKS:
        obj = SEPARABLE[name](seed)
        _ATTACKS[key] = (obj, attack(obj, np.random.default_rng(seed + 100)))
    return _ATTACKS[key]


def _violated(instances, factor=1.0):
    """Instances violated with every constant multiplied by ``factor``."""
    return [i for i in instances if not scaled(i, factor).satisfied]


# -- separable families: validity and negative control ------------------------------------

@pytest.mark.parametrize("name", sorted(SEPARABLE))
def test_claimed_constants_survive_attack(name):
    obj, res = _attack(name, 0)
    assert sum(map(len, res.smooth.values())) > 100 and len(res.descent) > 20
    bad = res.violations("smooth")
    assert not bad, bad[:3]
    bad = res.violations("descent")
    assert not bad, bad[:3]
    # every layer was attacked with steps of several lengths
    for k in obj.layers:
        steps = {round(math.log10(step_of(i))) for i in res.smooth[k] if step_of(i) > 0}
        assert len(steps) >= 3, (k, steps)


@pytest.mark.parametrize("name", sorted(SEPARABLE))
def test_halved_constants_are_violated_in_every_layer(name):
    """Negative control: the same pairs with every constant halved (both right sides are
    linear in the constants, so this is ``lhs > rhs/2 + tol`` on the same records)."""
    obj, res = _attack(name, 0)
    layers_hit = {k for k, insts in res.smooth.items() if _violated(insts, 0.5)}
    assert layers_hit == set(obj.layers), set(obj.layers) - layers_hit
    assert res.violations("descent", factor=0.5), "Lemma D with halved constants was not broken"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SEPARABLE))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_attack_more_seeds(name, seed):
    obj, res = _attack(name, seed)
    assert not res.violations("smooth") and not res.violations("descent")
    assert {k for k, insts in res.smooth.items() if _violated(insts, 0.5)} == set(obj.layers)


def test_measured_tightness_report(capsys):
    """Record the best ratio lhs/rhs found per layer (printed with -s; asserted >= 1/2)."""
    lines = []
    for name in sorted(SEPARABLE):
        obj, res = _attack(name, 0)
        for k in obj.layers:
            r = res.max_ratio("smooth", k)
            lines.append(f"{name:14s} {k:20s} tightness {r:.4f}  [{obj.constants[k].note[:70]}]")
            assert 0.5 < r <= 1 + 1e-9
    print("\n".join(lines))


# -- quadratic constants against an independent lower bound ----------------------------

def _q_lower(apply, norm, shape, rng, restarts=6, iters=60):
    """max <D, A D> over ||D|| <= 1 by power ascent D <- -lmo(A D) from random starts."""
    best = 0.0
    for _ in range(restarts):
        D = rng.standard_normal(shape)
        D /= float(norm.norm(D))
        for _ in range(iters):
            AD = apply(D)
            best = max(best, float(np.sum(D * AD)))
            Dn = -norm.lmo(AD)
            if np.allclose(Dn, D, rtol=0, atol=1e-14):
                break
            D = Dn
    return best


def _apply(layer):
    M = layer.M
    return {"left": lambda D: M @ D, "right": lambda D: D @ M,
            "elementwise": lambda D: M * D}[layer.op]


QUICK_NORMS = ["frobenius", "spectral", "rms_to_rms", "nuclear", "l1", "linf", "sign",
               "colnorm", "rownorm"]
ALL_NORMS = QUICK_NORMS + ["muon_spectral", "l2_to_rms", "max_entry", "colnorm_normalized",
                           "l1_to_l2", "l2_to_linf"]
# linf_to_linf is left out: the power ascent stalls at its many local vertices (measured 0.94-0.97
# of the exact right/elementwise entries); tests/test_geometry.py enumerates its vertices instead


def _check_quadratic_constant(norm, kind, shape, seed):
    rng = np.random.default_rng(seed)
    layer = random_quadratic_layer(rng, shape, norm, kind)
    c = layer.constants
    lo = _q_lower(_apply(layer), get_norm(norm), shape, rng)
    # valid: nothing found above the claim (rounding of <D, AD> with |D| <= c-scaled unit ball)
    assert lo <= c.L0 * (1 + 1e-12), (norm, kind, lo, c.L0)
    # as tight as claimed: the power method converges linearly (rate = spectral gap), so
    # exact entries are reached to 1 % within 60 iterations; SDP entries are >= 2/pi tight
    floor = 0.99 if c.tightness == 1.0 else c.tightness
    assert lo >= floor * c.L0, (norm, kind, lo / c.L0, c.note)


@pytest.mark.parametrize("norm", QUICK_NORMS)
@pytest.mark.parametrize("kind", ["left", "right", "elementwise"])
def test_quadratic_constant_valid_and_tight(norm, kind):
    _check_quadratic_constant(norm, kind, (5, 3), 0)


@pytest.mark.slow
@pytest.mark.parametrize("norm", ALL_NORMS)
@pytest.mark.parametrize("kind", ["left", "right", "elementwise"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4)])
def test_quadratic_constant_valid_and_tight_sweep(norm, kind, shape):
    _check_quadratic_constant(norm, kind, shape, 1)


_ZOOS = [quadratic_zoo(s) for s in range(3)]


@given(seed=st.integers(0, 2**31 - 1))
def test_quadratic_constant_bounds_random_directions(seed):
    """||A D||_* <= L0 ||D|| for random D in every layer of the zoo (hypothesis)."""
    rng = np.random.default_rng(seed)
    obj = _ZOOS[seed % len(_ZOOS)]
    for k, t in obj.terms.items():
        n = get_norm(t.norm)
        D = rng.standard_normal(t.shape) * rng.exponential(1.0, t.shape)
        lhs = float(n.dual_norm(_apply(t)(D)))
        assert lhs <= t.constants.L0 * float(n.norm(D)) * (1 + 1e-12), k


@pytest.mark.parametrize("m", [3, 5, 8])
def test_sdp_bound_against_brute_force(m):
    """max_{d in {-1,1}^m} d^T H d <= SDP(H) <= (pi/2) max (Nesterov, PSD H)."""
    rng = np.random.default_rng(m)
    for _ in range(3):
        H = random_psd(rng, m, 0.01, 3.0, rank=max(1, m // 2))
        best = max(float(np.array(d) @ H @ np.array(d))
                   for d in itertools.product((-1.0, 1.0), repeat=m))
        sdp = sdp_maxqp_bound(H)
        assert best <= sdp * (1 + 1e-12)
        assert sdp <= math.pi / 2 * best * (1 + 1e-9)
        # the bound improves on both closed forms it starts from
        assert sdp <= m * np.linalg.eigvalsh(H)[-1] * (1 + 1e-9)
        assert sdp <= np.abs(H).sum() * (1 + 1e-9)


def test_scaled_norm_rule_for_constants():
    """||.|| = c ||.||_base  =>  q* = q*_base / c^2 (docs/norms.md section 1)."""
    rng = np.random.default_rng(0)
    H = random_psd(rng, 5)
    base = quadratic_constant("left", H, (5, 3), "spectral").value
    for name in ("rms_to_rms", "muon_spectral", "l2_to_rms"):
        c = get_norm(name).shape_factor((5, 3))
        assert quadratic_constant("left", H, (5, 3), name).value == pytest.approx(base / c**2, rel=1e-14)


# -- cosh: genuinely (L0, L1) ---------------------------------------------------------------

def test_cosh_hessian_form_valid_and_tight():
    """||H_ii(X) D||_* <= (L0h + L1h ||grad_i f(X)||_*) ||D|| at anchors with small and huge gradients."""
    obj = cosh_objective(0)
    rng = np.random.default_rng(4)
    best = {k: 0.0 for k in obj.layers}
    anchors = [obj.minimizer()] + [obj.sample_point(rng, s) for s in (0.5, 3.0, 8.0)]
    for X in anchors:
        G = obj.grad(X)
        for k, spec in obj.layers.items():
            L0h, L1h = obj.constants[k].hessian
            n = spec.norm_obj
            D = power_direction(obj, X, k, rng)
            V = {j: np.zeros(s.shape) for j, s in obj.layers.items()}
            V[k] = D
            lhs = float(n.dual_norm(obj.hvp(X, V)[k]))
            rhs = (L0h + L1h * float(n.dual_norm(G[k]))) * float(n.norm(D))
            assert lhs <= rhs * (1 + 1e-10), (k, lhs, rhs)
            best[k] = max(best[k], lhs / rhs)
    assert min(best.values()) > 0.5, best


def test_cosh_is_not_L_smooth_with_small_L():
    """The Hessian grows with the gradient: at ||grad|| ~ 1e3 it is > 100 x the constant at the minimiser."""
    obj = cosh_objective(0)
    X0 = obj.minimizer()
    rng = np.random.default_rng(0)
    for k, spec in obj.layers.items():
        L0h, _ = obj.constants[k].hessian
        X = dict(X0)
        D = -spec.norm_obj.lmo(rng.standard_normal(spec.shape))  # unit direction
        V = {j: np.zeros(s.shape) for j, s in obj.layers.items()}
        V[k] = D
        t = 1.0
        while True:  # walk out until the Hessian in direction D is 100x its value at the minimiser
            X[k] = X0[k] + t * D
            q = float(np.sum(D * obj.hvp(X, V)[k]))
            if q > 100 * L0h:
                break
            t *= 1.5
            assert t < 1e4
        assert float(spec.norm_obj.dual_norm(obj.grad(X)[k])) > 10 * L0h


def test_cosh_without_radius_violates_assumption_1():
    """Assumption 1 for all X, Y fails for every finite (L0, L1): anchored at the minimiser
    (gradient 0), ||grad f(Y)||_* / ||Y - X|| is unbounded; the radius is needed."""
    obj = cosh_objective(0)
    X = obj.minimizer()
    rng = np.random.default_rng(2)
    for k, spec in obj.layers.items():
        c = obj.constants[k]
        D = power_direction(obj, X, k, rng)
        Y = dict(X)
        r = 20 * c.valid_within
        Y[k] = X[k] + r * D
        if not obj.in_domain(Y):
            continue
        lhs = float(spec.norm_obj.dual_norm(obj.grad(Y)[k]))
        assert lhs > 100 * c.L0 * r, k  # far beyond any constant of the size claimed


def test_gronwall_constants_are_valid_but_weaker_than_closed_forms():
    """The generic Gronwall pair (L0h k, L1h k) also survives the attack; the cosh closed forms are sharper."""
    obj = cosh_objective(1)
    g = {}
    for k, c in obj.constants.items():
        L0, L1 = gronwall_constants(*c.hessian, c.valid_within)
        assert L0 >= c.L0 * (1 - 1e-14) and L1 >= c.L1 * (1 - 1e-14)
        g[k] = type(c)(L0, L1, c.valid_within)
    res = attack(obj, np.random.default_rng(9), g, scales=(0.01, 3.0), steps=(1e-3, 1.0, 3.0),
                 power=True)
    assert not res.violations("smooth") and not res.violations("descent")


# -- non-separable: segment form with box constants -----------------------------------

_SEGMENTS: dict = {}


def _segment_attack(name):
    """Block bound and Lemma D records on boxes of several radii around several anchors.

    Candidate steps: Gluon LMO steps of every layer and of one layer, per-layer
    power directions of the Hessian block (one-layer steps), cross power
    directions (layer j moves so that grad_i changes most), and the joint power
    direction over the product ball (all layers aligned, the worst case for
    Lemma D).  Instances are kept per factor-free constants; negative
    controls rescale the right sides (they are linear in h).
    """
    if name in _SEGMENTS:
        return _SEGMENTS[name]
    obj = NONSEP[name]
    rng = np.random.default_rng(0)
    seg, desc = {k: [] for k in obj.layers}, []
    for scale in (0.3, 1.0, 2.0):
        X = obj.sample_point(rng, scale)
        for r in (1e-3, 1e-2, 0.1, 0.5):
            radii = {k: r for k in obj.layers}
            loc = obj.local_constants(X, radii)
            G, f = obj.grad(X), obj.value(X)
            cands = [lmo_step(obj, X, G, radii), lmo_step(obj, X, {k: -g for k, g in G.items()}, radii)]
            for k in obj.layers:
                cands.append(lmo_step(obj, X, G, {k: r}))
                D = power_direction(obj, X, k, rng)
                for sgn in (1, -1):
                    Y = dict(X)
                    Y[k] = X[k] + sgn * r * D
                    cands.append(Y)
            for sgn in (1, -1):
                Dj = joint_power_direction(obj, X, radii, rng)
                cands.append({j: X[j] + sgn * Dj[j] for j in obj.layers})
            for i in obj.layers:
                for j in obj.layers:
                    if i != j:
                        Y = dict(X)
                        Y[j] = X[j] + r * cross_power_direction(obj, X, i, j, rng)
                        cands.append(Y)
            for Y in cands:
                lab = f"scale={scale} r={r}"
                for k, inst in segment_instances(obj, X, Y, loc, lab, GX=G).items():
                    seg[k].append(inst)
                desc.append(descent_instance(obj, X, Y, loc.descent(), lab, GX=G, fX=f))
    _SEGMENTS[name] = (seg, desc)
    return seg, desc


@pytest.mark.parametrize("name", sorted(NONSEP))
def test_nonseparable_box_constants_valid(name):
    seg, desc = _segment_attack(name)
    seg_all = [i for insts in seg.values() for i in insts]
    assert len(seg_all) > 100
    assert not _violated(seg_all), _violated(seg_all)[:3]
    assert not _violated(desc), _violated(desc)[:3]
    assert NONSEP[name].constants is None


#: measured Lemma D tightness of the box constants (best ratio found, seed 0):
#: matrix factorization 0.92, deep linear 0.67, tanh MLP 0.46; block bounds h (segment
#: form): 0.999 / 0.85-0.997 / W1 0.51, W2 0.997.  The tanh bounds lose through the
#: residual terms <R, d^2 output> (bounded by norms of R, ignoring its signs), so
#: halving its Lemma D constants is not always caught; its block bounds' halving is.
DESCENT_TIGHTNESS_FLOOR = {"matrix_factorization": 0.5, "deep_linear": 0.5, "tanh_mlp": 0.4}


@pytest.mark.parametrize("name", sorted(NONSEP))
def test_nonseparable_halved_constants_violated(name):
    """Negative control: halved block bounds h are broken on every layer by the same search;
    halved Lemma D constants too where the measured tightness exceeds 1/2 (see above)."""
    seg, desc = _segment_attack(name)
    assert {k for k, insts in seg.items() if _violated(insts, 0.5)} == set(NONSEP[name].layers)
    best = max(i.lhs / i.rhs for i in desc if i.rhs > 0)
    floor = DESCENT_TIGHTNESS_FLOOR[name]
    assert best >= floor, best
    if floor >= 0.5:
        assert _violated(desc, 0.5)


@pytest.mark.parametrize("name", sorted(NONSEP))
def test_literal_assumption_1_fails_on_nonseparable(name):
    """docs/theory.md section 4 caveat: X_i = Y_i, other layers moved, grad_i changes (rhs = 0)."""
    obj = NONSEP[name]
    insts = literal_assumption_counterexample(obj, np.random.default_rng(0))
    assert set(insts) == set(obj.layers)
    assert all(i.rhs == 0 for i in insts.values())
    assert all(not i.satisfied for i in insts.values()), insts


@pytest.mark.parametrize("name", sorted(SEPARABLE))
def test_literal_assumption_1_control_on_separable(name):
    """The same construction on a separable objective leaves grad_i unchanged (to rounding)."""
    obj = SEPARABLE[name](0)
    insts = literal_assumption_counterexample(obj, np.random.default_rng(0))
    assert all(i.satisfied for i in insts.values()), {k: i for k, i in insts.items() if not i.satisfied}


def test_attack_pairs_include_one_layer_and_trajectory_steps():
    obj = NONSEP["matrix_factorization"]
    labels = [lab for lab, _, _ in attack_pairs(obj, np.random.default_rng(0), scales=(1.0,),
                                                steps=(0.1,), one_layer=True, power=True)]
    assert any(lab.startswith("lmo[W1]") for lab in labels)
    assert any(lab.startswith("power[W2]") for lab in labels)
    assert any(lab.startswith("trajectory") for lab in labels)
