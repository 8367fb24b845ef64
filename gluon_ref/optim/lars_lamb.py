"""LARS and LAMB in their reference forms (docs/theory.md sections 11.1 and 11.2).

**LARS** (You, Gitman and Ginsburg, arXiv 1708.03888), TF reference, per layer:

    lambda = eta_tr ||w|| / (||g|| + beta ||w||)   (1 if ||w|| or ||g|| is 0)
    v <- mu v + lr lambda (g + beta w)
    w <- w - v

Names: ``lr`` (gamma_t), ``trust_coefficient`` (eta_tr, 0.001),
``momentum`` (mu, 0.9), ``weight_decay`` (beta, 1e-4).  With ``mu = 0`` and
``beta = 0`` the step is ``w - lr eta_tr ||w|| g/||g||``: the Euclidean
(Frobenius) layer-wise LMO step with trust-ratio radius
``t = lr eta_tr ||w||_F`` (:meth:`LARS.as_gluon`).  The TF fallback
(ratio 1 at ``w = 0``) is a plain SGD step, not an LMO step, so the
equivalence needs ``w != 0``.  Excluding biases and norm parameters, usual in
practice, is left to the caller.

**LAMB** (You et al., arXiv 1904.00962), per layer:

    m, v: Adam moments with bias correction;  r = m_hat / (sqrt(v_hat) + eps)
    u = r + lambda x;   x <- x - lr phi(||x||) u / ||u||,   phi(z) = z

(ratio 1 when ``||x||`` or ``||u||`` is 0, reference code).  Defaults of
TF-Addons: ``lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0``.
Always ``||Delta x|| = lr phi(||x||)`` (for ``x, u != 0``).  With
``beta1 = beta2 = 0``, ``eps = 0``, ``lambda = 0``: ``r = sign(g)`` and LAMB is
layer-normalised sign descent, the Gluon l_inf step with the trust-ratio
radius that makes the Frobenius step length ``lr ||x||_F``
(:meth:`LAMB.as_gluon`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..backend import frobenius_norm, namespace
from .adam import AdamState, _adam_direction
from .base import MomentumState, Optimizer
from .gluon import GluonConfig, gluon_config
from .layers import check_betas, check_hyper
from .stepsizes import TrustRatio

__all__ = ["LARS", "LAMB"]


@dataclass(frozen=True)
class LARS(Optimizer):
    """LARS, TF reference form (module docstring)."""

    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    trust_coefficient: float = 1e-3
    name: str = "lars"
    state_type = MomentumState

    def __post_init__(self):
        check_hyper("lr", self.lr)
        check_hyper("momentum", self.momentum, high=1.0, high_open=True)
        check_hyper("weight_decay", self.weight_decay)
        check_hyper("trust_coefficient", self.trust_coefficient)

    def _update(self, params, grads, state):
        vs = state.momentum_buffer
        new_p, new_v, ratios = {}, {}, {}
        for name, w in params.items():
            g = grads[name]
            wn, gn = float(frobenius_norm(w)), float(frobenius_norm(g))
            if wn > 0 and gn > 0:
                local = self.trust_coefficient * wn / (gn + self.weight_decay * wn)
            else:
                local = 1.0
            step = (self.lr * local) * (g + self.weight_decay * w)
            v = self.momentum * vs[name] + step if name in vs else step
            new_p[name] = w - v
            new_v[name] = v
            ratios[name] = local
        return new_p, state.advance(momentum_buffer=new_v, info={"trust_ratios": ratios})

    def as_gluon(self, params) -> GluonConfig:
        """Frobenius LMO with radius lr eta_tr ||w||_F: valid only for momentum = 0, weight_decay = 0."""
        if self.momentum != 0 or self.weight_decay != 0:
            raise ValueError("LARS is a Gluon (Euclidean LMO) step only with momentum=0 and "
                             "weight_decay=0 (docs/theory.md 11.1)")
        return gluon_config(params, norms="frobenius",
                            stepsizes=TrustRatio(self.lr, trust=self.trust_coefficient))


@dataclass(frozen=True)
class LAMB(Optimizer):
    """LAMB (module docstring); ``phi`` defaults to the identity."""

    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-6
    weight_decay: float = 0.0
    phi: Callable[[float], float] | None = None
    name: str = "lamb"
    state_type = AdamState

    def __post_init__(self):
        check_hyper("lr", self.lr)
        check_betas("betas", self.betas)
        check_hyper("eps", self.eps)
        check_hyper("weight_decay", self.weight_decay)

    def _update(self, params, grads, state):
        b1, b2 = (float(b) for b in self.betas)
        k = state.k
        c1, c2 = 1.0 - b1 ** (k + 1), 1.0 - b2 ** (k + 1)
        ms, vs = state.momentum_buffer, state.second_moment
        new_p, new_m, new_v, ratios = {}, {}, {}, {}
        for name, x in params.items():
            xp = namespace(x)
            m, v, r = _adam_direction(xp, grads[name], ms.get(name), vs.get(name),
                                      b1, b2, c1, c2, self.eps)
            u = r + self.weight_decay * x
            xn, un = float(frobenius_norm(x)), float(frobenius_norm(u))
            phi_x = xn if self.phi is None else float(self.phi(xn))
            ratio = phi_x / un if (xn > 0 and un > 0) else 1.0
            new_p[name] = x - (self.lr * ratio) * u
            new_m[name], new_v[name] = m, v
            ratios[name] = ratio
        return new_p, state.advance(momentum_buffer=new_m, second_moment=new_v,
                                    info={"trust_ratios": ratios})

    def as_gluon(self, params) -> GluonConfig:
        """l_inf LMO with trust-ratio radius: valid only for betas = (0, 0), eps = 0, weight_decay = 0."""
        if tuple(self.betas) != (0.0, 0.0) or self.eps != 0 or self.weight_decay != 0:
            raise ValueError("LAMB is a Gluon (layer-normalised sign) step only with betas=(0, 0), "
                             "eps=0, weight_decay=0 (docs/theory.md 11.2)")
        return gluon_config(params, norms="linf", stepsizes=TrustRatio(self.lr, phi=self.phi))
