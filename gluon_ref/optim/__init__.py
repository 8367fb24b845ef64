"""Gluon and its special cases as one optimizer mechanism (docs/theory.md sections 2-3, 5-7, 9-11).

* :mod:`.gluon` - the generic layer-wise LMO step :class:`Gluon`, one
  :class:`LayerRule` per layer, built by :func:`gluon_config`;
* :mod:`.layers` - named parameters, roles, validation;
* :mod:`.momentum` - momentum conventions ``ema``, ``scion``, ``nesterov``, ``mvr``, ``none``;
* :mod:`.stepsizes` - constant, Theorem 1 adaptive, Theorem 2 schedule, cosine, UBA, warm-up, trust ratio;
* presets written in their ecosystems' own forms: :class:`Muon`, :class:`Scion`,
  :class:`NormalizedGD`, :class:`SignSGD`, :class:`LARS`, :class:`LAMB`,
  :class:`NorMuonPaper`, :class:`NorMuonCode`, :class:`Adam`, :class:`Shampoo`,
  :class:`GluonMVR`; baselines :func:`AdamW`, :class:`SGD`, :class:`Sophia`.

Every optimizer is functional: ``state = opt.init(params)``;
``params, state = opt.step(params, grads, state)``.  The state is a typed
record (:class:`MomentumState`, :class:`AdamState`, :class:`NorMuonState`,
:class:`ShampooState`, :class:`SophiaState`, all :class:`OptState`), one
field per buffer with one name across optimizers (:mod:`.base`).
:class:`Stateful` wraps an optimizer in an object.  ``lmo`` follows the
paper's sign (the minimiser), so every LMO update is ``X + t * lmo(M)``.
"""

from .adam import Adam, AdamState, AdamW
from .base import MomentumState, OptState, Optimizer, Stateful
from .baselines import SGD, NormalizedGD, SignSGD
from .gluon import Gluon, GluonConfig, LayerRule, gluon_config
from .lars_lamb import LAMB, LARS
from .layers import ROLE_NORM_RULES, ROLES, default_role, resolve_roles
from .momentum import Momentum
from .muon import Muon, muon_adjusted_lr
from .mvr import GluonMVR
from .normuon import NorMuonCode, NorMuonPaper, NorMuonState, normuon_code, normuon_paper
from .presets import PRESETS, get_preset
from .scion import Scion
from .shampoo import Shampoo, ShampooState
from .sophia import Sophia, SophiaState
from .stepsizes import (
    UBA,
    Constant,
    Cosine,
    FromFunction,
    StepContext,
    StepsizePolicy,
    Theorem1Adaptive,
    Theorem2Schedule,
    TrustRatio,
    Warmup,
    as_policy,
    uba_factor,
)

__all__ = [
    "OptState", "MomentumState", "AdamState", "NorMuonState", "ShampooState", "SophiaState",
    "Optimizer", "Stateful",
    "Gluon", "GluonConfig", "LayerRule", "gluon_config",
    "Adam", "AdamW", "SGD", "NormalizedGD", "SignSGD", "LAMB", "LARS", "Muon", "muon_adjusted_lr",
    "GluonMVR", "NorMuonCode", "NorMuonPaper", "normuon_code", "normuon_paper", "Scion", "Shampoo",
    "Sophia", "PRESETS", "get_preset",
    "ROLES", "ROLE_NORM_RULES", "default_role", "resolve_roles", "Momentum",
    "UBA", "Constant", "Cosine", "FromFunction", "StepContext", "StepsizePolicy", "Theorem1Adaptive",
    "Theorem2Schedule", "TrustRatio", "Warmup", "as_policy", "uba_factor",
]
