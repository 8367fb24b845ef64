"""The functional optimizer protocol shared by Gluon and every preset.

Every optimizer is a small frozen object holding hyperparameters with two pure
methods (the optax shape, DESIGN.md "Models worth reading"):

``init(params) -> state``
    a fresh :class:`OptState` (step counter 0, no buffers yet);
``step(params, grads, state, **extra) -> (new_params, new_state)``
    one update.  Inputs are never mutated; the new parameters come back in the
    container type they came in (mapping or list).

All checks run before any computation (:func:`~gluon_ref.optim.layers.check_step_inputs`),
so a bad call raises and leaves nothing half-updated.  :class:`Stateful` is
the thin object wrapper (``opt.step(grads)`` updates ``opt.params``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .layers import check_params, check_step_inputs, restore

__all__ = ["OptState", "Optimizer", "Stateful"]


@dataclass(frozen=True)
class OptState:
    """Optimizer state: the step counter ``k`` and named buffers.

    ``slots[slot][layer]`` is an array (momentum buffer, second moment, ...).
    ``info`` records per-step diagnostics of the last step, e.g.
    ``info["stepsizes"][layer] = t_i`` for LMO methods.  ``layers`` are the
    names the state was built for.
    """

    k: int
    layers: tuple[str, ...]
    slots: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    info: Mapping[str, Any] = field(default_factory=dict)


class Optimizer:
    """Base class: subclasses implement :meth:`_update` on validated named arrays."""

    #: short name shown in tables
    name: str = "optimizer"

    def init(self, params) -> OptState:
        named, _ = check_params(params)
        self._check_layers(named)
        return OptState(k=0, layers=tuple(named))

    def _check_layers(self, named: Mapping[str, Any]) -> None:
        """Hook for shape restrictions (e.g. Muon: 2-D only); raise ``ValueError``."""

    def step(self, params, grads, state: OptState, **extra):
        if not isinstance(state, OptState):
            raise TypeError(f"state must be an OptState from init(), got {type(state).__name__}")
        named_p, named_g, seq = check_step_inputs(params, grads, expected_names=state.layers)
        self._check_layers(named_p)
        new_p, slots, info = self._update(named_p, named_g, state, **extra)
        return restore(new_p, seq), OptState(k=state.k + 1, layers=state.layers,
                                             slots=slots, info=info)

    def _update(self, params: dict, grads: dict, state: OptState, **extra):
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
