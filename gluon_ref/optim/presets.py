"""Registry of presets by name (docs/theory.md sections 9-11).

Each entry builds an :class:`~gluon_ref.optim.base.Optimizer` from keyword
arguments with the ecosystem's parameter names.  Entries marked ``lmo`` are
Gluon special cases (their ``as_gluon(params)`` returns the corresponding
generic configuration, for the settings stated in their docstrings); the
others are baselines.

=================  ==================================================  ========
name               optimizer                                            kind
=================  ==================================================  ========
``muon``           :class:`Muon` (torch.optim.Muon)                     lmo
``scion``          :class:`Scion` constrained (SCG), LLM assignment     lmo
``unscion``        :class:`Scion` unconstrained (uSCG), LLM assignment  lmo
``scion_cnn``      :class:`Scion` constrained, CNN assignment           lmo
``unscion_cnn``    :class:`Scion` unconstrained, CNN assignment         lmo
``normalized_gd``  :class:`NormalizedGD`                                lmo
``sign_sgd``       :class:`SignSGD`                                     lmo
``lars``           :class:`LARS` (lmo at momentum = wd = 0)             lmo*
``lamb``           :class:`LAMB` (lmo at betas = 0, eps = wd = 0)       lmo*
``normuon_paper``  :class:`NorMuonPaper` (lmo on m <= n layers)         lmo*
``normuon_code``   :class:`NorMuonCode` (lmo on m <= n layers)          lmo*
``adam``           :class:`Adam` (lmo at betas = 0, eps = 0)            lmo*
``shampoo``        :class:`Shampoo` (lmo at decay = 0, eps = 0)         lmo*
``gluon_mvr``      :class:`GluonMVR` template (uncertain)               lmo
``adamw``          :func:`AdamW`                                         baseline
``sgd``            :class:`SGD`                                          baseline
``sophia``         :class:`Sophia`                                       baseline
=================  ==================================================  ========
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from .adam import Adam, AdamW
from .baselines import SGD, NormalizedGD, SignSGD
from .lars_lamb import LAMB, LARS
from .muon import Muon
from .mvr import GluonMVR
from .normuon import NorMuonCode, NorMuonPaper
from .scion import Scion
from .shampoo import Shampoo
from .sophia import Sophia

__all__ = ["PRESETS", "get_preset"]

PRESETS: dict[str, Callable[..., object]] = {
    "muon": Muon,
    "scion": partial(Scion, constrained=True, assignment="llm"),
    "unscion": partial(Scion, constrained=False, assignment="llm"),
    "scion_cnn": partial(Scion, constrained=True, assignment="cnn"),
    "unscion_cnn": partial(Scion, constrained=False, assignment="cnn"),
    "normalized_gd": NormalizedGD,
    "sign_sgd": SignSGD,
    "lars": LARS,
    "lamb": LAMB,
    "normuon_paper": NorMuonPaper,
    "normuon_code": NorMuonCode,
    "adam": Adam,
    "shampoo": Shampoo,
    "gluon_mvr": GluonMVR,
    "adamw": AdamW,
    "sgd": SGD,
    "sophia": Sophia,
}


def get_preset(name: str, **kwargs):
    """Build preset ``name`` with ``kwargs``; unknown names raise ``ValueError`` listing the valid ones."""
    key = str(name).strip().lower()
    if key not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; valid: {', '.join(sorted(PRESETS))}")
    return PRESETS[key](**kwargs)
