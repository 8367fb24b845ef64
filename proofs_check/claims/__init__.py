"""All claims of the verification report, gathered from one module per source.

Each module ``proofs_check.claims.<area>`` exposes ``CLAIMS: list[Claim]``.
"""

from __future__ import annotations

import importlib

from .base import CheckContext, Claim, ClaimResult, Instance, SymbolicResult, evaluate

#: modules contributing claims; each defines CLAIMS
CLAIM_MODULES: list[str] = ["lmo", "polar", "optimizers", "theory", "smoothness", "empirical"]


def all_claims() -> list[Claim]:
    claims: list[Claim] = []
    for name in CLAIM_MODULES:
        claims.extend(importlib.import_module(f"proofs_check.claims.{name}").CLAIMS)
    ids = [c.id for c in claims]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"duplicate claim ids: {sorted(dup)}")
    return claims


__all__ = ["CheckContext", "Claim", "ClaimResult", "Instance", "SymbolicResult", "evaluate",
           "all_claims", "CLAIM_MODULES"]
