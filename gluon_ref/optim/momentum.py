"""Momentum conventions, named explicitly (docs/theory.md sections 3, 10 and 11.7).

Each convention maps the buffer of the previous step and the new gradient
``g^k`` to ``(M^k, buffer^k)``, where ``M^k`` is what the LMO sees.

``"ema"`` - the paper's EMA (Algorithm 1 of Gluon, arXiv 2505.13416):
    ``M^0 = g^0`` (Algorithm 1 with ``beta^0 = 0``, as in Theorem 2), then
    ``M^k = beta_k M^{k-1} + (1 - beta_k) g^k``.  ``beta`` is a constant or a
    schedule ``k -> beta_k`` (e.g. :meth:`Theorem2Schedule.beta`).  With a
    constant ``beta`` the EMA therefore starts at the first gradient, not at 0.
``"scion"`` - Scion's code (arXiv 2502.07529, docs/theory.md section 3):
    ``d <- (1 - alpha) d + alpha g`` with ``alpha = 1 - beta`` (Scion's
    ``momentum`` argument is ``alpha``) and a **zero-initialised** buffer, so
    ``d^0 = alpha g^0``; no bias correction.  ``buffer_init="first_grad"``
    starts from ``d^{-1} = g^0`` instead, which makes it coincide with
    ``"ema"`` (tested).  Also torch.optim.Muon with ``nesterov=False``.
``"nesterov"`` - torch.optim.Muon (docs/theory.md section 11.7):
    ``buf <- buf + (1 - mu)(g - buf)`` (a lerp, zero-initialised), then
    ``M = g + mu (buf - g)``.
``"mvr"`` - STORM-type variance reduction, the Gluon-MVR template
    (docs/theory.md section 10, arXiv 2512.16598, **uncertain**):
    ``M^0 = g^0``; ``M^k = g^k + (1 - a_k)(M^{k-1} - g_prev^k)`` with
    ``g_prev^k = grad f_{xi^k}(X^{k-1})`` (same sample, previous iterate) and
    ``beta = 1 - a``.
``"none"`` - ``M = g`` (Algorithm 2).

All updates are pure array expressions on the input's namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .layers import check_hyper

__all__ = ["Momentum", "KINDS", "ema", "scion", "nesterov", "mvr", "no_momentum"]

KINDS = ("ema", "scion", "nesterov", "mvr", "none")


@dataclass(frozen=True)
class Momentum:
    """A momentum convention (see the module docstring).

    ``beta`` is the weight on the past (``beta = 1 - alpha`` for Scion,
    ``beta = mu`` for torch's Muon, ``beta = 1 - a`` for MVR); a constant in
    ``[0, 1)`` or a callable ``k -> beta_k``.
    """

    kind: str = "none"
    beta: float | Callable[[int], float] = 0.0
    buffer_init: str = "zeros"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown momentum convention {self.kind!r}; valid: {', '.join(KINDS)}")
        if self.buffer_init not in ("zeros", "first_grad"):
            raise ValueError(f"buffer_init must be 'zeros' or 'first_grad', got {self.buffer_init!r}")
        if not callable(self.beta):
            check_hyper("beta (momentum)", self.beta, low=0.0, high=1.0, high_open=True)

    @property
    def needs_previous_gradient(self) -> bool:
        return self.kind == "mvr"

    def beta_at(self, k: int) -> float:
        """``beta_k``: the constant, or the schedule at step ``k`` (checked in [0, 1))."""
        b = self.beta(k) if callable(self.beta) else self.beta
        return check_hyper(f"beta_{k} (momentum schedule)", b, low=0.0, high=1.0, high_open=True)

    def update(self, buffer: Any | None, g: Any, k: int, g_prev: Any | None = None
               ) -> tuple[Any, Any | None]:
        """``(M^k, new_buffer)`` for one layer at step ``k``; ``buffer`` is None at k = 0."""
        if self.kind == "none":
            return g, None
        beta = self.beta_at(k)
        if self.kind == "ema":
            m = g if buffer is None else beta * buffer + (1.0 - beta) * g
            return m, m
        if self.kind == "scion":
            alpha = 1.0 - beta
            if buffer is None:
                buffer = g if self.buffer_init == "first_grad" else 0.0 * g
            d = (1.0 - alpha) * buffer + alpha * g
            return d, d
        if self.kind == "nesterov":
            if buffer is None:
                buffer = 0.0 * g
            buf = buffer + (1.0 - beta) * (g - buffer)
            return g + beta * (buf - g), buf
        # mvr
        if buffer is None:
            return g, g
        if g_prev is None:
            raise ValueError("the 'mvr' convention needs grads_prev (the gradient at the previous "
                             "iterate on the current sample) from step 1 on")
        m = g + beta * (buffer - g_prev)
        return m, m


def ema(beta: float | Callable[[int], float]) -> Momentum:
    """The paper's EMA, ``M^0 = g^0`` (Gluon Algorithm 1, arXiv 2505.13416)."""
    return Momentum("ema", beta)


def scion(alpha: float, buffer_init: str = "zeros") -> Momentum:
    """Scion's code convention with its ``momentum`` argument ``alpha`` (beta = 1 - alpha)."""
    a = check_hyper("alpha (Scion momentum)", alpha, low=0.0, high=1.0, low_open=True)
    return Momentum("scion", 1.0 - a, buffer_init)


def nesterov(momentum: float) -> Momentum:
    """torch.optim.Muon's lerp buffer with Nesterov input, ``mu = momentum``."""
    return Momentum("nesterov", momentum)


def mvr(a: float | Callable[[int], float]) -> Momentum:
    """Gluon-MVR's STORM estimator with weight ``a_k`` (template, uncertain; docs/theory.md 10)."""
    if callable(a):
        return Momentum("mvr", lambda k: 1.0 - a(k))
    return Momentum("mvr", 1.0 - check_hyper("a (MVR)", a, low=0.0, high=1.0, low_open=True))


def no_momentum() -> Momentum:
    return Momentum("none")
