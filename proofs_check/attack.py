"""Searches that try to break the smoothness constants an objective claims.

The counterexample search behind the ``smoothness`` claims: it measures each
inequality on many point pairs and returns the report's
:class:`~proofs_check.claims.base.Instance` records, one per pair (and layer),
so a claim picks the worst of them without converting anything.

Every claimed constant is attacked with point pairs ``(X, Y)``:

* ``random``     random anchors at several scales, Gaussian steps of several lengths;
* ``lmo``        Gluon steps ``Y_i = X_i + t lmo_i(grad_i f(X))`` (docs/theory.md section 2,
                 minimiser sign), all layers or one layer at a time;
* ``trajectory`` consecutive iterates of deterministic Gluon with a fixed radius;
* ``power``      the direction maximising ``<D, H_ii(X) D>`` over the unit ball
                 of layer ``i``'s norm, by the generalised power method
                 ``D <- s(H_ii D) = -lmo(H_ii D)`` (monotone for PSD ``H_ii``;
                 Journee, Nesterov, Richtarik, Sepulchre, JMLR 2010), at small and
                 large step lengths and at special anchors (the minimiser, 0,
                 large-gradient points).

For each pair the layer-wise inequality of Assumption 1 (docs/theory.md section 4)

    lhs_i = ||grad_i f(X) - grad_i f(Y)||_(i)*  <=  rhs_i = (L0_i + L1_i ||grad_i f(X)||_(i)*) ||X_i - Y_i||_(i)

and the descent inequality of Lemma D (section 5)

    f(Y) - f(X) - <grad f(X), Y - X>  <=  sum_i (L0_i + L1_i ||grad_i f(X)||_*)/2 ||Y_i - X_i||^2

are evaluated; ``lhs/rhs`` is the measured tightness (<= 1 when the constant
is valid; a negative control halving the constants is caught when some ratio
exceeds 1/2, see :func:`scaled`).  Each instance's ``note`` records the step
length ``||X_i - Y_i||`` (the longest block for Lemma D), read back by
:func:`step_of`.  Constants with a finite ``valid_within`` are only
attacked with steps inside it.

Rounding allowance: both sides come from gradient/value evaluations whose
absolute rounding error is at most ``n * eps`` times the magnitudes involved
(``n`` = number of summed terms, a standard summation bound, Higham,
*Accuracy and Stability of Numerical Algorithms*, section 4.2); ``tol`` is
``16 n eps`` times those magnitudes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator, Mapping

import numpy as np

from gluon_ref.backend import namespace
from gluon_ref.objectives import LayerConstants, LocalConstants, Objective

from .claims.base import Instance

__all__ = [
    "lmo_step",
    "power_direction",
    "joint_power_direction",
    "cross_power_direction",
    "smoothness_instances",
    "descent_instance",
    "segment_instances",
    "attack_pairs",
    "attack",
    "AttackResult",
    "literal_assumption_counterexample",
    "rounding_rtol",
    "scaled",
    "step_of",
]


def _measured(label: str, lhs: float, rhs: float, tol: float, step: float) -> Instance:
    return Instance(label, lhs, rhs, "<=", tol, note=f"step {step:.3g}")


def step_of(instance: Instance) -> float:
    """The step length an instance of this module records in its note (3 significant digits)."""
    return float(instance.note.split("step ", 1)[1].split(",", 1)[0])


def scaled(instance: Instance, factor: float) -> Instance:
    """The same measurement with every constant multiplied by ``factor``.

    The right sides of Assumption 1, Lemma D and the block bound are linear in
    the constants, so the pair need not be re-evaluated: ``rhs -> factor * rhs``
    (negative controls use ``factor = 1/2``).
    """
    return replace(instance, rhs=factor * instance.rhs)


def rounding_rtol(obj: Objective, X) -> float:
    """``16 n eps`` with ``n = max(#parameters, #samples)`` and ``eps`` of ``X``'s dtype."""
    some = next(iter(X.values()))
    eps = float(namespace(some).finfo(some.dtype).eps)
    n = max(sum(s.size for s in obj.layers.values()), obj.n_samples or 1)
    return 16.0 * n * eps


def _consts(constants) -> dict[str, tuple[float, float, float]]:
    out = {}
    for k, c in constants.items():
        if isinstance(c, LayerConstants):
            out[k] = (c.L0, c.L1, c.valid_within)
        elif isinstance(c, (int, float, np.floating)):
            out[k] = (float(c), 0.0, math.inf)
        else:
            L0, L1 = c
            out[k] = (float(L0), float(L1), math.inf)
    return out


def lmo_step(obj: Objective, X, G, radii: Mapping[str, float]) -> dict[str, Any]:
    """``Y_i = X_i + t_i lmo_i(G_i)`` (docs/theory.md section 2; ``t_i = 0`` leaves layer i)."""
    out = {}
    for k, block in obj.layers.items():
        t = float(radii.get(k, 0.0))
        out[k] = X[k] + block.norm_obj.lmo(G[k], radius=t) if t > 0 else X[k]
    return out


def _unit(block, D):
    n = float(block.norm_obj.norm(D))
    return D / n if n > 0 else D


def power_direction(obj: Objective, X, layer: str, rng: np.random.Generator,
                    iters: int = 25) -> Any:
    """Unit-norm ``D`` (in layer ``layer``'s norm) approximately maximising ``<D, H_ii(X) D>``.

    Generalised power method ``D <- -lmo(H_ii(X) D)`` from a random start; for
    a PSD block the objective ``<D, H D>`` is non-decreasing along the
    iteration (convexity: ``q(D') >= q(D) + 2 <H D, D' - D> >= q(D)``).
    """
    block = obj.layers[layer]
    xp = namespace(*X.values())
    some = X[layer]
    zeros = {k: xp.zeros_like(v) for k, v in X.items()}
    D = _unit(block, xp.asarray(rng.standard_normal(block.shape), dtype=some.dtype))
    best, best_q = D, -math.inf
    for _ in range(iters):
        V = dict(zeros)
        V[layer] = D
        HD = obj.hvp(X, V)[layer]
        q = float(xp.sum(D * HD))
        if q > best_q:
            best, best_q = D, q
        if not bool(xp.any(HD != 0)):
            break
        D = -block.norm_obj.lmo(HD)
    return best


def joint_power_direction(obj: Objective, X, radii: Mapping[str, float],
                          rng: np.random.Generator, iters: int = 25) -> dict[str, Any]:
    """``D`` with ``||D_i|| = radii[i]`` approximately maximising ``<D, H(X) D>`` over all blocks.

    The generalised power method on the product ball ``{||D_i|| <= r_i}``:
    ``D_i <- r_i lmo_i(-(H D)_i)``.  It aligns the blocks so that the
    cross-layer Hessian terms add up, the worst case for Lemma D on
    non-separable objectives.
    """
    xp = namespace(*X.values())
    D = {k: float(radii[k]) * _unit(s, xp.asarray(rng.standard_normal(s.shape), dtype=X[k].dtype))
         for k, s in obj.layers.items()}
    best, best_q = D, -math.inf
    for _ in range(iters):
        HD = obj.hvp(X, D)
        q = sum(float(xp.sum(D[k] * HD[k])) for k in D)
        if q > best_q:
            best, best_q = D, q
        D = {k: s.norm_obj.lmo(-HD[k], radius=float(radii[k])) for k, s in obj.layers.items()}
    return best


def cross_power_direction(obj: Objective, X, i: str, j: str, rng: np.random.Generator,
                          iters: int = 25) -> Any:
    """Unit ``D_j`` approximately maximising ``||H_ij(X) D_j||_(i)*`` (block ``j`` moves, ``grad_i`` reacts).

    Alternating maximisation of the bilinear form ``<E_i, H_ij D_j>`` over both
    unit balls: ``E_i <- s_i(H_ij D_j)``, ``D_j <- s_j(H_ji E_i)`` (``s = -lmo``);
    each half-step cannot decrease the form.  The worst case for the
    cross-layer block bound ``h_ij`` of :class:`~gluon_ref.objectives.LocalConstants`.
    """
    xp = namespace(*X.values())
    si, sj = obj.layers[i], obj.layers[j]
    zeros = {k: xp.zeros_like(v) for k, v in X.items()}
    D = _unit(sj, xp.asarray(rng.standard_normal(sj.shape), dtype=X[j].dtype))
    best, best_v = D, -math.inf
    for _ in range(iters):
        V = dict(zeros)
        V[j] = D
        HD = obj.hvp(X, V)[i]
        v = float(si.norm_obj.dual_norm(HD))
        if v > best_v:
            best, best_v = D, v
        if v == 0:
            break
        E = -si.norm_obj.lmo(HD)
        V = dict(zeros)
        V[i] = E
        D = -sj.norm_obj.lmo(obj.hvp(X, V)[j])
    return best


def smoothness_instances(obj: Objective, X, Y, constants, label: str,
                         layers: Iterable[str] | None = None, GX=None) -> dict[str, Instance]:
    """Assumption 1 per layer at the pair ``(X, Y)`` anchored at ``X`` (module docstring);
    layers whose step exceeds the constants' ``valid_within`` are left out."""
    cs = _consts(constants)
    GX = obj.grad(X) if GX is None else GX
    GY = obj.grad(Y)
    rtol = rounding_rtol(obj, X)
    out = {}
    for k in (layers or obj.layers):
        norm = obj.layers[k].norm_obj
        L0, L1, R = cs[k]
        step = float(norm.norm(Y[k] - X[k]))
        if step > R * (1 + 1e-12):
            continue
        gx = float(norm.dual_norm(GX[k]))
        gy = float(norm.dual_norm(GY[k]))
        lhs = float(norm.dual_norm(GX[k] - GY[k]))
        rhs = (L0 + L1 * gx) * step
        out[k] = _measured(label, lhs, rhs, rtol * (gx + gy + rhs), step)
    return out


def descent_instance(obj: Objective, X, Y, constants, label: str, GX=None,
                     fX: float | None = None) -> Instance | None:
    """Lemma D at ``(X, Y)``: ``f(Y) - f(X) - <grad f(X), Y - X>`` against the quadratic bound."""
    cs = _consts(constants)
    if GX is None or fX is None:
        fX, GX = obj.value_and_grad(X)
    fY = obj.value(Y)
    xp = namespace(*X.values())
    lin, lin_abs, rhs, steps = 0.0, 0.0, 0.0, []
    for k, block in obj.layers.items():
        D = Y[k] - X[k]
        L0, L1, R = cs[k]
        r = float(block.norm_obj.norm(D))
        if r > R * (1 + 1e-12):
            return None
        steps.append(r)
        t = float(xp.sum(GX[k] * D))
        lin += t
        lin_abs += abs(t)
        rhs += (L0 + L1 * float(block.norm_obj.dual_norm(GX[k]))) / 2 * r * r
    lhs = fY - fX - lin
    tol = rounding_rtol(obj, X) * (abs(fX) + abs(fY) + lin_abs)
    return _measured(label, lhs, rhs, tol, max(steps))


def segment_instances(obj: Objective, X, Y, local: LocalConstants, label: str,
                      GX=None) -> dict[str, Instance]:
    """Block bound ``||grad_i f(Y) - grad_i f(X)||_* <= sum_j h_ij ||Y_j - X_j||`` (LocalConstants)."""
    GX = obj.grad(X) if GX is None else GX
    GY = obj.grad(Y)
    rtol = rounding_rtol(obj, X)
    steps = {k: float(s.norm_obj.norm(Y[k] - X[k])) for k, s in obj.layers.items()}
    for k, r in steps.items():
        if r > float(local.box_radius[k]) * (1 + 1e-12):
            raise ValueError(f"layer {k!r}: step {r:.4g} leaves the box radius {local.box_radius[k]:.4g}")
    bound = local.gradient_bound(steps)
    out = {}
    for k, block in obj.layers.items():
        n = block.norm_obj
        lhs = float(n.dual_norm(GX[k] - GY[k]))
        gx, gy = float(n.dual_norm(GX[k])), float(n.dual_norm(GY[k]))
        out[k] = _measured(label, lhs, bound[k], rtol * (gx + gy + bound[k]), steps[k])
    return out


def _random_step(obj: Objective, X, rng, lengths: Mapping[str, float]):
    xp = namespace(*X.values())
    out = {}
    for k, block in obj.layers.items():
        t = float(lengths.get(k, 0.0))
        if t > 0:
            D = xp.asarray(rng.standard_normal(block.shape), dtype=X[k].dtype)
            out[k] = X[k] + t * _unit(block, D)
        else:
            out[k] = X[k]
    return out


def _anchors(obj: Objective, rng, scales, xp, dtype) -> Iterator[tuple[str, dict]]:
    for s in scales:
        yield f"scale={s:g}", obj.sample_point(rng, s, xp, dtype)
    mini = getattr(obj, "minimizer", None)
    if callable(mini):
        m = mini(xp, dtype)
        if m is not None:
            yield "minimizer", m
    yield "zero", obj.zeros(xp, dtype)


def attack_pairs(obj: Objective, rng: np.random.Generator, *, scales=(0.01, 0.3, 1.0, 3.0),
                 steps=(1e-4, 1e-2, 0.3, 1.0, 3.0), valid_within: Mapping[str, float] | None = None,
                 power: bool = True, trajectory_steps: int = 8, xp=np, dtype=None,
                 one_layer: bool = False) -> Iterator[tuple[str, dict, dict]]:
    """Yield ``(label, X, Y)`` pairs from the strategies of the module docstring.

    ``valid_within`` caps the step length per layer (constants with a finite region);
    ``one_layer=True`` adds pairs that move a single layer (segment form for
    non-separable objectives).  Points outside the objective's domain are skipped.
    """
    names = list(obj.layers)
    cap = {k: (math.inf if valid_within is None else float(valid_within[k])) for k in names}

    def lens(t):  # step length per layer, capped by the constants' valid_within
        return {k: min(t, cap[k]) for k in names}

    for alabel, X in _anchors(obj, rng, scales, xp, dtype):
        if not _ok(obj, X):
            continue
        G = obj.grad(X)
        for t in steps:
            for label, Y in (
                (f"random {alabel} t={t:g}", _random_step(obj, X, rng, lens(t))),
                (f"lmo {alabel} t={t:g}", lmo_step(obj, X, G, lens(t))),
                (f"-lmo {alabel} t={t:g}", lmo_step(obj, X, {k: -g for k, g in G.items()}, lens(t))),
            ):
                if _ok(obj, Y):
                    yield label, X, Y
            if one_layer:
                for k in names:
                    Y = lmo_step(obj, X, G, {k: min(t, cap[k])})
                    if _ok(obj, Y):
                        yield f"lmo[{k}] {alabel} t={t:g}", X, Y
        if power and obj.hvp_exact:
            dirs = {k: power_direction(obj, X, k, rng) for k in names}
            for t in steps:
                for sgn in (1.0, -1.0):
                    Y = {k: X[k] + sgn * min(t, cap[k]) * dirs[k] for k in names}
                    if _ok(obj, Y):
                        yield f"power{'+' if sgn > 0 else '-'} {alabel} t={t:g}", X, Y
                    if one_layer:
                        for k in names:
                            Yk = dict(X)
                            Yk[k] = X[k] + sgn * min(t, cap[k]) * dirs[k]
                            if _ok(obj, Yk):
                                yield f"power[{k}] {alabel} t={t:g}", X, Yk
    # deterministic Gluon trajectory with a fixed radius
    X = obj.initial_point(rng, xp, dtype)
    t = min(0.1, min(cap.values()))
    for i in range(trajectory_steps):
        if not _ok(obj, X):
            break
        G = obj.grad(X)
        Y = lmo_step(obj, X, G, {k: t for k in names})
        if not _ok(obj, Y):
            break
        yield f"trajectory k={i} t={t:g}", X, Y
        X = Y


def _ok(obj: Objective, X) -> bool:
    try:
        obj.check_point(X)
    except ValueError:
        return False
    return True


@dataclass
class AttackResult:
    """All instances of an attack: Assumption 1 per layer (``smooth[layer]``, in pair order)
    and Lemma D (``descent``); :meth:`max_ratio` is the measured tightness."""

    smooth: dict[str, list[Instance]]
    descent: list[Instance]

    def _select(self, which: str, layer: str | None = None) -> list[Instance]:
        if which == "descent":
            return self.descent
        if layer is not None:
            return self.smooth[layer]
        return [i for insts in self.smooth.values() for i in insts]

    def max_ratio(self, which: str = "smooth", layer: str | None = None) -> float:
        """Largest ``lhs/rhs`` over instances with ``rhs > 0`` (optionally one layer)."""
        vals = [i.lhs / i.rhs for i in self._select(which, layer) if i.rhs > 0]
        return max(vals, default=float("nan"))

    def violations(self, which: str = "smooth", factor: float = 1.0) -> list[Instance]:
        """Instances violated when every constant is multiplied by ``factor`` (:func:`scaled`)."""
        return [i for i in self._select(which) if not scaled(i, factor).satisfied]

    def worst(self, which: str = "smooth") -> Instance | None:
        """The instance with the largest ``lhs/rhs``."""
        insts = [i for i in self._select(which) if i.rhs > 0]
        return max(insts, key=lambda i: i.lhs / i.rhs, default=None)


def attack(obj: Objective, rng: np.random.Generator, constants=None, **kwargs) -> AttackResult:
    """Run :func:`attack_pairs` and evaluate Assumption 1 and Lemma D on every pair.

    ``constants`` defaults to ``obj.constants`` (must be a separable objective's).
    """
    constants = obj.constants if constants is None else constants
    if constants is None:
        raise ValueError(f"{obj.name}: no constants to attack (non-separable: use local constants)")
    cs = _consts(constants)
    kwargs.setdefault("valid_within", {k: v[2] for k, v in cs.items()})
    smooth: dict[str, list[Instance]] = {k: [] for k in obj.layers}
    desc = []
    cache_key, cache = None, None
    for label, X, Y in attack_pairs(obj, rng, **kwargs):
        if cache_key is not X:
            cache_key, cache = X, obj.value_and_grad(X)
        fX, GX = cache
        for k, inst in smoothness_instances(obj, X, Y, constants, label, GX=GX).items():
            smooth[k].append(inst)
        d = descent_instance(obj, X, Y, constants, label, GX=GX, fX=fX)
        if d is not None:
            desc.append(d)
    return AttackResult(smooth, desc)


def literal_assumption_counterexample(obj: Objective, rng: np.random.Generator,
                                      scale: float = 1.0, step: float = 0.5) -> dict[str, Instance]:
    """Pairs with ``X_i = Y_i`` but other layers moved: Assumption 1's right side is 0.

    For every layer ``i``, move every *other* layer by a random step of norm
    ``step``; the instances have ``rhs = 0`` (for any constants), so any
    ``lhs > tol`` is a violation of the literal assumption (docs/theory.md section 4
    caveat).  For a separable objective every ``lhs`` is 0 up to rounding.
    """
    X = obj.sample_point(rng, scale)
    GX = obj.grad(X)
    out = {}
    rtol = rounding_rtol(obj, X)
    for i in obj.layers:
        Y = _random_step(obj, X, rng, {k: (0.0 if k == i else step) for k in obj.layers})
        GY = obj.grad(Y)
        n = obj.layers[i].norm_obj
        lhs = float(n.dual_norm(GX[i] - GY[i]))
        gx, gy = float(n.dual_norm(GX[i])), float(n.dual_norm(GY[i]))
        out[i] = Instance(f"layer {i} fixed, others moved by {step:g}", lhs, 0.0, "<=",
                          rtol * (gx + gy), note="rhs = 0 for every (L0, L1): X_i = Y_i")
    return out

