"""Sophia (Liu et al., arXiv 2305.14342), a baseline, not an LMO method (docs/theory.md section 11.5).

Per parameter at step ``k``:

    m <- beta1 m + (1 - beta1) g                       (zero-initialised)
    every ``update_every`` steps: h <- beta2 h + (1 - beta2) h_hat   (h starts at 0)
    theta <- theta - lr wd theta
    theta <- theta - lr clip(m / max(gamma h, eps), -1, 1)     (elementwise)

Refresh timing: at the start of step ``k`` with ``k > 0`` and
``k % update_every == 0`` (the official loop refreshes after step ``k - 1``
at the new iterate), so steps ``0 .. update_every - 1`` use ``h = 0`` and the
step there is exactly ``-lr sign(m)`` wherever ``|m_j| >= eps``.

Estimators: Hutchinson ``h_hat = u * (H u)``, ``u ~ N(0, I)``, unbiased for
``diag H``; it needs a Hessian-vector product ``hvp(params, vectors) ->
mapping`` and a ``numpy.random.Generator`` (``rng``).  Any other estimator
(e.g. Gauss-Newton-Bartlett ``B g_hat * g_hat`` with sampled labels) can be
passed as ``hess_diag(params, rng) -> mapping``.

Defaults: paper ``beta1 = 0.96, beta2 = 0.99, eps = 1e-12, update_every = 10,
weight_decay = 0.1``; ``gamma = 0.01`` (Hutchinson) is **uncertain** (taken
from a co-author's port); ``lr = 1e-4`` from the official SophiaG code.  The
official code's ``rho * bs * h + 1e-15`` clip form is not reproduced.
Always ``|Delta theta_j + lr wd theta_j| <= lr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..backend import asarray_like, check_finite, namespace
from .base import OptState, Optimizer
from .layers import as_named, check_betas, check_count, check_hyper

__all__ = ["Sophia", "SophiaState", "hutchinson"]


@dataclass(frozen=True)
class SophiaState(OptState):
    """Sophia's buffers per layer: ``momentum_buffer`` is ``m`` (the official code's
    ``exp_avg``), ``hessian_diag`` is ``h`` (its ``hessian``), zero until the first refresh."""

    momentum_buffer: Mapping[str, Any] = field(default_factory=dict)
    hessian_diag: Mapping[str, Any] = field(default_factory=dict)


def hutchinson(params, hvp, rng: np.random.Generator):
    """Hutchinson's diagonal estimate ``u * (H u)`` per layer, ``u ~ N(0, I)`` from ``rng``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError("Sophia's Hutchinson estimator needs rng = numpy.random.Generator")
    us = {n: asarray_like(rng.standard_normal(tuple(x.shape)), x) for n, x in params.items()}
    hu, _ = as_named(hvp(params, us), "hvp(params, u)")
    missing = set(params) - set(hu)
    if missing:
        raise ValueError(f"hvp returned no product for layers {sorted(missing)}")
    return {n: us[n] * hu[n] for n in params}


@dataclass(frozen=True)
class Sophia(Optimizer):
    """Sophia with a pluggable diagonal Hessian estimate (module docstring)."""

    lr: float = 1e-4
    betas: tuple[float, float] = (0.96, 0.99)
    gamma: float = 0.01
    eps: float = 1e-12
    weight_decay: float = 0.1
    update_every: int = 10
    name: str = "sophia"
    state_type = SophiaState

    def __post_init__(self):
        check_hyper("lr", self.lr)
        check_betas("betas", self.betas)
        check_hyper("gamma", self.gamma, low_open=True)
        check_hyper("eps", self.eps, low_open=True)
        check_hyper("weight_decay", self.weight_decay)
        check_count("update_every", self.update_every)

    def refresh_due(self, k: int) -> bool:
        return k > 0 and k % int(self.update_every) == 0

    def step(self, params, grads, state, *, hvp=None, rng=None, hess_diag=None):
        """One step; at refresh steps pass ``hvp`` and ``rng`` (Hutchinson) or ``hess_diag``."""
        if self.refresh_due(state.k) and hvp is None and hess_diag is None:
            raise ValueError(f"step {state.k} refreshes the Hessian estimate: pass hvp= and rng= "
                             "(Hutchinson) or hess_diag=")
        return super().step(params, grads, state, hvp=hvp, rng=rng, hess_diag=hess_diag)

    def _update(self, params, grads, state, hvp=None, rng=None, hess_diag=None):
        b1, b2 = (float(b) for b in self.betas)
        ms, hs = state.momentum_buffer, state.hessian_diag
        if self.refresh_due(state.k):
            est = hess_diag(params, rng) if hess_diag is not None else hutchinson(params, hvp, rng)
            est, _ = as_named(est, "Hessian estimate")
            for n, x in params.items():
                if n not in est or tuple(est[n].shape) != tuple(x.shape):
                    raise ValueError(f"Hessian estimate for layer {n!r} is missing or has the wrong shape")
                check_finite(est[n], f"Hessian estimate for layer {n!r}")
            hs = {n: b2 * hs[n] + (1.0 - b2) * est[n] if n in hs else (1.0 - b2) * est[n]
                  for n in params}
        new_p, new_m, new_h = {}, {}, {}
        for name, p in params.items():
            xp = namespace(p)
            g = grads[name]
            m = b1 * ms[name] + (1.0 - b1) * g if name in ms else (1.0 - b1) * g
            h = hs[name] if name in hs else xp.zeros_like(p)
            den = xp.maximum(self.gamma * h, xp.full_like(h, self.eps))
            # eps can round to 0 in float16: then 0/0 where m = 0, which is a zero step
            safe = xp.where(den > 0, den, xp.ones_like(den))
            ratio = xp.where(den > 0, xp.clip(m / safe, -1.0, 1.0), xp.sign(m))
            p = p - (self.lr * self.weight_decay) * p
            new_p[name] = p - self.lr * ratio
            new_m[name], new_h[name] = m, h
        return new_p, state.advance(momentum_buffer=new_m, hessian_diag=new_h)
