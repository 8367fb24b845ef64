"""The generic Gluon step: layer-wise LMO updates (docs/theory.md sections 2-3).

For every layer ``i``, from the same iterate ``X^k``:

1. momentum  ``M_i^k`` by the configured convention (:mod:`.momentum`);
2. direction ``D_i = lmo_i(M_i^k)``, the minimiser of ``<M_i, D>`` over the
   unit ball of the layer norm (paper sign, a descent direction);
3. stepsize  ``t_i^k`` (or ``gamma_i^k``) from the layer's policy (:mod:`.stepsizes`);
4. update
   * unconstrained (uSCG, Gluon's analysis):  ``X_i <- X_i + t_i D_i``,
     step length exactly ``t_i`` in the layer norm;
   * constrained (SCG, Frank-Wolfe type, the Scion code's default) with layer
     constraint radius ``rho_i``: ``X_i <- (1 - gamma_i) X_i + gamma_i rho_i D_i``.
     This is decoupled weight decay with ``eta = gamma rho`` and
     ``lambda = 1/rho``; iterates that start in the ``rho``-ball stay in it.

Algorithm 1 of Gluon (arXiv 2505.13416) is momentum ``"ema"`` with any
policy; Algorithm 2 is momentum ``"none"``; Scion (arXiv 2502.07529) is
momentum ``"scion"`` with the constrained update.  The theory assumes an
exact LMO; spectral norms take an ``orthogonalizer`` (Newton-Schulz) to model
practice.

The step is :class:`Gluon`, an :class:`~gluon_ref.optim.base.Optimizer` like
every preset: ``state = opt.init(params)``, ``params, state = opt.step(params,
grads, state)``.  :func:`gluon_config` builds its :class:`GluonConfig` (one
:class:`LayerRule` per layer).

Example
-------
>>> import numpy as np
>>> from gluon_ref.optim import Gluon, gluon_config
>>> params = {"w": np.eye(3), "b": np.zeros(3)}
>>> opt = Gluon(gluon_config(params, norms={"w": "spectral", "b": "rms"}, stepsizes=0.1))
>>> state = opt.init(params)
>>> grads = {"w": np.diag([3.0, 2.0, 1.0]), "b": np.ones(3)}
>>> new, state = opt.step(params, grads, state)
>>> np.round(np.diag(new["w"]), 3).tolist()      # X - 0.1 * U V^T
[0.9, 0.9, 0.9]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..norms import Norm, get_norm
from .base import MomentumState, Optimizer
from .layers import ROLES, as_named, check_hyper, check_params, check_step_inputs, resolve_roles
from .momentum import Momentum
from .stepsizes import StepContext, StepsizePolicy, as_policy

__all__ = ["LayerRule", "GluonConfig", "gluon_config", "Gluon"]


@dataclass(frozen=True)
class LayerRule:
    """How Gluon updates one layer: its norm, stepsize policy, optional SCG radius ``rho`` and role.

    ``constraint_radius=None`` means unconstrained (``X + t lmo(M)``, the
    policy gives the step's LMO radius ``t``); a number ``rho`` means the
    constrained SCG update on the feasible ball ``||X_i|| <= rho`` (the
    policy gives ``gamma`` in ``[0, 1]``; iterates that start in the ball
    stay in it).
    """

    norm: Norm
    stepsize: StepsizePolicy
    constraint_radius: float | None = None
    role: str = ""

    def __post_init__(self):
        if not isinstance(self.norm, Norm):
            raise TypeError(f"LayerRule.norm must be a Norm (use get_norm), got {type(self.norm).__name__}")
        if not isinstance(self.stepsize, StepsizePolicy):
            raise TypeError("LayerRule.stepsize must be a StepsizePolicy (use as_policy)")
        if self.constraint_radius is not None:
            check_hyper("constraint_radius rho", self.constraint_radius, low_open=True)


@dataclass(frozen=True)
class GluonConfig:
    """One :class:`LayerRule` per layer name and one momentum convention for all layers."""

    layers: Mapping[str, LayerRule]
    momentum: Momentum = field(default_factory=Momentum)

    def __post_init__(self):
        if not self.layers:
            raise ValueError("GluonConfig needs at least one layer")
        for name, rule in self.layers.items():
            if not isinstance(rule, LayerRule):
                raise TypeError(f"layer {name!r}: expected a LayerRule, got {type(rule).__name__}")
        if not isinstance(self.momentum, Momentum):
            raise TypeError("momentum must be a Momentum (see gluon_ref.optim.momentum)")


def _lookup(value, name: str, shape, role: str, what: str):
    """Per-layer value: mapping by layer name, then by role; callable(name, shape); or one value."""
    if isinstance(value, Mapping):
        if name in value:
            return value[name]
        if role in value:
            return value[role]
        raise ValueError(f"no {what} for layer {name!r} (role {role!r}); the mapping has keys "
                         f"{sorted(value)} (layer names or roles {', '.join(ROLES)})")
    if callable(value) and not isinstance(value, (StepsizePolicy, Norm)):
        if what == "stepsize" and _positional_arity(value) == 1:
            return value          # a policy function ctx -> t (as_policy wraps it)
        return value(name, tuple(shape))
    return value


def _positional_arity(fn) -> int | None:
    """Number of required positional parameters of ``fn`` (None if it cannot be inspected)."""
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
               for p in params)


def gluon_config(params, *, norms, stepsizes, momentum: Momentum | None = None,
                 constraint_radii=None, roles=None, orthogonalizer=None) -> GluonConfig:
    """Build a :class:`GluonConfig` for ``params``.

    ``norms``, ``stepsizes`` and ``constraint_radii`` are each one value for all layers,
    a mapping keyed by layer name or by role (``hidden``, ``embedding``,
    ``output``, ``bias``, ``conv``; names win), or a callable
    ``(name, shape) -> value``; for ``stepsizes`` a callable of one argument
    is a policy function ``ctx -> t`` (:func:`~gluon_ref.optim.stepsizes.as_policy`)
    for every layer.  Norms are catalogue names or
    :class:`~gluon_ref.norms.Norm` objects (unknown names raise ``ValueError``
    listing the valid ones); stepsizes are numbers or policies;
    ``constraint_radii`` (``None`` = unconstrained) are the SCG radii ``rho``
    of :class:`LayerRule`.  ``orthogonalizer``
    (callable or name) replaces the exact polar factor in every spectral-family
    norm.  ``roles`` overrides :func:`~gluon_ref.optim.layers.default_role`.
    """
    named, _ = check_params(params)
    shapes = {n: tuple(int(d) for d in x.shape) for n, x in named.items()}
    role_of = resolve_roles(shapes, roles)
    rules = {}
    for name, shape in shapes.items():
        role = role_of[name]
        norm = get_norm(_lookup(norms, name, shape, role, "norm"))
        if orthogonalizer is not None and norm.geometry.orthogonalizable:
            norm = norm.with_orthogonalizer(orthogonalizer)
        if len(shape) not in norm.ndims:
            raise ValueError(f"layer {name!r} has shape {shape}, but norm {norm.name!r} accepts "
                             f"ndim {norm.ndims}")
        policy = as_policy(_lookup(stepsizes, name, shape, role, "stepsize"))
        rho = (None if constraint_radii is None
               else _lookup(constraint_radii, name, shape, role, "constraint_radius"))
        rules[name] = LayerRule(norm=norm, stepsize=policy, constraint_radius=rho, role=role)
    return GluonConfig(layers=rules, momentum=momentum or Momentum())


@dataclass(frozen=True)
class Gluon(Optimizer):
    """The generic Gluon optimizer for one :class:`GluonConfig` (see the module docstring).

    The state is a :class:`~gluon_ref.optim.base.MomentumState` whose
    ``momentum_buffer`` is the momentum convention's buffer (empty for
    ``"none"``).  ``state.info["stepsizes"][layer]`` is the realised step
    length ``t_i`` (``gamma_i rho_i`` for constrained layers) and
    ``state.info["gammas"]`` the SCG ``gamma_i``.
    """

    config: GluonConfig
    name: str = "gluon"
    state_type = MomentumState

    def _check_layers(self, named):
        if set(named) != set(self.config.layers):
            raise ValueError(
                f"params do not match the config: missing {sorted(set(self.config.layers) - set(named))}, "
                f"unexpected {sorted(set(named) - set(self.config.layers))}")
        for n, x in named.items():
            nd = self.config.layers[n].norm.ndims
            if x.ndim not in nd:
                raise ValueError(f"layer {n!r} has ndim {x.ndim}; its norm "
                                 f"{self.config.layers[n].norm.name!r} accepts {nd}")

    def step(self, params, grads, state: MomentumState, *, grads_prev=None):
        """One Gluon step; ``grads_prev`` (mapping like ``grads``) only for momentum ``"mvr"``."""
        if grads_prev is not None:
            check_step_inputs(params, grads_prev, what="grads_prev")
        elif self.config.momentum.needs_previous_gradient and state.k > 0:
            raise ValueError("momentum 'mvr' needs grads_prev (gradient at the previous iterate "
                             "on the current sample) from step 1 on")
        return super().step(params, grads, state, grads_prev=grads_prev)

    def _update(self, params, grads, state, grads_prev=None):
        prev = as_named(grads_prev)[0] if grads_prev is not None else {}
        mom = self.config.momentum
        old_buf = state.momentum_buffer
        k = state.k
        # pass 1: momentum, direction and stepsize for every layer; nothing is applied yet,
        # so a bad stepsize raises before any new state exists
        plan = {}
        for name, x in params.items():
            rule = self.config.layers[name]
            rho = rule.constraint_radius
            m, buf = mom.update(old_buf.get(name), grads[name], k, prev.get(name))
            d = rule.norm.lmo(m)
            ctx = StepContext(k=k, name=name, shape=tuple(x.shape), norm=rule.norm, param=x,
                              grad=grads[name], momentum=m, direction=d)
            s = rule.stepsize(ctx)
            if rho is None:
                check_hyper(f"stepsize t of layer {name!r} at step {k}", s)
                gamma, t = 0.0, s
            else:
                gamma = check_hyper(f"gamma of layer {name!r} at step {k}", s, high=1.0)
                t = gamma * rho
            plan[name] = (d, buf, gamma, t, rho)
        new_params, new_buf, ts, gammas = {}, {}, {}, {}
        for name, x in params.items():
            d, buf, gamma, t, rho = plan[name]
            if rho is None:
                new_params[name] = x + t * d
            else:
                new_params[name] = (1.0 - gamma) * x + (gamma * rho) * d
            if buf is not None:
                new_buf[name] = buf
            ts[name], gammas[name] = t, gamma
        return new_params, state.advance(momentum_buffer=new_buf,
                                         info={"stepsizes": ts, "gammas": gammas})
