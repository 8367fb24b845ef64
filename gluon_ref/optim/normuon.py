"""NorMuon (arXiv 2510.05491) in two forms, named apart (docs/theory.md section 11.3).

**Paper form** (``NorMuonPaper``; **uncertain** in detail: known from
secondary renderings that agree).  For ``W`` in R^{m x n}:

    M <- beta1 M + (1 - beta1) G                       (zero-initialised)
    O = NS5(M)
    v <- beta2 v + (1 - beta2) mean_over_columns(O * O)  (v in R^m, zero-initialised)
    O_hat = O / (sqrt(v) + eps)                         (row-wise)
    eta_hat = 0.2 eta sqrt(m n) / ||O_hat||_F
    W <- W - eta lambda W - eta_hat O_hat

Defaults ``beta1 = beta2 = 0.95``, ``eps = 1e-8``; ``lr = 0.02`` and
``weight_decay = 0`` follow the official code.  The update RMS is exactly
``0.2 eta`` whenever ``O != 0``.

**Official-code form** (``NorMuonCode``, repository zichongli5/NorMuon):
Nesterov lerp input (as torch.optim.Muon), ``O = NS5``, ``v`` per row as
above, ``O_hat = O / (sqrt(v) + 1e-10)``, rescaled to ``||O||_F``, times
``sqrt(max(1, m/n))``; ``W <- W (1 - lr wd) - lr O_hat``.  Defaults
``lr = 0.02, betas = (0.95, 0.95), weight_decay = 0``.

**When they are Gluon steps** (:meth:`as_gluon`): only on layers with
``m <= n`` and an exact polar factor of full row rank.  Then ``O = U V^T`` has
rows of unit norm, so ``v`` is uniform across rows and the row normalisation is
a scalar, which the rescaling removes: the paper form is the spectral LMO with
radius ``0.2 eta sqrt(n)`` (Scion momentum ``alpha = 1 - beta1``; SCG with
``rho = 0.2 sqrt(n)/lambda``, ``gamma = eta lambda`` when ``lambda > 0``), the
code form is Muon ('original' scaling, Nesterov).  On tall layers NorMuon is
*not* an LMO step of these norms (a negative control in the equivalence table).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..backend import frobenius_norm, namespace
from ..polar import MUON_QUINTIC, newton_schulz
from .base import OptState, Optimizer
from .gluon import GluonConfig, gluon_config
from .layers import check_betas, check_hyper
from .momentum import nesterov as nesterov_momentum, scion as scion_momentum
from .stepsizes import Constant

__all__ = ["NorMuonPaper", "NorMuonCode", "NorMuonState", "normuon_paper", "normuon_code"]


@dataclass(frozen=True)
class NorMuonState(OptState):
    """Both NorMuon forms: ``momentum_buffer`` (the paper's ``M``; the code's Nesterov lerp
    buffer) and ``row_second_moment`` (``v`` in R^m, one entry per row)."""

    momentum_buffer: Mapping[str, Any] = field(default_factory=dict)
    row_second_moment: Mapping[str, Any] = field(default_factory=dict)


def _ns5(g):
    """NS5: Keller Jordan's quintic, 5 steps, Frobenius normalisation (+1e-7)."""
    return newton_schulz(g, MUON_QUINTIC, 5, normalization="frobenius", eps=1e-7)


def _ns5_default():
    return _ns5


def _row_normalize(xp, o, v_prev, b2: float, eps: float):
    """``(O / (sqrt(v) + eps), v)`` with ``v <- b2 v + (1 - b2) mean_over_columns(O * O)``.

    ``v`` is zero-initialised (``v_prev`` None); a zero denominator gives 0.
    """
    rms2 = xp.mean(o * o, axis=1, keepdims=True)
    v = b2 * v_prev + (1.0 - b2) * rms2 if v_prev is not None else (1.0 - b2) * rms2
    den = xp.sqrt(v) + eps
    ok = den > 0
    return xp.where(ok, o / xp.where(ok, den, xp.ones_like(den)), xp.zeros_like(o)), v


def _check_wide(params, who):
    for n, x in (params.items() if hasattr(params, "items") else enumerate(params)):
        if x.shape[0] > x.shape[1]:
            raise ValueError(f"{who} is a spectral LMO step only on layers with m <= n; layer {n!r} "
                             f"has shape {tuple(x.shape)}")


