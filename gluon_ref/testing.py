"""The adversarial numerics pack: edge inputs with their expected behaviour, for any library's tests.

Each :class:`EdgeCase` builds one array in a given namespace, dtype and shape
and says what a well-behaved numerical function must do with it:

============================  ===========================================================
case                          expected behaviour
============================  ===========================================================
``zero``                      a value: norms 0, LMO 0, polar factor 0, a zero update
``tiny``                      a value: entries ~ 1e3 * tiny(dtype); the direction has
                              its full length (a silent zero update is a defect)
``subnormal``                 a value, as ``tiny``, with subnormal entries
``huge``                      a value: entries ~ max(dtype) / 4, so a naive sum of
                              squares overflows; results finite, directions full length
``nan`` / ``inf``             ``ValueError`` naming the non-finite entries
``rank1``                     a value: polar factor ``u v^T``
``rank_deficient``            a value: half the singular values exactly 0
``ill_conditioned``           a value: singular values ``logspace(0, -16)``
``row`` / ``column``          a value: 1 x n and m x 1 matrices
``empty``                     ``ValueError`` (0 x n)
``batched``                   a value for batched functions ``(..., m, n)``;
                              ``ValueError`` for single-layer functions of fixed ndim
``non_contiguous``            the same value as a contiguous copy (NumPy: a strided view)
``read_only``                 a value; the input is not written (NumPy: ``writeable=False``)
============================  ===========================================================

:func:`edge_cases` yields the cases for a shape; the ``check_*`` functions
assert the contract for norms, orthogonalizers and optimizer steps, so that
another implementation can run the same pack as a contract test::

    for case in edge_cases(np, np.float32, (6, 4)):
        check_norm_contract(get_norm("spectral"), case)

The expectations come from DESIGN.md's input policy (bad input raises, nothing
returns NaN silently, inputs are never mutated or retained) and from the LMO
identities ``||lmo(g)|| = radius`` and ``<g, lmo(g)> = -radius ||g||_*``
(docs/norms.md section 5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from .backend import to_numpy

__all__ = ["EdgeCase", "edge_cases", "CASE_NAMES", "check_norm_contract",
           "check_orthogonalizer_contract", "check_step_contract", "snapshot", "assert_unchanged"]

CASE_NAMES = ("zero", "tiny", "subnormal", "huge", "nan", "inf", "rank1", "rank_deficient",
              "ill_conditioned", "row", "column", "empty", "batched", "non_contiguous",
              "read_only")


@dataclass(frozen=True)
class EdgeCase:
    """One adversarial input and what must happen to it.

    ``raises`` is the exception type every function of the pack's contract must
    raise (``None``: it must return a finite value).  ``batch_only`` marks
    inputs with a leading batch axis: functions that take one layer of fixed
    ndim raise ``ValueError`` for them.  ``zero``: the input is exactly 0.
    """

    name: str
    array: Any
    raises: type[Exception] | None = None
    zero: bool = False
    batch_only: bool = False



def _to(xp, a: np.ndarray, dtype):
    return xp.asarray(np.asarray(a, dtype=np.float64).astype(_np_dtype(dtype)))


def _np_dtype(dtype) -> np.dtype:
    """NumPy dtype of the same name (dtype objects of any namespace, or their names)."""
    if isinstance(dtype, type) and issubclass(dtype, np.generic):
        return np.dtype(dtype)
    return np.dtype(str(dtype).split(".")[-1].strip("'>"))


def _low_rank(shape, rank, sigma, rng):
    m, n = shape[0], int(np.prod(shape[1:]))
    k = min(rank, m, n)
    u, _ = np.linalg.qr(rng.standard_normal((m, k)))
    v, _ = np.linalg.qr(rng.standard_normal((n, k)))
    return ((u * np.asarray(sigma[:k])[None, :]) @ v.T).reshape(shape)


def edge_cases(xp, dtype, shape: tuple[int, ...] = (6, 4), *, seed: int = 0) -> Iterator[EdgeCase]:
    """The pack for arrays of ``shape`` in namespace ``xp`` and ``dtype`` (see the module table).

    Matrix cases (rank, row/column, batched) need ``len(shape) >= 2``; for 1-D
    shapes they are left out.  Values are drawn from ``numpy.random.default_rng(seed)``.
    """
    rng = np.random.default_rng(seed)
    info = np.finfo(_np_dtype(dtype))
    base = rng.standard_normal(shape)
    base /= np.max(np.abs(base))
    yield EdgeCase("zero", _to(xp, np.zeros(shape), dtype), zero=True)
    yield EdgeCase("tiny", _to(xp, base * (1e3 * float(info.tiny)), dtype))
    yield EdgeCase("subnormal", _to(xp, np.sign(base) * float(info.smallest_subnormal) * 4, dtype))
    yield EdgeCase("huge", _to(xp, base * (float(info.max) / 4), dtype))
    bad = base.copy()
    bad.flat[0] = np.nan
    yield EdgeCase("nan", _to(xp, bad, dtype), raises=ValueError)
    bad.flat[0] = np.inf
    yield EdgeCase("inf", _to(xp, bad, dtype), raises=ValueError)
    if len(shape) >= 2:
        k = min(shape[0], int(np.prod(shape[1:])))
        yield EdgeCase("rank1", _to(xp, _low_rank(shape, 1, [1.0], rng), dtype))
        yield EdgeCase("rank_deficient",
                       _to(xp, _low_rank(shape, max(1, k // 2), np.linspace(1, 0.5, k), rng), dtype))
        yield EdgeCase("ill_conditioned",
                       _to(xp, _low_rank(shape, k, np.logspace(0, -16, k), rng), dtype))
        yield EdgeCase("row", _to(xp, rng.standard_normal((1,) + tuple(shape[1:])), dtype))
        yield EdgeCase("column", _to(xp, rng.standard_normal((shape[0], 1) + tuple(shape[2:])), dtype))
        yield EdgeCase("batched", _to(xp, rng.standard_normal((2,) + tuple(shape)), dtype),
                       batch_only=True)
    yield EdgeCase("empty", _to(xp, np.zeros((0,) + tuple(shape[1:])), dtype), raises=ValueError)
    if xp is np:
        wide = np.asarray(rng.standard_normal(tuple(reversed(shape))), dtype=_np_dtype(dtype))
        yield EdgeCase("non_contiguous", wide.T if len(shape) >= 2 else
                       np.asarray(rng.standard_normal(2 * shape[0]), _np_dtype(dtype))[::2])
        ro = np.asarray(base, dtype=_np_dtype(dtype)).copy()
        ro.flags.writeable = False
        yield EdgeCase("read_only", ro)
    else:
        yield EdgeCase("non_contiguous", _to(xp, base, dtype))
        yield EdgeCase("read_only", _to(xp, base, dtype))


# -- contracts -------------------------------------------------------------------

def snapshot(tree):
    """A NumPy copy of an array or a mapping of arrays, to check later that nothing changed it."""
    if isinstance(tree, Mapping):
        return {k: snapshot(v) for k, v in tree.items()}
    return np.array(to_numpy(tree), copy=True)


def assert_unchanged(before, after, what: str = "input") -> None:
    """Raise ``AssertionError`` if ``after`` differs from the :func:`snapshot` ``before`` (NaN-aware)."""
    if isinstance(before, Mapping):
        for k in before:
            assert_unchanged(before[k], after[k], f"{what}[{k!r}]")
        return
    now = to_numpy(after)
    if not np.array_equal(before, now, equal_nan=True):
        raise AssertionError(f"{what} was modified in place")


def _finite(x) -> bool:
    return bool(np.all(np.isfinite(to_numpy(x).astype(np.float64))))


def _expect_raise(fn: Callable[[], Any], exc: type[Exception], what: str) -> None:
    try:
        out = fn()
    except exc:
        return
    raise AssertionError(f"{what}: expected {exc.__name__}, got a result {out!r:.80}")


def check_norm_contract(norm, case: EdgeCase, radius: float = 1.0) -> None:
    """Contract of a catalogue norm (``norm``, ``dual_norm``, ``lmo``, ``sharp``) on one case.

    Raise-cases raise; single-layer norms raise ``ValueError`` on batched input
    unless their ndim accepts it; otherwise every result is finite, the input
    is unchanged, ``lmo(0) = 0`` and for ``g != 0``:
    ``||lmo(g)|| = radius`` and ``<g, lmo(g)> = -radius ||g||_*`` to a relative
    ``64 sqrt(size) eps`` with ``eps`` of the input dtype (rounding of one
    reduction of ``size`` terms; float16 results are reduced in float32 and
    rounded to float16 once).  A value that does not fit the dtype may raise
    ``OverflowError`` instead.
    """
    g = case.array
    name = f"{norm.name} on {case.name}"
    if case.raises is not None:
        for method in ("norm", "dual_norm", "lmo"):
            _expect_raise(lambda: getattr(norm, method)(g), case.raises, f"{name}.{method}")
        return
    if g.ndim not in norm.ndims:
        _expect_raise(lambda: norm.lmo(g), ValueError, f"{name}.lmo (ndim {g.ndim})")
        return
    before = snapshot(g)
    step = norm.lmo(g, radius)
    values = {}
    for label in ("norm", "dual_norm", "sharp"):
        try:
            values[label] = getattr(norm, label)(g)
        except OverflowError:
            pass   # a value the dtype cannot hold: a clear error is the right answer
    assert_unchanged(before, g, name)
    for label, out in [("lmo", step), *values.items()]:
        if not _finite(out):
            raise AssertionError(f"{name}.{label} is not finite")
    if tuple(step.shape) != tuple(g.shape):
        raise AssertionError(f"{name}.lmo has shape {tuple(step.shape)}, input {tuple(g.shape)}")
    if case.zero:
        if any(float(values[k]) != 0 for k in ("norm", "dual_norm")) or np.any(to_numpy(step) != 0):
            raise AssertionError(f"{name}: a zero input must give 0 norms and a zero LMO")
        return
    eps = float(np.finfo(_np_dtype(g.dtype)).eps)
    tol = 64 * math.sqrt(int(np.prod(g.shape))) * eps
    got = float(norm.norm(step))
    if not abs(got - radius) <= tol * radius:
        raise AssertionError(f"{name}: ||lmo(g)|| = {got!r}, expected the radius {radius} "
                             "(a shortened or zero step)")
    if "dual_norm" not in values:
        return
    # <g, lmo(g)> = -radius ||g||_*, scaled by a = max|g| so that subnormal or huge g
    # do not underflow or overflow the float64 products of the check itself
    g64 = to_numpy(g).astype(np.float64)
    a = float(np.max(np.abs(g64)))
    inner = float(np.sum((g64 / a) * to_numpy(step).astype(np.float64)))
    want = -radius * (float(values["dual_norm"]) / a)
    # the returned ||g||_* is stored in g's dtype: at subnormal magnitudes each rounding
    # has an absolute error of half the smallest subnormal q, and the shape factor c
    # (at most sqrt(size)) multiplies one such error: |error| <= (1 + c) q / 2 <= (1 + sqrt(size)) q
    q = float(np.finfo(_np_dtype(g.dtype)).smallest_subnormal)
    quantum = radius * (1 + math.sqrt(int(np.prod(g.shape)))) * q / a
    if not abs(inner - want) <= tol * abs(want) + quantum:
        raise AssertionError(f"{name}: <g, lmo(g)> = {inner!r}, expected -radius ||g||_* = {want!r}")


def check_orthogonalizer_contract(fn: Callable[[Any], Any], case: EdgeCase, *,
                                  batched: bool = True) -> None:
    """Contract of an approximate polar factor ``fn(G)`` on one case.

    Raise-cases raise ``ValueError``; batched input works when ``batched``;
    otherwise the result is finite, of the input's shape and dtype, the input
    is unchanged, ``fn(0) = 0``, and ``fn(G) != 0`` with ``<G, fn(G)> > 0`` for
    ``G != 0``: an orthogonalizer that preserves the signs of singular values
    returns an ascent direction of ``<G, .>``, never a silent zero.
    """
    g = case.array
    name = f"orthogonalizer on {case.name}"
    if case.raises is not None:
        _expect_raise(lambda: fn(g), case.raises, name)
        return
    if case.batch_only and not batched:
        _expect_raise(lambda: fn(g), ValueError, name)
        return
    before = snapshot(g)
    q = fn(g)
    assert_unchanged(before, g, name)
    if tuple(q.shape) != tuple(g.shape) or q.dtype != g.dtype:
        raise AssertionError(f"{name}: result {tuple(q.shape)} {q.dtype}, input "
                             f"{tuple(g.shape)} {g.dtype}")
    if not _finite(q):
        raise AssertionError(f"{name}: result is not finite")
    qn = to_numpy(q).astype(np.float64)
    if case.zero:
        if np.any(qn != 0):
            raise AssertionError(f"{name}: a zero input must give a zero result")
        return
    gn = to_numpy(g).astype(np.float64)
    gn = gn / np.max(np.abs(gn))
    if not float(np.sum(gn * qn)) > 0:
        raise AssertionError(f"{name}: <G, fn(G)> = {float(np.sum(gn * qn))!r} <= 0 "
                             "(a zero or sign-flipped polar factor)")


def check_step_contract(opt, params: Mapping[str, Any], grads: Mapping[str, Any], *,
                        moves: bool = True) -> None:
    """Contract of one optimizer step ``opt.step(params, grads, opt.init(params))``.

    Inputs are never mutated; the returned parameters are finite and have the
    input shapes and dtypes; with ``moves`` (a nonzero gradient and a positive
    learning rate) every layer whose gradient is nonzero changes: a step that
    leaves the parameters where they were is a silent zero update.  The new
    state must not hold the caller's gradient arrays themselves (a caller that
    reuses its gradient buffer would change the optimizer's trajectory).
    """
    p_before, g_before = snapshot(params), snapshot(grads)
    state = opt.init(params)
    new_params, new_state = opt.step(params, grads, state)
    assert_unchanged(p_before, params, "params")
    assert_unchanged(g_before, grads, "grads")
    for k, w in new_params.items():
        if tuple(w.shape) != tuple(params[k].shape) or w.dtype != params[k].dtype:
            raise AssertionError(f"layer {k!r}: shape/dtype changed by the step")
        if not _finite(w):
            raise AssertionError(f"layer {k!r}: non-finite parameters after the step")
        if moves and np.any(g_before[k] != 0) and np.array_equal(to_numpy(w), p_before[k]):
            raise AssertionError(f"layer {k!r}: the step left the parameters unchanged "
                                 "(a silent zero update)")
    grad_ids = {id(g) for g in grads.values()}
    for leaf in _leaves(new_state):
        if id(leaf) in grad_ids:
            raise AssertionError("the optimizer state holds a caller's gradient array itself")


def _leaves(tree, depth: int = 0):
    if depth > 6:
        return
    if isinstance(tree, Mapping):
        for v in tree.values():
            yield from _leaves(v, depth + 1)
    elif isinstance(tree, (list, tuple)):
        for v in tree:
            yield from _leaves(v, depth + 1)
    elif hasattr(tree, "__dataclass_fields__"):
        for f in tree.__dataclass_fields__:
            yield from _leaves(getattr(tree, f), depth + 1)
    elif hasattr(tree, "shape"):
        yield tree
