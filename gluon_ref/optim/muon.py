"""Muon with torch.optim.Muon's signature and semantics (docs/theory.md section 11.7).

Written in the ecosystem's own form, independently of the generic Gluon step,
so that the equivalence table (``gluon-ref equivalence``) can catch a
disagreement.  Per 2-D parameter ``p`` with gradient ``g``:

1. ``buf <- buf + (1 - mu)(g - buf)``  (``buf.lerp_(g, 1 - mu)``, zero-initialised);
2. ``u = g + mu (buf - g)`` if ``nesterov`` else ``u = buf``;
3. ``O = NS(u)``: Keller Jordan's quintic ``X <- a X + (b A + c A^2) X``,
   ``A = X X^T``, ``ns_steps`` times, on ``X_0 = u / max(||u||_F, eps)``
   (a clamp, not an additive eps), transposed when rows > cols;
4. ``p <- p (1 - lr wd)`` with the *unadjusted* lr (decoupled weight decay);
5. ``p <- p - lr_adj O`` with ``A, B = p.shape[:2]`` and

   * ``adjust_lr_fn`` ``None`` or ``'original'``: ``lr_adj = lr sqrt(max(1, A/B))``
     (Keller Jordan's scaling);
   * ``'match_rms_adamw'``: ``lr_adj = 0.2 lr sqrt(max(A, B))`` (Moonlight,
     arXiv 2502.16982): update RMS 0.2 lr for a full-rank exact ``U V^T``.

Differences from torch: the functional form takes ``params`` in ``init``
rather than the constructor; Newton-Schulz runs in the input dtype (torch
runs it in bfloat16; :mod:`gluon_ref.polar` can emulate that).

As a Gluon special case (:meth:`Muon.as_gluon`, docs/theory.md sections 3 and 9):
norm ``muon_spectral`` (``'original'``) or ``spectral`` with radius factor
``0.2 sqrt(max(m, n))`` (``'match_rms_adamw'``); momentum ``"nesterov"``
(or ``"scion"`` with ``alpha = 1 - mu`` when ``nesterov=False``); with
``weight_decay > 0`` the constrained SCG step with ``rho = factor/wd`` and
``gamma = lr wd``, otherwise the unconstrained step ``t = lr factor``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..backend import check_count, frobenius_norm, namespace
from ..polar import newton_schulz
from .base import MomentumState, Optimizer
from .gluon import GluonConfig, gluon_config
from .layers import check_flag, check_hyper
from .momentum import Momentum, nesterov as nesterov_momentum, scion as scion_momentum
from .stepsizes import Constant

__all__ = ["Muon", "muon_adjusted_lr"]

_ADJUST = (None, "original", "match_rms_adamw")


def muon_adjusted_lr(lr: float, adjust_lr_fn: str | None, shape: Sequence[int]) -> float:
    """torch.optim.Muon's ``_adjust_lr``: ``lr sqrt(max(1, A/B))`` or ``0.2 lr sqrt(max(A, B))``."""
    a, b = int(shape[0]), int(shape[1])
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1.0, a / b))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(a, b))
    raise ValueError(f"adjust_lr_fn must be None, 'original' or 'match_rms_adamw', got {adjust_lr_fn!r}")


def _zeropower_newton_schulz(u, coefficients, steps: int, eps: float):
    """torch.optim.Muon's orthogonalisation, written out (clamp normalisation, transpose if tall)."""
    xp = namespace(u)
    a, b, c = coefficients
    tall = u.shape[0] > u.shape[1]
    x = xp.matrix_transpose(u) if tall else u
    # overflow-safe ||x||_F (a direct sum of squares gives inf/0 for float16 or extreme scales);
    # a zero input stays zero even with eps = 0 (torch would give 0/0 = NaN there)
    den = xp.maximum(frobenius_norm(x), xp.asarray(eps, dtype=x.dtype))
    x = x / xp.where(den > 0, den, xp.ones_like(den))
    for _ in range(steps):
        gram = x @ xp.matrix_transpose(x)
        gram_update = b * gram + c * (gram @ gram)
        x = a * x + gram_update @ x
    return xp.matrix_transpose(x) if tall else x


