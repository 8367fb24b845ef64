"""Adam / AdamW with moments and bias correction (Kingma and Ba, arXiv 1412.6980; Loshchilov and Hutter, arXiv 1711.05101).

Per parameter, step ``k = 0, 1, ...``:

    m <- beta1 m + (1 - beta1) g            v <- beta2 v + (1 - beta2) g^2
    m_hat = m / (1 - beta1^(k+1))           v_hat = v / (1 - beta2^(k+1))
    p <- p (1 - lr wd)                       (decoupled weight decay, AdamW)
    p <- p - lr m_hat / (sqrt(v_hat) + eps)

Entries with ``m_hat = 0`` and ``sqrt(v_hat) + eps = 0`` give 0 (``g_j = 0``
must map to 0, docs/theory.md section 11.4).

**LMO special case** (docs/theory.md section 11.4, "Old Optimizer, New Norm",
arXiv 2409.20325): with ``beta1 = beta2 = 0`` and ``eps = 0`` the update is
``g / sqrt(g^2) = sign(g)``, i.e. layer-wise sign descent, the Gluon step with
the l_inf norm and radius ``lr`` (:meth:`Adam.as_gluon`, only for that case).
With accumulation on it is not an LMO method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..backend import namespace
from .base import OptState, Optimizer
from .gluon import GluonConfig, gluon_config
from .layers import check_betas, check_hyper

__all__ = ["Adam", "AdamW", "AdamState"]


@dataclass(frozen=True)
class AdamState(OptState):
    """Adam's (and LAMB's) moments per layer: ``momentum_buffer`` is ``m`` (torch's
    ``exp_avg``), ``second_moment`` is ``v`` (torch's ``exp_avg_sq``), both before bias
    correction."""

    momentum_buffer: Mapping[str, Any] = field(default_factory=dict)
    second_moment: Mapping[str, Any] = field(default_factory=dict)


def _adam_direction(xp, g, m_prev, v_prev, b1: float, b2: float, c1: float, c2: float, eps: float):
    """``(m, v, m_hat / (sqrt(v_hat) + eps))`` with zero-initialised moments (``*_prev`` None).

    ``c1 = 1 - beta1^(k+1)`` and ``c2 = 1 - beta2^(k+1)`` are the bias corrections; entries
    whose denominator is 0 give 0.  Shared by :class:`Adam` and
    :class:`~gluon_ref.optim.lars_lamb.LAMB`.
    """
    m = b1 * m_prev + (1.0 - b1) * g if m_prev is not None else (1.0 - b1) * g
    v = b2 * v_prev + (1.0 - b2) * (g * g) if v_prev is not None else (1.0 - b2) * (g * g)
    if not bool(xp.all(xp.isfinite(v))):
        # g * g overflowed: m / sqrt(inf) would be a silent zero update
        raise OverflowError(f"Adam's second moment g^2 overflows {g.dtype} (max |g| = "
                            f"{float(xp.max(xp.abs(g))):.3g}); rescale the loss or use a wider dtype")
    den = xp.sqrt(v / c2) + eps
    ok = den > 0
    return m, v, xp.where(ok, (m / c1) / xp.where(ok, den, xp.ones_like(den)), xp.zeros_like(den))


@dataclass(frozen=True)
class Adam(Optimizer):
    """Adam with decoupled weight decay (``weight_decay=0``: Adam; > 0: AdamW).

    torch names and defaults: ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
    weight_decay=0``.
    """

    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    name: str = "adam"
    state_type = AdamState

    def __post_init__(self):
        check_hyper("lr", self.lr)
        check_betas("betas", self.betas)
        check_hyper("eps", self.eps)
        check_hyper("weight_decay", self.weight_decay)

    def _update(self, params, grads, state):
        b1, b2 = (float(b) for b in self.betas)
        k = state.k
        c1 = 1.0 - b1 ** (k + 1)
        c2 = 1.0 - b2 ** (k + 1)
        ms, vs = state.momentum_buffer, state.second_moment
        new_p, new_m, new_v = {}, {}, {}
        for name, p in params.items():
            m, v, upd = _adam_direction(namespace(p), grads[name], ms.get(name), vs.get(name),
                                        b1, b2, c1, c2, self.eps)
            p = p * (1.0 - self.lr * self.weight_decay)
            new_p[name] = p - self.lr * upd
            new_m[name], new_v[name] = m, v
        return new_p, state.advance(momentum_buffer=new_m, second_moment=new_v)

    def as_gluon(self, params) -> GluonConfig:
        """Sign descent, l_inf norm, radius lr: valid only for betas = (0, 0), eps = 0, wd = 0."""
        if tuple(self.betas) != (0.0, 0.0) or self.eps != 0 or self.weight_decay != 0:
            raise ValueError("Adam is a Gluon (sign-descent) step only with betas=(0, 0), eps=0, "
                             "weight_decay=0 (docs/theory.md 11.4)")
        return gluon_config(params, norms="linf", stepsizes=self.lr)


def AdamW(lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
          weight_decay: float = 1e-2) -> Adam:
    """torch.optim.AdamW's defaults (decoupled weight decay 0.01); a baseline, not an LMO method."""
    return Adam(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, name="adamw")
