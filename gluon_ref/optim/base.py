"""The functional optimizer protocol shared by Gluon and every preset.

Every optimizer is a small frozen object holding hyperparameters with two pure
methods (the optax shape, DESIGN.md "Models worth reading"):

``init(params) -> state``
    a fresh state record of the optimizer's :attr:`~Optimizer.state_type`
    (step counter 0, no buffers yet);
``step(params, grads, state, **extra) -> (new_params, new_state)``
    one update.  Inputs are never mutated nor retained (the state holds
    copies, never the caller's gradient arrays); the new parameters come back
    in the container type they came in (mapping or list).

**Typed state** (as optax's ``NamedTuple`` states).  Every state is a frozen
dataclass derived from :class:`OptState` (step counter ``k``, layer names,
last-step ``info``) with one field per buffer, each a mapping ``layer ->
array``, empty until the first step fills it.  A buffer has one name in every
optimizer that keeps it (the momentum buffer is not called ``momentum``:
that name is the coefficient, torch's hyperparameter):

=====================  ==========================================================
``momentum_buffer``    the momentum / first-moment buffer (torch's ``momentum_buffer``
                       and ``exp_avg``): :class:`MomentumState`, ``AdamState``,
                       ``NorMuonState``, ``SophiaState``
``second_moment``      Adam's elementwise EMA of ``g^2`` (torch's ``exp_avg_sq``)
``row_second_moment``  NorMuon's per-row EMA of ``mean(O^2)``
``hessian_diag``       Sophia's EMA of diagonal Hessian estimates
``left``, ``right``    Shampoo's statistics ``L`` and ``R``
=====================  ==========================================================

All checks run before any computation (:func:`~gluon_ref.optim.layers.check_step_inputs`),
so a bad call raises and leaves nothing half-updated.  :class:`Stateful` is
the thin object wrapper (``opt.step(grads)`` updates ``opt.params``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Mapping, TypeVar

from ..backend import namespace
from .layers import check_params, check_step_inputs, restore

__all__ = ["OptState", "MomentumState", "Optimizer", "Stateful"]

_S = TypeVar("_S", bound="OptState")


@dataclass(frozen=True)
class OptState:
    """What every optimizer state holds: the step counter ``k`` and the layer names.

    ``k`` is the number of steps taken (the index of the next step, as in
    the paper's ``X^k``).  ``layers`` are the names the state was built for.
    ``info`` records diagnostics of the last step, e.g.
    ``info["stepsizes"][layer] = t_i`` for LMO methods.  Subclasses add one
    field per buffer (module docstring).
    """

    k: int
    layers: tuple[str, ...]
    info: Mapping[str, Any] = field(default_factory=dict)

    def advance(self: _S, *, info: Mapping[str, Any] | None = None, **buffers) -> _S:
        """The state after one step: ``k + 1``, new ``info`` and the given buffers replaced.

        Unknown buffer names raise ``TypeError`` (they are dataclass fields).
        """
        return replace(self, k=self.k + 1, info=dict(info or {}), **buffers)


@dataclass(frozen=True)
class MomentumState(OptState):
    """State of an optimizer with one momentum buffer per layer.

    ``momentum_buffer[layer]`` is what the method's momentum convention
    carries from step to step (Gluon's :class:`~gluon_ref.optim.momentum.Momentum`
    buffer, torch's ``momentum_buffer``, Scion's ``d``, LARS's velocity ``v``,
    Gluon-MVR's estimator ``M``); empty for methods run without momentum.
    """

    momentum_buffer: Mapping[str, Any] = field(default_factory=dict)


class Optimizer:
    """Base class: subclasses set :attr:`state_type` and implement :meth:`_update`."""

    #: short name shown in tables
    name: str = "optimizer"
    #: the state record :meth:`init` returns and :meth:`step` accepts
    state_type: ClassVar[type[OptState]] = OptState

    def init(self, params) -> OptState:
        named, _ = check_params(params)
        self._check_layers(named)
        return self.state_type(k=0, layers=tuple(named))

    def _check_layers(self, named: Mapping[str, Any]) -> None:
        """Hook for shape restrictions (e.g. Muon: 2-D only); raise ``ValueError``."""

    def step(self, params, grads, state: OptState, **extra):
        if not isinstance(state, self.state_type):
            raise TypeError(f"state must be the {self.state_type.__name__} returned by "
                            f"{type(self).__name__}.init(), got {type(state).__name__}")
        named_p, named_g, seq = check_step_inputs(params, grads, expected_names=state.layers)
        self._check_layers(named_p)
        # the state must never hold the caller's arrays: a caller that reuses one gradient
        # buffer in place would otherwise rewrite the momentum (inputs are never retained)
        named_g = {n: namespace(g).asarray(g, copy=True) for n, g in named_g.items()}
        new_p, new_state = self._update(named_p, named_g, state, **extra)
        return restore(new_p, seq), new_state

    def _update(self, params: dict, grads: dict, state: OptState, **extra):
        """``(new named params, state.advance(...))`` from validated named arrays."""
        raise NotImplementedError  # pragma: no cover


class Stateful:
    """Object wrapper: holds ``params`` and ``state``; ``step(grads)`` returns new params.

    >>> import numpy as np
    >>> from gluon_ref.optim import Stateful, SignSGD
    >>> opt = Stateful(SignSGD(lr=0.1), {"w": np.zeros(3)})
    >>> opt.step({"w": np.array([1.0, -2.0, 0.0])})["w"].tolist()
    [-0.1, 0.1, 0.0]
    """

    def __init__(self, optimizer, params):
        self.optimizer = optimizer
        self.params = params
        self.state = optimizer.init(params)

    def step(self, grads, **extra):
        new_params, new_state = self.optimizer.step(self.params, grads, self.state, **extra)
        self.params, self.state = new_params, new_state
        return new_params
