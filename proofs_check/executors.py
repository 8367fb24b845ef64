"""Where long runs execute: any ``concurrent.futures.Executor`` (DESIGN.md, "Commands and runs").

``--jobs N`` gives a pool of ``N`` local processes; ``--dask-scheduler ADDRESS``
a Dask distributed cluster (``distributed.Client(ADDRESS).get_executor()``, the
optional extra ``gluon-ref[distributed]``).  Every work unit is a pure
function of its arguments (claims draw from ``CheckContext.rng``), and results
are gathered back in submission order, so a parallel run writes the same JSON
as a serial one, byte for byte.

Local workers pin their BLAS to one thread (threadpoolctl): ``N`` processes
each running a multi-threaded BLAS would oversubscribe the cores.  The claims
runner pins it around every work unit in every mode, so results do not depend
on the BLAS thread count; Dask workers should be processes (``dask-worker``'s
default), since threads of one process share its BLAS limits.
"""

from __future__ import annotations

import argparse
import contextlib
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Callable, Iterator, Sequence

__all__ = ["add_executor_arguments", "executor_from_args", "open_executor", "map_ordered",
           "pin_blas_threads"]


def pin_blas_threads(n: int = 1) -> None:
    """Limit every BLAS/OpenMP pool of this process to ``n`` threads (worker initializer)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(n)


def add_executor_arguments(p: argparse.ArgumentParser) -> None:
    """``--jobs N`` and ``--dask-scheduler ADDRESS`` (mutually exclusive)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                   help="run on N local processes (default 1: serial, in this process)")
    g.add_argument("--dask-scheduler", metavar="ADDRESS", default=None,
                   help="run on the Dask distributed cluster at ADDRESS, e.g. tcp://host:8786 "
                        "(needs the optional extra gluon-ref[distributed])")


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs needs a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"--jobs needs a positive integer, got {n}")
    return n


@contextlib.contextmanager
def open_executor(jobs: int = 1, dask_scheduler: str | None = None) -> Iterator[Executor | None]:
    """An executor for ``jobs`` local processes or a Dask cluster; ``None`` means serial.

    Closed (and, for Dask, the client disconnected) on exit.
    """
    if dask_scheduler:
        try:
            from distributed import Client
        except ImportError as exc:
            raise RuntimeError("--dask-scheduler needs Dask: pip install 'gluon-ref[distributed]'"
                               ) from exc
        client = Client(dask_scheduler)
        try:
            yield client.get_executor()
        finally:
            client.close()
    elif jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs, initializer=pin_blas_threads) as pool:
            yield pool
    else:
        yield None


def executor_from_args(args: argparse.Namespace):
    """:func:`open_executor` for the options of :func:`add_executor_arguments`."""
    return open_executor(getattr(args, "jobs", 1), getattr(args, "dask_scheduler", None))


def map_ordered(fn: Callable, items: Sequence, executor: Executor | None = None,
                done: Callable[[int, object], None] | None = None) -> list:
    """``[fn(x) for x in items]``, on ``executor`` when given; results in the order of ``items``.

    ``done(index, result)`` is called as each result arrives (completion order,
    for progress display).  An exception in ``fn`` propagates, as in the serial loop.
    """
    items = list(items)
    if executor is None:
        out = []
        for i, x in enumerate(items):
            out.append(fn(x))
            if done is not None:
                done(i, out[-1])
        return out
    from concurrent.futures import as_completed

    futures = {executor.submit(fn, x): i for i, x in enumerate(items)}
    results: list = [None] * len(items)
    for fut in as_completed(futures):
        i = futures[fut]
        results[i] = fut.result()
        if done is not None:
            done(i, results[i])
    return results

