"""Run claims: symbolic proof, numeric check, verdict (see :mod:`proofs_check.claims.base`)."""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import sys
import time
import traceback
from concurrent.futures import Executor
from typing import Callable, Iterable, Sequence

from .claims import CheckContext, Claim, ClaimResult, all_claims, evaluate
from .executors import map_ordered

__all__ = ["select", "run_claim", "run_claims", "exit_status"]


def select(claims: Iterable[Claim], only: str | None = None) -> list[Claim]:
    """Claims whose id matches the glob ``only`` (a plain word matches as a substring)."""
    claims = list(claims)
    if not only:
        return claims
    pattern = only if any(ch in only for ch in "*?[") else f"*{only}*"
    picked = [c for c in claims if fnmatch.fnmatchcase(c.id, pattern)
              or any(fnmatch.fnmatchcase(t, pattern) for t in c.tags)]
    if not picked:
        raise ValueError(f"no claim matches {only!r}; ids look like {claims[0].id!r}" if claims
                         else "there are no claims")
    return picked


def run_claim(claim: Claim, ctx: CheckContext) -> ClaimResult:
    """Run one claim; an exception in a check is recorded as verdict 'error', not raised."""
    symbolic = None
    instances = []
    try:
        if claim.symbolic is not None:
            symbolic = claim.symbolic()
        if claim.numeric is not None:
            instances = list(claim.numeric(ctx))
    except Exception as exc:  # noqa: BLE001 - reported, never swallowed silently
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return evaluate(claim, instances, symbolic, error=tb)
    return evaluate(claim, instances, symbolic)


def _outcome(claim: Claim | str, ctx: CheckContext) -> dict:
    """Run one claim (or the registered claim with this id) and return every field of its
    :class:`ClaimResult` but the claim itself (plain data, picklable; the claim's checks are
    closures that a process pool cannot pickle)."""
    if isinstance(claim, str):
        claim = {c.id: c for c in all_claims()}[claim]
    r = run_claim(claim, ctx)
    return {f.name: getattr(r, f.name) for f in dataclasses.fields(r) if f.name != "claim"}


def _outcomes(unit: Sequence[Claim | str], ctx: CheckContext) -> list:
    """:func:`_outcome` of each claim of a work unit, in order, with BLAS pinned to one thread
    (a multi-threaded BLAS may round a reduction differently in the last bit, and a serial
    run must equal a parallel one on any executor).  Module-level, so process pools and Dask
    workers can import it."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return [_outcome(c, ctx) for c in unit]


def claim_group(claim: Claim) -> str:
    """The work unit a claim runs in on an executor: the module that defines its check.

    Claims of one module share its caches (module-level ``_CACHE`` dicts and
    ``functools`` caches of the objectives they build), so they run in one worker,
    in order, and a cache one fills serves the next as in a serial run.  Split by
    claim, the worker processes spent 20 s of CPU against 14 s serially (measured,
    issue 14: ``theory.theorem1.decrease_sum`` 0.2 s -> 1.6 s, ``smoothness.lemma_d``
    0.35 s -> 2.7 s when the claim that fills their cache ran in the other worker).
    """
    fn = claim.numeric or claim.symbolic
    return getattr(fn, "__module__", None) or claim.id.split(".", 1)[0]


def run_claims(claims: Sequence[Claim] | None = None, ctx: CheckContext | None = None,
               progress: Callable[[int, int, str, float], None] | None = None,
               executor: Executor | None = None) -> list[ClaimResult]:
    """Run ``claims`` (default: all); results in claim order.

    ``progress(i, n, claim_id, seconds)`` after each claim (on an executor, as
    work units complete, with the seconds since the previous completion).
    ``executor``: any ``concurrent.futures.Executor`` (see
    :mod:`proofs_check.executors`).  There the work units are the modules that
    define the checks (:func:`claim_group`), which share their caches.  A
    registered claim travels by id (its checks are closures a process
    pool cannot pickle), a user claim as itself.  Checks draw only from
    ``ctx``'s seeded generators and every mode runs them with BLAS pinned to one
    thread (:func:`_outcomes`), so the results equal a serial run's exactly.
    """
    claims = list(all_claims() if claims is None else claims)
    ctx = ctx or CheckContext()
    last = [time.perf_counter(), 0]

    def tick(i: int) -> None:
        last[1] += 1
        now = time.perf_counter()
        if progress is not None:
            progress(last[1], len(claims), claims[i].id, now - last[0])
        last[0] = now

    if executor is None:
        outcomes = map_ordered(lambda c: _outcomes([c], ctx)[0], claims, None,
                               lambda i, _o: tick(i))
        return [ClaimResult(claim=c, **o) for c, o in zip(claims, outcomes)]
    registered = {c.id: c for c in all_claims()}
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(claims):
        groups.setdefault(claim_group(c), []).append(i)
    index = list(groups.values())
    units = [[claims[i].id if registered.get(claims[i].id) is claims[i] else claims[i]
              for i in idxs] for idxs in index]

    def unit_done(u: int, _outs) -> None:
        for i in index[u]:
            tick(i)

    per_unit = map_ordered(functools.partial(_outcomes, ctx=ctx), units, executor, unit_done)
    outcomes: list = [None] * len(claims)
    for idxs, outs in zip(index, per_unit):
        for i, o in zip(idxs, outs):
            outcomes[i] = o
    return [ClaimResult(claim=c, **o) for c, o in zip(claims, outcomes)]


def progress_bar(stream=sys.stderr, width: int = 28):
    """A one-line progress bar for :func:`run_claims` (plain text, no dependency)."""
    start = time.perf_counter()

    def show(i: int, n: int, claim_id: str, _seconds: float) -> None:
        filled = int(width * i / n)
        elapsed = time.perf_counter() - start
        line = f"\r[{'#' * filled}{'.' * (width - filled)}] {i}/{n} {elapsed:5.1f}s {claim_id[:40]:40s}"
        stream.write(line)
        if i == n:
            stream.write("\n")
        stream.flush()

    return show


def exit_status(results: Sequence[ClaimResult]) -> int:
    """1 if a claim that must hold failed, errored, or a negative control missed; else 0."""
    bad = [r for r in results if r.claim.must_hold and not r.passed]
    return 1 if bad else 0
