"""Polar factor: the exact SVD baseline and Newton–Schulz-type iterations (POLAR.md)."""

from .exact import polar_exact, rank_threshold
from .iterations import MUON_QUINTIC, newton_schulz, normalize_input
from .registry import ORTHOGONALIZERS, get_orthogonalizer, register_orthogonalizer

__all__ = [
    "polar_exact",
    "rank_threshold",
    "newton_schulz",
    "normalize_input",
    "MUON_QUINTIC",
    "ORTHOGONALIZERS",
    "get_orthogonalizer",
    "register_orthogonalizer",
]
