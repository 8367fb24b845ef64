"""Deterministic and stochastic Gluon runs instrumented for the theorem checks.

A run records, per step ``k`` and layer ``i``: the value ``f(X^k)``, the dual
gradient norms ``g_i^k``, the radii ``t_i^k`` actually used, and whether the
hypothesis the proofs use held along the step: Assumption 1 on the segment
from ``X^k`` to ``X^{k+1}``, anchored at ``X^k`` (docs/theory.md section 4: the
proofs only use it there), measured at ``tau in {1/2, 1}``:

    ||grad_i f(X^k + tau D) - grad_i f(X^k)||_* <= (L0_i + L1_i g_i^k) tau ||D_i||.

The optimizer is the library's generic Gluon step (:mod:`gluon_ref.optim`),
so the checks exercise the implementation, not a re-derivation of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from gluon_ref.optim import Gluon, gluon_config
from gluon_ref.optim.momentum import Momentum
from gluon_ref.optim.stepsizes import Theorem1Adaptive
from proofs_check.tolerances import EPS, difference, svd_identity

__all__ = ["Run", "run_deterministic", "run_stochastic", "delta0"]


@dataclass
class Run:
    values: list[float] = field(default_factory=list)          # f(X^k), k = 0..K
    grad_duals: list[np.ndarray] = field(default_factory=list)  # g^k per layer, k = 0..K
    segment_ok: list[bool] = field(default_factory=list)        # hypothesis on step k
    step_norms: list[np.ndarray] = field(default_factory=list)  # ||X_i^{k+1} - X_i^k|| per layer
    step_rounding: list[float] = field(default_factory=list)    # relative rounding of step_norms
    names: tuple[str, ...] = ()


def delta0(obj, x0) -> float:
    """``f(X^0) - inf f``, using the known optimum or else the proved lower bound (which only
    enlarges Delta0 and so loosens, never invalidates, the bounds)."""
    best = obj.optimum if obj.optimum is not None else obj.lower_bound
    if best is None:
        raise ValueError(f"{type(obj).__name__} has neither an optimum nor a lower bound")
    return float(obj.value(x0)) - float(best)


def _duals(obj, grads) -> np.ndarray:
    return np.array([float(obj.layers[n].norm_obj.dual_norm(grads[n])) for n in obj.layers])


def run_deterministic(obj, x0: Mapping, steps: int, L0: Mapping[str, float],
                      L1: Mapping[str, float], *, stepsize: str = "theorem1",
                      stepsize_factor: float = 1.0, check_segment: bool = True) -> Run:
    """Algorithm 2 (deterministic Gluon) with Theorem 1's adaptive radii
    ``t_i = c g_i / (L0_i + L1_i g_i)``, ``c = stepsize_factor`` (``c = 1`` is the theory's
    choice; a negative control uses ``c > 2``) or, with ``stepsize="inverse_l1"``,
    ``t_i = c / L1_i``.

    ``L0, L1`` are the constants the stepsize and the hypothesis check use (the
    objective's claimed ones, or deliberately wrong ones for a negative control).
    """
    names = tuple(obj.layers)
    if stepsize == "theorem1":
        policies = {n: Theorem1Adaptive(L0[n], L1[n]) * stepsize_factor for n in names}
    elif stepsize == "inverse_l1":
        policies = {n: stepsize_factor / L1[n] for n in names}
    else:
        raise ValueError(f"unknown stepsize rule {stepsize!r}")
    opt = Gluon(gluon_config(dict(x0), norms={n: obj.layers[n].norm for n in names},
                             stepsizes=policies, momentum=Momentum("none")))
    state = opt.init(dict(x0))
    run = Run(names=names)
    x = dict(x0)
    f, grads = obj.value_and_grad(x)
    for k in range(steps):
        g = _duals(obj, grads)
        run.values.append(float(f))
        run.grad_duals.append(g)
        x_new, state = opt.step(x, grads, state)
        run.step_norms.append(np.array([float(obj.layers[n].norm_obj.norm(x_new[n] - x[n]))
                                        for n in names]))
        run.step_rounding.append(max(difference(x[n], x_new[n], math.sqrt(np.size(x[n])))
                                     for n in names))
        if check_segment:
            run.segment_ok.append(_segment_holds(obj, x, x_new, grads, g, L0, L1))
        x = x_new
        f, grads = obj.value_and_grad(x)
    run.values.append(float(f))
    run.grad_duals.append(_duals(obj, grads))
    return run


def _segment_holds(obj, x, x_new, grads, g, L0, L1, taus=(0.5, 1.0)) -> bool:
    names = tuple(obj.layers)
    d = {n: x_new[n] - x[n] for n in names}
    dn = {n: float(obj.layers[n].norm_obj.norm(d[n])) for n in names}
    for tau in taus:
        y = {n: x[n] + tau * d[n] for n in names}
        gy = obj.grad(y)
        for i, n in enumerate(names):
            norm = obj.layers[n].norm_obj
            lhs = float(norm.dual_norm(gy[n] - grads[n]))
            rhs = (L0[n] + L1[n] * g[i]) * tau * dn[n]
            # rounding: the gradient difference errs entrywise by eps (|grad f(Y)| + |grad f(X)|)
            # (its dual norm, times sqrt(size) for the signs), the right side by the step's
            # cancellation and one SVD identity (proofs_check.tolerances)
            size = np.size(gy[n])
            cancel = math.sqrt(size) * float(norm.dual_norm(EPS * (np.abs(gy[n]) + np.abs(grads[n]))))
            rel = svd_identity(np.shape(gy[n])) + difference(x[n], y[n], math.sqrt(size))
            if lhs > rhs * (1 + rel) + cancel:
                return False
    return True


def run_stochastic(obj, oracle, x0: Mapping, steps: int, stepsizes: Mapping,
                   momentum: Momentum) -> Run:
    """Algorithm 1: Gluon with momentum on stochastic gradients ``oracle(x, k)``.

    The recorded ``g_i^k`` are the dual norms of the *true* gradient (the metric of
    Theorem 2); ``stepsizes`` maps layer names to radii or policies.
    """
    names = tuple(obj.layers)
    opt = Gluon(gluon_config(dict(x0), norms={n: obj.layers[n].norm for n in names},
                             stepsizes=dict(stepsizes), momentum=momentum))
    state = opt.init(dict(x0))
    run = Run(names=names)
    x = dict(x0)
    for k in range(steps):
        f, true_grads = obj.value_and_grad(x)
        run.values.append(float(f))
        run.grad_duals.append(_duals(obj, true_grads))
        x, state = opt.step(x, oracle(x, k), state)
    f, true_grads = obj.value_and_grad(x)
    run.values.append(float(f))
    run.grad_duals.append(_duals(obj, true_grads))
    return run
