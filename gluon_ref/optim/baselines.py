"""Simple presets: layer-wise normalized GD and signSGD (LMO methods), and SGD (a baseline).

**Layer-wise normalized GD** (docs/theory.md section 9): ``X <- X - lr M/||M||_F``,
the Gluon step with the Frobenius norm and radius ``lr``.
**Layer-wise signSGD / Signum** (docs/theory.md section 9; Bernstein et al.,
arXiv 1802.04434): ``X <- X - lr sign(M)``, the Gluon step with the l_inf norm.
For both, ``momentum = beta`` is an EMA with a zero-initialised buffer,
``M <- beta M + (1 - beta) g`` (Signum's convention, which is the ``"scion"``
convention with ``alpha = 1 - beta``); ``momentum = 0`` gives ``M = g``.

**SGD** as torch.optim.SGD: coupled L2 ``g <- g + wd p``; heavy-ball buffer
``b <- mu b + (1 - dampening) g`` (``b = g`` at the first step); Nesterov
input ``g + mu b``; ``p <- p - lr d``.  A baseline, not an LMO method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..backend import frobenius_norm, namespace
from .base import MomentumState, Optimizer
from .gluon import GluonConfig, gluon_config
from .layers import check_flag, check_hyper
from .momentum import Momentum, scion as scion_momentum

__all__ = ["NormalizedGD", "SignSGD", "SGD"]


def _ema(bufs, name, g, beta):
    if beta == 0:
        return g
    prev = bufs[name] if name in bufs else 0.0 * g
    return beta * prev + (1.0 - beta) * g


def _mom(beta) -> Momentum:
    return Momentum() if beta == 0 else scion_momentum(1.0 - beta)


@dataclass(frozen=True)
class _LayerwiseMomentumDescent(Optimizer):
    """Shared body of :class:`NormalizedGD` and :class:`SignSGD`: momentum ``M``, then ``_move``."""

    lr: float = 0.01
    momentum: float = 0.0

    #: catalogue norm of the Gluon step this preset is (see :meth:`as_gluon`)
    gluon_norm: ClassVar[str] = ""
    state_type = MomentumState

    def __post_init__(self):
        check_hyper("lr", self.lr)
        check_hyper("momentum", self.momentum, high=1.0, high_open=True)

    def _move(self, xp, x, m):  # pragma: no cover - interface
        raise NotImplementedError

    def _update(self, params, grads, state):
        bufs = state.momentum_buffer
        new_p, new_b = {}, {}
        for name, x in params.items():
            m = _ema(bufs, name, grads[name], self.momentum)
            new_p[name] = self._move(namespace(x), x, m)
            new_b[name] = m
        return new_p, state.advance(momentum_buffer=new_b if self.momentum else {})

    def as_gluon(self, params) -> GluonConfig:
        return gluon_config(params, norms=self.gluon_norm, stepsizes=self.lr,
                            momentum=_mom(self.momentum))


@dataclass(frozen=True)
class NormalizedGD(_LayerwiseMomentumDescent):
    """Layer-wise normalized GD, ``X - lr M/||M||_F`` (``M = 0`` gives no step)."""

    name: str = "normalized_gd"
    gluon_norm: ClassVar[str] = "frobenius"

    def _move(self, xp, x, m):
        nrm = frobenius_norm(m)
        # m / ||m|| first: lr / ||m|| overflows for subnormal m
        return x - self.lr * (m / nrm) if bool(nrm > 0) else x


@dataclass(frozen=True)
class SignSGD(_LayerwiseMomentumDescent):
    """Layer-wise signSGD / Signum, ``X - lr sign(M)`` (``sign(0) = 0``)."""

    name: str = "sign_sgd"
    gluon_norm: ClassVar[str] = "linf"

    def _move(self, xp, x, m):
        return x - self.lr * xp.sign(m)


@dataclass(frozen=True)
class SGD(Optimizer):
    """torch.optim.SGD (module docstring); a baseline, not an LMO method."""

    lr: float = 1e-3
    momentum: float = 0.0
    dampening: float = 0.0
    weight_decay: float = 0.0
    nesterov: bool = False
    name: str = "sgd"
    state_type = MomentumState

    def __post_init__(self):
        check_hyper("lr", self.lr)
        check_hyper("momentum", self.momentum)
        check_hyper("dampening", self.dampening, high=1.0)
        check_hyper("weight_decay", self.weight_decay)
        check_flag("nesterov", self.nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening (as torch)")

    def _update(self, params, grads, state):
        bufs = state.momentum_buffer
        new_p, new_b = {}, {}
        for name, p in params.items():
            g = grads[name]
            if self.weight_decay:
                g = g + self.weight_decay * p
            if self.momentum:
                b = self.momentum * bufs[name] + (1.0 - self.dampening) * g if name in bufs else g
                new_b[name] = b
                g = g + self.momentum * b if self.nesterov else b
            new_p[name] = p - self.lr * g
        return new_p, state.advance(momentum_buffer=new_b)
