"""Stepsize policies: per-layer radii ``t_i^k`` as small objects of a step context.

A policy is called with a :class:`StepContext` (step ``k``, the layer, its
parameter ``X_i``, gradient, momentum ``M_i`` and unit LMO direction) and
returns a radius ``t_i^k >= 0``.  In the unconstrained Gluon step the update
is ``X_i + t_i lmo_i(M_i)``; in the constrained (SCG) step the policy returns
``gamma_i`` and the update is ``(1 - gamma_i) X_i + gamma_i rho_i lmo_i(M_i)``
(docs/theory.md section 3).

Policies compose: ``policy * c`` scales a radius (per-layer radii times a
shared schedule), :class:`Warmup` multiplies by a linear warm-up.

================================  ==============================================
:class:`Constant`                  ``t``
:class:`Theorem1Adaptive`          ``g_i / (L0_i + L1_i g_i)``, ``g_i = ||grad_i f||_(i)*`` (docs/theory.md 5-6)
:class:`Theorem2Schedule`          ``t_i (k+1)^(-3/4)`` and ``beta_k = 1 - (k+1)^(-1/2)`` (docs/theory.md 7)
:class:`Cosine`                    cosine annealing
:class:`UBA`                       UBA schedule, **uncertain** formula (docs/theory.md 11.6)
:class:`Warmup`                    ``base * min(1, (k+1)/W)``
:class:`TrustRatio`                LARS/LAMB: Frobenius step length ``lr * trust * phi(||X_i||_F)`` (docs/theory.md 11.1-11.2)
================================  ==============================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

from ..backend import frobenius_norm
from .layers import check_count, check_hyper

__all__ = [
    "StepContext",
    "StepsizePolicy",
    "Constant",
    "Scaled",
    "Warmup",
    "Cosine",
    "UBA",
    "uba_factor",
    "Theorem1Adaptive",
    "Theorem2Schedule",
    "TrustRatio",
    "FromFunction",
    "as_policy",
]


@dataclass
class StepContext:
    """What a policy may look at for layer ``name`` at step ``k``.

    ``direction`` is the unit-ball LMO ``lmo_i(M_i)`` (paper sign, a descent
    direction).  Dual norms are computed lazily and only once.
    """

    k: int
    name: str
    shape: tuple[int, ...]
    norm: Any
    param: Any
    grad: Any
    momentum: Any
    direction: Any

    @cached_property
    def grad_dual(self) -> float:
        """``g_i = ||grad_i||_(i)*``, the dual norm of the layer gradient (Theorem 1's g_i)."""
        return float(self.norm.dual_norm(self.grad))

    @cached_property
    def momentum_dual(self) -> float:
        """``||M_i||_(i)*``."""
        return float(self.norm.dual_norm(self.momentum))

    @cached_property
    def param_fro(self) -> float:
        return float(frobenius_norm(self.param))

    @cached_property
    def direction_fro(self) -> float:
        return float(frobenius_norm(self.direction))


class StepsizePolicy:
    """Base class: ``policy(ctx) -> float``; ``policy * c`` scales it."""

    def __call__(self, ctx: StepContext) -> float:  # pragma: no cover - interface
        raise NotImplementedError

    def __mul__(self, factor: float) -> "Scaled":
        return Scaled(self, factor)

    __rmul__ = __mul__


@dataclass(frozen=True)
class Constant(StepsizePolicy):
    """Constant radius ``t`` (uSCG/unScion; Theorem 1 with L0 = 0 gives t = 1/L1, docs/theory.md 6)."""

    t: float

    def __post_init__(self):
        check_hyper("t (constant stepsize)", self.t)

    def __call__(self, ctx):
        return float(self.t)


@dataclass(frozen=True)
class Scaled(StepsizePolicy):
    """``factor * base(ctx)``: a per-layer radius times a shared policy."""

    base: StepsizePolicy
    factor: float

    def __post_init__(self):
        check_hyper("factor (stepsize multiplier)", self.factor)

    def __call__(self, ctx):
        return float(self.factor) * self.base(ctx)


@dataclass(frozen=True)
class Warmup(StepsizePolicy):
    """Linear warm-up: ``base(ctx) * min(1, (k+1)/warmup_steps)``.

    Composes with any policy (the base still sees the true ``k``, so a cosine
    base spans warm-up and decay together).
    """

    base: StepsizePolicy
    warmup_steps: int

    def __post_init__(self):
        check_count("warmup_steps", self.warmup_steps)

    def __call__(self, ctx):
        return min(1.0, (ctx.k + 1) / self.warmup_steps) * self.base(ctx)


@dataclass(frozen=True)
class Cosine(StepsizePolicy):
    """Cosine annealing ``t_min + (t_max - t_min)(1 + cos(pi k / T))/2`` for k <= T, then t_min.

    Source: Loshchilov and Hutter, SGDR, arXiv 1608.03983 (without restarts).
    """

    t_max: float
    total_steps: int
    t_min: float = 0.0

    def __post_init__(self):
        check_hyper("t_max", self.t_max)
        check_hyper("t_min", self.t_min, high=self.t_max)
        check_count("total_steps", self.total_steps)

    def at(self, k: int) -> float:
        kk = min(k, self.total_steps)
        return self.t_min + (self.t_max - self.t_min) * 0.5 * (1.0 + math.cos(math.pi * kk / self.total_steps))

    def __call__(self, ctx):
        return self.at(ctx.k)


def uba_factor(theta: float, phi: float) -> float:
    """UBA shape ``f = 2(1 + cos theta) / (2 phi + (2 - phi)(1 + cos theta))``.

    **Uncertain** (docs/theory.md section 11.6, arXiv 2505.24452): the formula is
    taken from third-party code; the paper body was not read.  Properties:
    ``f(0) = 1``, ``f(pi) = 0``, and ``phi = 2`` gives ``(1 + cos theta)/2``,
    exactly cosine annealing.
    """
    c = 1.0 + math.cos(theta)
    den = 2.0 * phi + (2.0 - phi) * c
    return 2.0 * c / den


@dataclass(frozen=True)
class UBA(StepsizePolicy):
    """UBA schedule ``t_min + (t_max - t_min) f(pi k / T; phi)`` (**uncertain**, docs/theory.md 11.6).

    ``phi = 2`` is exactly cosine; ``phi < 2`` stays high for longer,
    ``phi > 2`` decays faster.  Source: "Stepsize anything", arXiv 2505.24452,
    as transcribed from third-party code (the paper body was not read).
    """

    t_max: float
    total_steps: int
    phi: float
    t_min: float = 0.0
    status: str = field(default="uncertain", init=False)

    def __post_init__(self):
        check_hyper("t_max", self.t_max)
        check_hyper("t_min", self.t_min, high=self.t_max)
        check_hyper("phi (UBA)", self.phi, low_open=True)
        check_count("total_steps", self.total_steps)

    def at(self, k: int) -> float:
        kk = min(k, self.total_steps)
        return self.t_min + (self.t_max - self.t_min) * uba_factor(math.pi * kk / self.total_steps, self.phi)

    def __call__(self, ctx):
        return self.at(ctx.k)


@dataclass(frozen=True)
class Theorem1Adaptive(StepsizePolicy):
    """Theorem 1's adaptive radius ``t_i = g_i / (L0_i + L1_i g_i)`` (docs/theory.md sections 5-6).

    ``g_i = ||grad_i f(X^k)||_(i)*`` is the dual norm of the layer *gradient*
    (Algorithm 2 of Gluon, arXiv 2505.13416, Theorem 4.1 in the conference
    numbering).  It maximises the one-step bound ``t g - (L0 + L1 g) t^2 / 2``
    and guarantees the decrease ``g^2 / (2 (L0 + L1 g))`` per layer.
    ``g_i = 0`` gives ``t_i = 0``.  Needs ``L0 + L1 > 0``.
    """

    L0: float
    L1: float

    def __post_init__(self):
        check_hyper("L0", self.L0)
        check_hyper("L1", self.L1)
        if self.L0 + self.L1 <= 0:
            raise ValueError("hyperparameters L0 and L1 are both 0: Theorem 1's stepsize is undefined")

    def __call__(self, ctx):
        g = ctx.grad_dual
        return 0.0 if g == 0.0 else g / (self.L0 + self.L1 * g)


@dataclass(frozen=True)
class Theorem2Schedule(StepsizePolicy):
    """Theorem 2's schedule ``t_i^k = t_i (k+1)^(-3/4)`` with ``beta_k = 1 - (k+1)^(-1/2)``.

    Source: docs/theory.md section 7 (Gluon, arXiv 2505.13416, Theorem 4.3 in the
    conference numbering, reported).  Use with ``Momentum("ema",
    beta=Theorem2Schedule.beta)``; ``beta_0 = 0`` so ``M^0 = g^0``.  The
    constant ``t_i`` (plausibly ``proportional to 1/L1_i``) is **uncertain**.
    """

    t: float

    def __post_init__(self):
        check_hyper("t (Theorem 2)", self.t)

    def __call__(self, ctx):
        return self.t * (ctx.k + 1) ** -0.75

    @staticmethod
    def beta(k: int) -> float:
        """``beta_k = 1 - (k+1)^(-1/2)``."""
        return 1.0 - (k + 1) ** -0.5


@dataclass(frozen=True)
class TrustRatio(StepsizePolicy):
    """LARS/LAMB trust ratio: the radius whose step has Frobenius length ``lr trust phi(||X_i||_F)``.

    ``t_i = lr * trust * phi(||X_i||_F) / ||lmo_i(M_i)||_F``, so
    ``||t_i lmo_i(M_i)||_F = lr * trust * phi(||X_i||_F)`` (docs/theory.md 11.1
    LARS with ``trust = eta_tr``; 11.2 LAMB with ``phi(z) = z``).  With the
    Frobenius norm ``||lmo||_F = 1``; with l_inf it is ``sqrt(#nonzero)``.
    Fallback as in the reference code: ``t_i = lr`` when ``||X_i||_F = 0``
    (or the direction is 0).
    """

    lr: float
    trust: float = 1.0
    phi: Callable[[float], float] | None = None

    def __post_init__(self):
        check_hyper("lr", self.lr)
        check_hyper("trust", self.trust)

    def __call__(self, ctx):
        w = ctx.param_fro
        d = ctx.direction_fro
        if w == 0.0 or d == 0.0:
            return float(self.lr)
        phi_w = w if self.phi is None else float(self.phi(w))
        return self.lr * self.trust * phi_w / d


@dataclass(frozen=True)
class FromFunction(StepsizePolicy):
    """Wrap a user function ``fn(ctx) -> t``."""

    fn: Callable[[StepContext], float]

    def __call__(self, ctx):
        return float(self.fn(ctx))


def as_policy(value) -> StepsizePolicy:
    """A number -> :class:`Constant`; a policy passes; a callable -> :class:`FromFunction`."""
    if isinstance(value, StepsizePolicy):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Constant(float(value))
    if callable(value):
        return FromFunction(value)
    raise TypeError(f"a stepsize must be a number, a StepsizePolicy or a callable(ctx), got {value!r}")