@dataclass(frozen=True)
class Muon(Optimizer):
    """torch.optim.Muon (see the module docstring); 2-D parameters only.

    Parameters follow torch: ``lr=1e-3, weight_decay=0.1, momentum=0.95,
    nesterov=True, ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7,
    ns_steps=5, adjust_lr_fn=None``.  Extension: ``orthogonalizer`` (a callable
    ``G -> approx U V^T``, e.g. :func:`gluon_ref.polar.polar_exact`) replaces
    Newton-Schulz, for exact-LMO experiments.
    """

    lr: float = 1e-3
    weight_decay: float = 0.1
    momentum: float = 0.95
    nesterov: bool = True
    ns_coefficients: tuple[float, float, float] = (3.4445, -4.775, 2.0315)
    eps: float = 1e-7
    ns_steps: int = 5
    adjust_lr_fn: str | None = None
    orthogonalizer: Callable[[Any], Any] | None = None
    name: str = "muon"
    state_type = MomentumState

    def __post_init__(self):
        check_hyper("lr", self.lr)
        check_hyper("weight_decay", self.weight_decay)
        check_hyper("momentum", self.momentum, high=1.0, high_open=True)
        check_hyper("eps", self.eps)
        check_flag("nesterov", self.nesterov)
        check_count("ns_steps", self.ns_steps, minimum=0, maximum=99)
        if len(tuple(self.ns_coefficients)) != 3:
            raise ValueError(f"hyperparameter ns_coefficients needs 3 numbers, got {self.ns_coefficients!r}")
        for i, c in enumerate(self.ns_coefficients):
            if not math.isfinite(float(c)):
                raise ValueError(f"hyperparameter ns_coefficients[{i}] must be finite, got {c!r}")
        if self.adjust_lr_fn not in _ADJUST:
            raise ValueError(f"adjust_lr_fn must be None, 'original' or 'match_rms_adamw', "
                             f"got {self.adjust_lr_fn!r}")

    def _check_layers(self, named):
        for n, x in named.items():
            if x.ndim != 2:
                raise ValueError(f"Muon only supports 2-D parameters; layer {n!r} has shape "
                                 f"{tuple(x.shape)}")

    def _orth(self, u):
        if self.orthogonalizer is not None:
            return self.orthogonalizer(u)
        return _zeropower_newton_schulz(u, tuple(float(c) for c in self.ns_coefficients),
                                        int(self.ns_steps), self.eps)

    def _update(self, params, grads, state):
        mu, lr, wd = self.momentum, self.lr, self.weight_decay
        bufs = state.momentum_buffer
        new_p, new_buf, ts = {}, {}, {}
        for name, p in params.items():
            g = grads[name]
            buf = bufs.get(name)
            if buf is None:
                buf = 0.0 * g
            buf = buf + (1.0 - mu) * (g - buf)
            u = g + mu * (buf - g) if self.nesterov else buf
            o = self._orth(u)
            lr_adj = muon_adjusted_lr(lr, self.adjust_lr_fn, p.shape)
            p = p * (1.0 - lr * wd)
            new_p[name] = p - lr_adj * o
            new_buf[name] = buf
            ts[name] = lr_adj
        return new_p, state.advance(momentum_buffer=new_buf, info={"stepsizes": ts})

    # -- the same method as a Gluon configuration ------------------------------
    def as_gluon(self, params) -> GluonConfig:
        """The generic Gluon configuration that this Muon is (module docstring).

        Uses the same orthogonalizer (Newton-Schulz with clamp normalisation,
        or ``self.orthogonalizer``) inside the spectral LMO.
        """
        if self.orthogonalizer is not None:
            orth = self.orthogonalizer
        else:
            coeffs = tuple(float(c) for c in self.ns_coefficients)

            def orth(g, _c=coeffs, _s=int(self.ns_steps), _e=self.eps):
                return newton_schulz(g, _c, _s, normalization="clamp", eps=_e)
        if self.adjust_lr_fn == "match_rms_adamw":
            norm = "spectral"

            def factor(name, shape):
                return 0.2 * math.sqrt(max(shape[0], shape[1]))
        else:
            norm = "muon_spectral"

            def factor(name, shape):
                return 1.0
        mom: Momentum = (nesterov_momentum(self.momentum) if self.nesterov
                         else scion_momentum(1.0 - self.momentum))
        if self.weight_decay > 0:
            wd = self.weight_decay
            return gluon_config(params, norms=norm, momentum=mom, orthogonalizer=orth,
                                stepsizes=Constant(self.lr * wd),
                                constraint_radii=lambda n, s: factor(n, s) / wd)
        return gluon_config(params, norms=norm, momentum=mom, orthogonalizer=orth,
                            stepsizes=lambda n, s: Constant(self.lr * factor(n, s)))
