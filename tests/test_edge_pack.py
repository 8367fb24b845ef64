"""Every norm and polar method runs the whole adversarial pack (gluon_ref.testing) on NumPy and
array-api-strict (and CuPy with a GPU).  The pack's own checks are tested against broken
implementations at the end, so a contract that cannot fail would be caught here."""

from __future__ import annotations

import numpy as np
import pytest

from gluon_ref import available_norms, get_norm
from gluon_ref.polar import available_schedules, get_schedule, polar_exact
from gluon_ref.testing import (CASE_NAMES, check_norm_contract, check_orthogonalizer_contract,
                               edge_cases)


def _dtypes(xp):
    return ["float64", "float32"] + (["float16"] if xp is np else [])


def _shape_for(norm):
    return {2: (6, 4), 1: (7,), 4: (3, 2, 2, 2)}[next(d for d in (2, 1, 4) if d in norm.ndims)]


def test_pack_has_every_documented_case():
    names = {c.name for c in edge_cases(np, np.float64, (6, 4))}
    assert names == set(CASE_NAMES)


@pytest.mark.parametrize("name", available_norms())
def test_every_norm_runs_the_pack(xp, name):
    norm = get_norm(name)
    for dtype in _dtypes(xp):
        for case in edge_cases(xp, getattr(xp, dtype), _shape_for(norm)):
            check_norm_contract(norm, case, radius=0.5)


def _methods():
    yield "exact", polar_exact
    for name in available_schedules():
        yield name, get_schedule(name)   # a Schedule is called on G


@pytest.mark.parametrize("method", [m for m, _ in _methods()])
def test_every_polar_method_runs_the_pack(xp, method):
    fn = dict(_methods())[method]
    for dtype in ("float64", "float32"):
        for case in edge_cases(xp, getattr(xp, dtype), (6, 4)):
            check_orthogonalizer_contract(fn, case)


# -- the pack's checks have teeth: each broken implementation below is caught ---------------

class _Broken:
    """Wrap a catalogue norm and break exactly one behaviour."""

    def __init__(self, norm, defect):
        self._n, self._defect, self.name, self.ndims = norm, defect, norm.name, norm.ndims

    def norm(self, x):
        return self._n.norm(x)

    def dual_norm(self, g):
        return self._n.dual_norm(g)

    def sharp(self, g):
        return self._n.sharp(g)

    def lmo(self, g, radius=1.0):
        if self._defect == "no_check" :
            return np.zeros_like(np.asarray(g)) if np.any(~np.isfinite(np.asarray(g))) else \
                self._n.lmo(g, radius)
        out = self._n.lmo(g, radius)
        if self._defect == "underflow_zero" and float(np.max(np.abs(g))) < 1e-200:
            return out * 0          # the old presets' Frobenius sum underflowing to a zero update
        if self._defect == "half_radius":
            return out / 2
        if self._defect == "mutates":
            g[...] = 0
        return out


@pytest.mark.parametrize("defect,case", [("no_check", "nan"), ("underflow_zero", "tiny"),
                                         ("half_radius", "rank1"), ("mutates", "read_only")])
def test_norm_contract_catches(defect, case):
    c = next(c for c in edge_cases(np, np.float64, (6, 4)) if c.name == case)
    if defect == "mutates":     # a writable input, so the mutation can happen
        c = type(c)(c.name, np.array(c.array), c.raises)
    with pytest.raises((AssertionError, ValueError)):
        check_norm_contract(_Broken(get_norm("spectral"), defect), c)


def _naive_ns(g):
    """Unguarded NS: no finite check, Frobenius scaling by a naive sum of squares."""
    x = g / np.sqrt(np.sum(g * g))
    for _ in range(5):
        a = x @ x.T
        x = 3.4445 * x - 4.7750 * a @ x + 2.0315 * a @ a @ x
    return x


@pytest.mark.parametrize("case", ["zero", "tiny", "huge", "nan"])
def test_orthogonalizer_contract_catches_a_naive_iteration(case):
    """The naive iteration returns NaN at zero and for NaN input, NaN/0 at extreme magnitudes."""
    c = next(c for c in edge_cases(np, np.float64, (6, 4)) if c.name == case)
    with np.errstate(all="ignore"), pytest.raises(AssertionError):
        check_orthogonalizer_contract(_naive_ns, c)


def test_orthogonalizer_contract_passes_the_naive_iteration_on_ordinary_input():
    """Control: on a rank-1 matrix of ordinary magnitude the naive iteration is right."""
    c = next(c for c in edge_cases(np, np.float64, (6, 4)) if c.name == "rank1")
    check_orthogonalizer_contract(_naive_ns, c)


# -- every optimizer preset runs the pack -----------------------------------------------------

from gluon_ref.optim import PRESETS, get_preset  # noqa: E402
from gluon_ref.testing import check_step_contract  # noqa: E402

#: step sizes large enough that one step is resolvable in float16 (relative change > 1e-3)
_KWARGS = {"lars": {"lr": 10.0}, "sophia": {"lr": 0.1}}
_ORDINARY = {"rank1", "rank_deficient", "ill_conditioned", "non_contiguous", "read_only"}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_runs_the_pack(name):
    """NumPy only: the presets' own array code is namespace-generic and covered on
    array-api-strict by the optimizer tests; the pack adds the float16 and extreme cases."""
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32, np.float16):
        for case in edge_cases(np, dtype, (6, 4)):
            if case.batch_only:
                continue
            p = {"w": (rng.standard_normal(case.array.shape) * 0.1).astype(dtype)}
            opt = get_preset(name, **_KWARGS.get(name, {"lr": 0.01}))
            g = {"w": case.array}
            if case.raises is not None:
                with pytest.raises(case.raises):
                    opt.step(p, g, opt.init(p))
                continue
            # huge gradients: every preset moves (LMO steps and Adam-type ratios are scale-free
            # there, SGD moves by lr * g) or raises OverflowError naming the overflow.  Tiny and
            # subnormal gradients may legitimately give steps below the parameters' resolution
            # (SGD, Adam's eps, Muon's eps clamp): only finiteness is required there.
            must_move = case.name in _ORDINARY or case.name == "huge"
            try:
                check_step_contract(opt, p, g, moves=must_move and not case.zero)
            except OverflowError as exc:   # a clear refusal is allowed only for huge gradients
                assert case.name == "huge", f"{name} {dtype.__name__} {case.name}: {exc}"
