"""All claims of the verification report, gathered from one module per source.

Each module ``proofs_check.claims.<area>`` exposes ``CLAIMS: list[Claim]``.
"""

from __future__ import annotations

import importlib

from .base import (CheckContext, Claim, ClaimResult, Dropped, Instance, Series, SymbolicResult,
                   claim, evaluate)

#: modules contributing claims; each defines CLAIMS
CLAIM_MODULES: list[str] = ["lmo", "polar", "optimizers", "theory", "theorem2", "smoothness",
                             "presets", "empirical"]


def all_claims() -> list[Claim]:
    claims: list[Claim] = []
    for name in CLAIM_MODULES:
        claims.extend(importlib.import_module(f"proofs_check.claims.{name}").CLAIMS)
    ids = [c.id for c in claims]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"duplicate claim ids: {sorted(dup)}")
    return claims


def clear_caches() -> None:
    """Forget every run and attack the claim modules cache between claims of one report
    (``_CACHE``/``_RUNS`` dicts and ``functools`` caches), so a changed library (a
    mutation test, a reload) is measured afresh."""
    for name in CLAIM_MODULES:
        module = importlib.import_module(f"proofs_check.claims.{name}")
        for value in vars(module).values():
            if isinstance(value, dict) and value is not getattr(module, "CLAIMS", None) and \
                    any(value is vars(module).get(n) for n in ("_CACHE", "_RUNS")):
                value.clear()
            elif callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


__all__ = ["CheckContext", "Claim", "ClaimResult", "Dropped", "Instance", "Series", "SymbolicResult",
           "evaluate", "claim", "all_claims", "clear_caches", "CLAIM_MODULES"]
