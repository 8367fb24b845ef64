"""Scion and unScion in the Scion code's own form (arXiv 2502.07529, docs/theory.md sections 3 and 9).

Per parameter, with Scion's ``momentum`` argument ``alpha`` and ``scale``:

1. ``d <- (1 - alpha) d + alpha g`` (zero-initialised buffer);
2. ``update = scale * dualize(d)``, where ``dualize`` returns the *positive*
   maximiser ``s(d)`` scaled as in the Scion code's norm backends
   (docs/norms.md section 2c), so the step subtracts it:

   ==================  ========================================================
   ``Spectral``        ``sqrt(d_out/d_in) polar(d)``             (hidden 2-D)
   ``Sign``            ``sign(d) / d_in``                        (embedding/output)
   ``BiasRMS``         ``d / rms(d)``, ``rms = sqrt(mean(d^2))`` (1-D)
   ``SpectralConv``    ``sqrt(c_out/c_in)/k^2 polar(mat(d))``   (conv kernels)
   ==================  ========================================================

3. Scion (constrained, SCG): ``p <- (1 - lr) p - lr update``;
   unScion (unconstrained, uSCG): ``p <- p - lr update``.

So SCG has ``gamma = lr`` and ``rho = scale``; uSCG has radius ``t = lr scale``.

**Assignments** (docs/theory.md section 9, radii from docs/norms.md section 2c):

* ``"llm"``: hidden ``Spectral`` (RMS->RMS), embedding/output ``Sign``
  (normalized, ``n = d_in``), biases ``BiasRMS``.  Defaults: ``lr = 3.6e-4``,
  scales hidden 50, embedding/output 3000 (Scion NanoGPT; ``t = 0.018`` and
  ``1.08``).  The bias scale (50) has no source: NanoGPT has no biases.
* ``"cnn"``: conv kernels ``SpectralConv``, biases ``BiasRMS``, head ``Sign``.
  unScion defaults are Gluon's CNN radii, ``lr = 1`` with scales conv 0.5,
  bias 0.5, output 50; Scion (constrained) defaults are the airbench radii
  conv 8, bias 8, output 128, and ``lr`` must be given (no documented value).

The Scion code adds a small eps to denominators; here ``eps = 0`` by default
(exact formulas, docs/norms.md section 3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..backend import frobenius_norm, namespace
from ..polar import MUON_QUINTIC, newton_schulz
from .base import MomentumState, Optimizer
from .gluon import GluonConfig, gluon_config
from .layers import ROLES, as_named, check_flag, check_hyper, resolve_roles
from .momentum import scion as scion_momentum
from .stepsizes import Constant

__all__ = ["Scion", "SCION_NORMS", "SCION_DEFAULT_SCALES", "scion_keller_ns"]

#: assignment -> role -> (Scion backend name, catalogue norm name)
SCION_NORMS: dict[str, dict[str, tuple[str, str]]] = {
    "llm": {"hidden": ("Spectral", "rms_to_rms"), "embedding": ("Sign", "sign"),
            "output": ("Sign", "sign"), "bias": ("BiasRMS", "rms"),
            "conv": ("SpectralConv", "spectral_conv")},
    "cnn": {"conv": ("SpectralConv", "spectral_conv"), "bias": ("BiasRMS", "rms"),
            "output": ("Sign", "sign"), "hidden": ("Spectral", "rms_to_rms"),
            "embedding": ("Sign", "sign")},
}

#: (assignment, constrained) -> (default lr or None, role -> scale)
SCION_DEFAULT_SCALES: dict[tuple[str, bool], tuple[float | None, dict[str, float]]] = {
    ("llm", False): (3.6e-4, {"hidden": 50.0, "embedding": 3000.0, "output": 3000.0,
                              "bias": 50.0, "conv": 50.0}),
    ("llm", True): (3.6e-4, {"hidden": 50.0, "embedding": 3000.0, "output": 3000.0,
                             "bias": 50.0, "conv": 50.0}),
    ("cnn", False): (1.0, {"conv": 0.5, "bias": 0.5, "output": 50.0, "hidden": 0.5,
                           "embedding": 50.0}),
    ("cnn", True): (None, {"conv": 8.0, "bias": 8.0, "output": 128.0, "hidden": 8.0,
                           "embedding": 128.0}),
}


def scion_keller_ns(g):
    """Keller Jordan's 5-step quintic with Frobenius normalisation (+1e-7), as in the Scion code."""
    return newton_schulz(g, MUON_QUINTIC, 5, normalization="frobenius", eps=1e-7)


def _polar_default():
    return scion_keller_ns


