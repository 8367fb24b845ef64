"""Gluon-MVR, the generic template of docs/theory.md section 10 (**uncertain**).

"Muon is Provably Faster with Momentum Variance Reduction" (arXiv 2512.16598)
inserts STORM-type variance reduction into Gluon in three variants
(Gluon-MVR-1/2/3) whose exact updates, ``a_k`` and ``t_k`` schedules and
constants could not be checked (the paper body was not accessible).  This is
only the template stated in docs/theory.md section 10:

    M^0 = grad f_{xi^0}(X^0)
    M^k = grad f_{xi^k}(X^k) + (1 - a_k) (M^{k-1} - grad f_{xi^k}(X^{k-1}))
    X_i^{k+1} = X_i^k + t_i lmo_i(M_i^k)

It needs two gradients on the same sample: pass ``grads_prev`` (the gradient
at the previous iterate on the current sample) to :meth:`GluonMVR.step` from
step 1 on.  Do not confuse with Muon-MVR1/2 of arXiv 2509.15816.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..norms import get_norm
from .base import MomentumState, Optimizer
from .gluon import GluonConfig, gluon_config
from .layers import ROLE_NORM_RULES, as_named, check_hyper, check_step_inputs, resolve_roles
from .momentum import mvr as mvr_momentum

__all__ = ["GluonMVR"]


@dataclass(frozen=True)
class GluonMVR(Optimizer):
    """Gluon-MVR template (module docstring; **uncertain**).

    ``norms``: one catalogue name, or a mapping by layer name or role (default: the
    ``scion_llm`` role rule of :data:`~gluon_ref.optim.layers.ROLE_NORM_RULES`);
    ``lr``: the radius ``t`` (one number, or a mapping by layer name or role);
    ``a``: the STORM weight ``a_k`` in (0, 1] (a constant or ``k -> a_k``).
    The state's ``momentum_buffer`` holds the estimator ``M^k``.
    """

    norms: Any = field(default_factory=lambda: dict(ROLE_NORM_RULES["scion_llm"]))
    lr: Any = 0.01
    a: float | Callable[[int], float] = 0.1
    roles: Mapping[str, str] | None = None
    orthogonalizer: Any = None
    name: str = "gluon_mvr"
    state_type = MomentumState

    def __post_init__(self):
        for v in (self.norms.values() if isinstance(self.norms, Mapping) else [self.norms]):
            get_norm(v)  # unknown names raise ValueError listing the valid ones, before any state
        if not callable(self.a):
            check_hyper("a (MVR)", self.a, low_open=True, high=1.0)
        for key, v in (self.lr.items() if isinstance(self.lr, Mapping) else [("lr", self.lr)]):
            check_hyper(f"lr[{key!r}]" if key != "lr" else "lr", v)

    def _check_layers(self, named):
        roles = resolve_roles({n: tuple(x.shape) for n, x in named.items()}, self.roles)
        for n, x in named.items():
            for what, value in (("norm", self.norms), ("lr", self.lr)):
                try:
                    self._per_layer(value, n, roles[n])
                except KeyError:
                    raise ValueError(f"no {what} for layer {n!r} (role {roles[n]!r}) in "
                                     f"{value!r}") from None
            norm = self._layer_norm(n, roles[n])
            if x.ndim not in norm.ndims:
                raise ValueError(f"layer {n!r} has shape {tuple(x.shape)}; norm {norm.name!r} accepts "
                                 f"ndim {norm.ndims}")

    def _per_layer(self, value, name, role):
        if isinstance(value, Mapping):
            return value[name] if name in value else value[role]
        return value

    def _layer_norm(self, name, role):
        """The layer's norm; the orthogonalizer replaces the polar factor of spectral norms only
        (as :func:`~gluon_ref.optim.gluon.gluon_config` does)."""
        norm = get_norm(self._per_layer(self.norms, name, role))
        if self.orthogonalizer is not None and norm.geometry.orthogonalizable:
            norm = norm.with_orthogonalizer(self.orthogonalizer)
        return norm

    def _a(self, k: int) -> float:
        a = self.a(k) if callable(self.a) else self.a
        return check_hyper(f"a_{k} (MVR)", a, low_open=True, high=1.0)

    def step(self, params, grads, state, *, grads_prev=None):
        if state.k > 0:
            if grads_prev is None:
                raise ValueError("Gluon-MVR needs grads_prev (gradient at the previous iterate on the "
                                 "current sample) from step 1 on")
            check_step_inputs(params, grads_prev, what="grads_prev")
        return super().step(params, grads, state, grads_prev=grads_prev)

    def _update(self, params, grads, state, grads_prev=None):
        roles = resolve_roles({n: tuple(x.shape) for n, x in params.items()}, self.roles)
        prev = as_named(grads_prev)[0] if grads_prev is not None else {}
        est = state.momentum_buffer
        k = state.k
        new_p, new_est = {}, {}
        for name, x in params.items():
            g = grads[name]
            if name not in est:
                m = g
            else:
                m = g + (1.0 - self._a(k)) * (est[name] - prev[name])
            norm = self._layer_norm(name, roles[name])
            t = float(self._per_layer(self.lr, name, roles[name]))
            new_p[name] = x + t * norm.lmo(m)
            new_est[name] = m
        return new_p, state.advance(momentum_buffer=new_est)

    def as_gluon(self, params) -> GluonConfig:
        a = self.a
        return gluon_config(params, norms=self.norms, stepsizes=self.lr, roles=self.roles,
                            orthogonalizer=self.orthogonalizer, momentum=mvr_momentum(a))