@dataclass(frozen=True)
class _NorMuonBase(Optimizer):
    """Hyperparameters and checks shared by the two NorMuon forms; 2-D parameters only."""

    lr: float = 0.02
    betas: tuple[float, float] = (0.95, 0.95)
    eps: float = 1e-8
    weight_decay: float = 0.0
    orthogonalizer: Callable[[Any], Any] = field(default_factory=_ns5_default)
    state_type = NorMuonState

    def __post_init__(self):
        check_hyper("lr", self.lr)
        check_betas("betas", self.betas)
        check_hyper("eps", self.eps)
        check_hyper("weight_decay", self.weight_decay)

    def _check_layers(self, named):
        for n, x in named.items():
            if x.ndim != 2:
                raise ValueError(f"NorMuon supports 2-D parameters only; layer {n!r} has shape "
                                 f"{tuple(x.shape)}")


@dataclass(frozen=True)
class NorMuonPaper(_NorMuonBase):
    """NorMuon, paper form (module docstring; **uncertain** details)."""

    name: str = "normuon_paper"

    def _update(self, params, grads, state):
        b1, b2 = (float(b) for b in self.betas)
        ms, vs = state.momentum_buffer, state.row_second_moment
        new_p, new_m, new_v, ts = {}, {}, {}, {}
        for name, w in params.items():
            xp = namespace(w)
            m_rows, n_cols = w.shape
            g = grads[name]
            m = b1 * ms[name] + (1.0 - b1) * g if name in ms else (1.0 - b1) * g
            o = self.orthogonalizer(m)
            o_hat, v = _row_normalize(xp, o, vs.get(name), b2, self.eps)
            fro = float(frobenius_norm(o_hat))
            eta_hat = 0.2 * self.lr * math.sqrt(m_rows * n_cols) / fro if fro > 0 else 0.0
            new_p[name] = w - (self.lr * self.weight_decay) * w - eta_hat * o_hat
            new_m[name], new_v[name] = m, v
            ts[name] = eta_hat
        return new_p, state.advance(momentum_buffer=new_m, row_second_moment=new_v,
                                    info={"eta_hat": ts})

    def as_gluon(self, params) -> GluonConfig:
        """Spectral LMO, radius 0.2 lr sqrt(n), Scion momentum; layers with m <= n only."""
        _check_wide(params, "NorMuon (paper form)")
        mom = scion_momentum(1.0 - float(self.betas[0]))
        wd = self.weight_decay
        if wd > 0:
            return gluon_config(params, norms="spectral", momentum=mom,
                                orthogonalizer=self.orthogonalizer,
                                stepsizes=Constant(self.lr * wd),
                                constraint_radii=lambda n, s: 0.2 * math.sqrt(s[1]) / wd)
        return gluon_config(params, norms="spectral", momentum=mom,
                            orthogonalizer=self.orthogonalizer,
                            stepsizes=lambda n, s: Constant(0.2 * self.lr * math.sqrt(s[1])))


@dataclass(frozen=True)
class NorMuonCode(_NorMuonBase):
    """NorMuon, official-code form (module docstring)."""

    eps: float = 1e-10
    name: str = "normuon_code"

    def _update(self, params, grads, state):
        b1, b2 = (float(b) for b in self.betas)
        bufs, vs = state.momentum_buffer, state.row_second_moment
        new_p, new_b, new_v = {}, {}, {}
        for name, w in params.items():
            xp = namespace(w)
            m_rows, n_cols = w.shape
            g = grads[name]
            buf = bufs[name] if name in bufs else 0.0 * g
            buf = buf + (1.0 - b1) * (g - buf)
            u = g + b1 * (buf - g)
            o = self.orthogonalizer(u)
            o_hat, v = _row_normalize(xp, o, vs.get(name), b2, self.eps)
            fro_hat = float(frobenius_norm(o_hat))
            fro_o = float(frobenius_norm(o))
            if fro_hat > 0:
                o_hat = (fro_o / fro_hat) * o_hat
            o_hat = math.sqrt(max(1.0, m_rows / n_cols)) * o_hat
            new_p[name] = w * (1.0 - self.lr * self.weight_decay) - self.lr * o_hat
            new_b[name], new_v[name] = buf, v
        return new_p, state.advance(momentum_buffer=new_b, row_second_moment=new_v)

    def as_gluon(self, params) -> GluonConfig:
        """Muon ('original', Nesterov) as Gluon; layers with m <= n only."""
        _check_wide(params, "NorMuon (code form)")
        mom = nesterov_momentum(float(self.betas[0]))
        wd = self.weight_decay
        if wd > 0:
            return gluon_config(params, norms="muon_spectral", momentum=mom,
                                orthogonalizer=self.orthogonalizer,
                                stepsizes=Constant(self.lr * wd), constraint_radii=1.0 / wd)
        return gluon_config(params, norms="muon_spectral", momentum=mom,
                            orthogonalizer=self.orthogonalizer, stepsizes=self.lr)


normuon_paper = NorMuonPaper
normuon_code = NorMuonCode