@dataclass(frozen=True)
class Scion(Optimizer):
    """Scion (``constrained=True``) or unScion (``constrained=False``); module docstring.

    ``lr``: Scion's lr (``gamma`` for SCG); ``momentum``: Scion's ``alpha``
    (default 0.1, i.e. beta = 0.9; ``1.0`` switches momentum off);
    ``scales``: mapping role or layer name -> Scion's per-layer ``scale`` (defaults per
    assignment).  ``scale`` is the Scion code's own name, kept for that reason; in Gluon's
    terms it is the constraint radius ``rho`` of SCG and the ratio ``t / lr`` of uSCG
    (module docstring);
    ``roles``: overrides of the guessed roles; ``orthogonalizer``: polar
    routine (default Keller's Newton-Schulz, as the Scion code; pass
    :func:`gluon_ref.polar.polar_exact` for exact LMOs).
    """

    lr: float | None = None
    momentum: float = 0.1
    assignment: str = "llm"
    constrained: bool = True
    scales: Mapping[str, float] | None = None
    roles: Mapping[str, str] | None = None
    orthogonalizer: Callable[[Any], Any] = field(default_factory=_polar_default)
    eps: float = 0.0
    name: str = "scion"
    state_type = MomentumState

    def __post_init__(self):
        if self.assignment not in SCION_NORMS:
            raise ValueError(f"assignment must be one of {sorted(SCION_NORMS)}, got {self.assignment!r}")
        if self.lr is None and self._defaults[0] is None:
            raise ValueError("the constrained CNN assignment has no documented lr: pass lr")
        check_hyper("lr", self.effective_lr, high=1.0 if self.constrained else None)
        check_hyper("momentum (alpha)", self.momentum, low=0.0, high=1.0, low_open=True)
        check_hyper("eps", self.eps)
        check_flag("constrained", self.constrained)
        for key, v in (self.scales or {}).items():
            check_hyper(f"scales[{key!r}]", v, low_open=True)

    @property
    def _defaults(self):
        return SCION_DEFAULT_SCALES[(self.assignment, bool(self.constrained))]

    @property
    def effective_lr(self) -> float:
        return float(self._defaults[0] if self.lr is None else self.lr)

    def _roles(self, named) -> dict[str, str]:
        return resolve_roles({n: tuple(x.shape) for n, x in named.items()}, self.roles)

    def scale_of(self, name: str, role: str) -> float:
        scales = dict(self._defaults[1])
        scales.update(self.scales or {})
        if name in scales:
            return float(scales[name])
        return float(scales[role])

    # -- the Scion code's norm backends (positive dualizers) ---------------------
    def _dualize(self, backend: str, d):
        xp = namespace(d)
        if backend == "Spectral":
            d_out, d_in = d.shape
            return math.sqrt(d_out / d_in) * self.orthogonalizer(d)
        if backend == "Sign":
            return xp.sign(d) / d.shape[1]
        if backend == "BiasRMS":
            rms = frobenius_norm(d) / math.sqrt(math.prod(d.shape))
            if not bool(rms > 0):
                return xp.zeros_like(d)
            return d / (rms + self.eps)
        if backend == "SpectralConv":
            c_out, c_in = d.shape[0], d.shape[1]
            taps = math.prod(d.shape[2:])
            mat = xp.reshape(d, (c_out, c_in * taps))
            o = xp.reshape(self.orthogonalizer(mat), d.shape)
            return (math.sqrt(c_out / c_in) / taps) * o
        raise ValueError(f"unknown Scion backend {backend!r}")  # pragma: no cover

    def _check_layers(self, named):
        # a misspelt key ('hiden', a wrong layer name) would silently leave the default scale
        unknown = sorted(set(self.scales or {}) - set(ROLES) - set(named))
        if unknown:
            raise ValueError(f"scales has keys {unknown} that are neither roles ({', '.join(ROLES)}) "
                             f"nor layer names ({', '.join(sorted(named))})")
        roles = self._roles(named)
        for n, x in named.items():
            backend = SCION_NORMS[self.assignment][roles[n]][0]
            want = {"Spectral": (2,), "Sign": (2,), "BiasRMS": (1,), "SpectralConv": (3, 4)}[backend]
            if x.ndim not in want:
                raise ValueError(f"layer {n!r} (role {roles[n]}) has shape {tuple(x.shape)}; "
                                 f"Scion backend {backend} needs ndim {want}")

    def _update(self, params, grads, state):
        alpha, lr = self.momentum, self.effective_lr
        roles = self._roles(params)
        bufs = state.momentum_buffer
        new_p, new_buf, ts = {}, {}, {}
        for name, p in params.items():
            g = grads[name]
            buf = bufs.get(name)
            if buf is None:
                buf = 0.0 * g
            buf = (1.0 - alpha) * buf + alpha * g
            backend = SCION_NORMS[self.assignment][roles[name]][0]
            scale = self.scale_of(name, roles[name])
            update = scale * self._dualize(backend, buf)
            if self.constrained:
                p = (1.0 - lr) * p
            new_p[name] = p - lr * update
            new_buf[name] = buf
            ts[name] = lr * scale
        return new_p, state.advance(momentum_buffer=new_buf, info={"stepsizes": ts})

    def as_gluon(self, params) -> GluonConfig:
        """The Gluon configuration: catalogue norms by role, Scion momentum, SCG or uSCG radii."""
        named, _ = as_named(params)
        roles = self._roles(named)
        norms = {n: SCION_NORMS[self.assignment][roles[n]][1] for n in named}
        scales = {n: self.scale_of(n, roles[n]) for n in named}
        mom = scion_momentum(self.momentum)
        lr = self.effective_lr
        if self.constrained:
            return gluon_config(params, norms=norms, momentum=mom, roles=roles,
                                orthogonalizer=self.orthogonalizer,
                                stepsizes=Constant(lr), constraint_radii=scales)
        return gluon_config(params, norms=norms, momentum=mom, roles=roles,
                            orthogonalizer=self.orthogonalizer,
                            stepsizes={n: Constant(lr * s) for n, s in scales.items()})
