"""The catalogue of shipped presets and the non-Newton–Schulz oracles (AOL, Dion, Gram NS).

Expected values come from the published lists (proofs_check.claims.polar keeps the numbers
checked against public copies), closed-form facts, the exact SVD polar factor and the
scalar model; never from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gluon_ref.backend import to_numpy
from gluon_ref.polar import MUON_QUINTIC, get_schedule, newton_schulz, polar_errors, polar_exact
from gluon_ref.polar.catalogue import (
    AOL_EARLY,
    MatrixTest,
    available_presets,
    certify_preset,
    get_preset,
    presets,
)
from gluon_ref.polar.certify import Certificate
from gluon_ref.polar.matrices import test_matrix, with_spectrum
from gluon_ref.polar.oracles import (
    aol_newton_schulz,
    aol_scale,
    dion_power_iteration,
    gram_newton_schulz_restarted,
)
from gluon_ref.polar.scalar_model import compose
from gluon_ref.polar.schedules import KJ_COMPARISON_QUINTIC, YOU_5STEP, YOU_6STEP
from proofs_check.claims.polar import PUBLISHED_NANOGPT, PUBLISHED_PAPER_RAW

from conftest import assert_close


def test_every_preset_has_a_source_with_a_revision():
    assert len(available_presets()) == len(set(available_presets())) >= 20
    for p in presets().values():
        assert p.sources, p.key
        for s in p.sources:
            assert s.repository and s.path and s.revision and s.verified, (p.key, s)
            # a commit hash (40 hex digits) or a package version
            assert (len(s.revision) == 40 and int(s.revision, 16) >= 0) or \
                s.repository.startswith("pypi:"), (p.key, s.revision)
    with pytest.raises(ValueError, match="valid: torch_muon"):
        get_preset("nope")


def test_shipped_lists_equal_the_published_numbers():
    got = get_preset("modded_nanogpt").polynomials
    for a, b in zip(got, PUBLISHED_NANOGPT, strict=True):
        # docs/polar.md 8.5: early triples reproduce to ~1e-12 relative
        assert_close(np.array(a), np.array(b), rtol=1e-12)
    gram = get_preset("gram_newton_schulz").polynomials
    for (a, b, c), raw in zip(gram, PUBLISHED_PAPER_RAW[:5], strict=True):
        assert_close(np.array((a * 1.05, b * 1.05**3, c * 1.05**5)), np.array(raw), rtol=1e-12)
    # NVIDIA's list: the paper's raw list divided by 1.01^(1,3,5) (not the last), 4 digits
    nv = get_preset("nvidia_polar_express").polynomials
    for t, (shipped, raw) in enumerate(zip(nv, PUBLISHED_PAPER_RAW, strict=True)):
        scale = (1.0, 1.0, 1.0) if t == 7 else (1.01, 1.01**3, 1.01**5)
        want = np.array(raw) / np.array(scale)
        assert np.max(np.abs(np.array(shipped) - want)) <= 1.0e-4 + 1e-12, t
    assert get_preset("you5").polynomials == YOU_5STEP
    assert get_preset("you6").polynomials == YOU_6STEP


def test_tail_rules():
    aol = get_preset("nvidia_aol")
    assert aol.polynomials_for(5) == AOL_EARLY + AOL_EARLY[:1]  # NVIDIA/Marin cycle
    ds = get_preset("nvidia_deepseekv4").polynomials_for()
    assert ds == (MUON_QUINTIC,) * 8 + (KJ_COMPARISON_QUINTIC,) * 2
    pe = get_preset("polar_express_paper")
    assert pe.polynomials_for(10)[8:] == (pe.polynomials[-1],) * 2
    with pytest.raises(ValueError, match="fixed 5-step"):
        get_preset("nvidia_cubic5").polynomials_for(6)
    with pytest.raises(ValueError, match="not a singular-value transform"):
        get_preset("turbo_muon").schedule()


def test_sign_flip_presets_flip_on_matrices_where_the_certificate_says():
    """Scalar-model flip set vs a float64 matrix run (independent computations)."""
    rng = np.random.default_rng(0)
    # 4 steps: only sigma/||G||_F > 0.8837 flips; a rank-1 gradient sits at 1
    c4 = certify_preset("nvidia_aol_4")
    assert isinstance(c4, Certificate) and c4.kind == "sign flip"
    g1 = np.outer(rng.standard_normal(30), rng.standard_normal(20))
    o1 = get_preset("nvidia_aol_4").schedule()(g1)
    assert np.sum(g1 * o1) < 0
    # the same gradient is fine for the Gaussian bulk (normalised sigma < 0.3)
    gg = rng.standard_normal((30, 20))
    assert np.sum(gg * get_preset("nvidia_aol_4").schedule()(gg)) > 0
    # 5 steps cycle back to the first triple: the flip set covers (0.0103, 0.875)
    c5 = certify_preset("nvidia_aol")
    lo, hi = c5.flip_set[0]
    assert lo < 0.011 and hi > 0.87
    x = np.linalg.svd(gg, compute_uv=False) / np.linalg.norm(gg)
    assert np.all((x > lo) & (x < hi))
    o = get_preset("nvidia_aol").schedule()(gg)
    e = polar_errors(o, gg)
    assert np.all(np.asarray(e.projections) < 0)  # every direction flipped
    assert np.sum(gg * o) < 0


def test_certificates_of_the_shipped_defaults():
    kinds = {k: certify_preset(k).kind for k in available_presets()}
    assert kinds["polar_express_paper"] == "certified"
    assert kinds["nvidia_deepseekv4"] == "certified"
    assert {k for k, v in kinds.items() if v == "sign flip"} == {"nvidia_aol", "nvidia_aol_4",
                                                                 "marin_aol"}
    assert {k for k, v in kinds.items() if v == "matrix test"} == {
        "turbo_muon", "turbo_muon_early", "dion_power_iteration"}
    jordan = certify_preset("torch_muon")
    assert jordan.band == pytest.approx((0.4705, 1.2024), abs=1e-4)


@given(st.integers(2, 12), st.integers(0, 10), st.integers(0, 2**31 - 1))
def test_aol_scaling_has_spectral_norm_at_most_one(p, extra, seed):
    # AOL (arXiv 2208.03160, Theorem 1): ||diag(d) X||_2 <= 1
    x = np.random.default_rng(seed).standard_normal((p, p + extra)) * 10.0 ** (seed % 7 - 3)
    assert np.linalg.norm(np.asarray(aol_scale(x)), 2) <= 1 + 1e-12


def test_aol_is_not_a_singular_value_map():
    """Turbo-Muon converges to polar(D G), not polar(G): a floor more steps cannot remove."""
    rng = np.random.default_rng(1)
    g = with_spectrum(np.logspace(0, -3, 32), (96, 32), rng)
    x = g.T  # wide orientation, as the iteration sees it
    d_g = np.asarray(aol_scale(x)).T
    floor = np.linalg.norm(polar_exact(d_g) - polar_exact(g), 2)
    assert floor > 0.05
    long = get_schedule("polar_express", 12).polynomials
    o = aol_newton_schulz(g, long)
    assert np.linalg.norm(o - polar_exact(d_g), 2) < 1e-8
    assert np.linalg.norm(o - polar_exact(g), 2) == pytest.approx(floor, rel=1e-6)
    mt = certify_preset("turbo_muon")
    assert isinstance(mt, MatrixTest) and mt.min_alignment > 0


def test_dion_fixed_point_is_the_truncated_polar_factor(xp):
    rng = np.random.default_rng(2)
    # a gap after the 4th singular value: subspace iteration converges like (0.3/0.7)^k
    g = with_spectrum(np.concatenate([[1.0, 0.9, 0.8, 0.7], np.linspace(0.3, 0.1, 12)]),
                      (40, 16), rng)
    u, s, vt = np.linalg.svd(g, full_matrices=False)
    for r in (4, 16):
        # eps = 0: Dion's column-norm eps (1e-8) would shift Q by eps/sigma_r
        o = to_numpy(dion_power_iteration(xp.asarray(g), r, 200, rng=3, eps=0.0))
        assert np.linalg.norm(o - u[:, :r] @ vt[:r], 2) < 1e-8
    # one iteration from a random start leaves the spectral ball
    o1 = dion_power_iteration(rng.standard_normal((64, 32)), None, 1, rng=4)
    assert np.linalg.norm(o1, 2) > 1.2
    with pytest.raises(ValueError, match="rank must be"):
        dion_power_iteration(g, 17, rng=0)
    with pytest.raises(ValueError, match="no hidden randomness"):
        dion_power_iteration(g)


@pytest.mark.parametrize("name,steps,restarts", [("polar_express", 8, (2,)), ("muon", 5, ()),
                                                 ("you5", 5, (2, 4)), ("cubic", 12, (3,)),
                                                 ("pade7", 6, (2,))])
def test_gram_newton_schulz_equals_the_plain_iteration_and_the_scalar_model(xp, name, steps,
                                                                            restarts):
    # wrong: W = R Z without the + c_0 R term, or Q <- Q Z, breaks the identity R <- P R P
    rng = np.random.default_rng(5)
    sigma = np.logspace(0, -2, 12)
    for shape in ((12, 50), (50, 12)):
        g = with_spectrum(sigma, shape, rng)
        sch = get_schedule(name, steps)
        plain = to_numpy(sch(xp.asarray(g)))
        gram = to_numpy(gram_newton_schulz_restarted(xp.asarray(g), sch.polynomials,
                                                     restarts=restarts, eps=sch.eps,
                                                     safety=sch.safety))
        assert np.max(np.abs(gram - plain)) <= 1e-11
        e = polar_errors(gram, g)
        s = sch.safety * np.linalg.norm(g) + sch.eps
        phi = compose(sch.polynomials, np.asarray(e.sigma) / s)
        assert np.max(np.abs(np.asarray(e.projections) - phi)) <= 1e-11


def test_gram_newton_schulz_low_precision_stays_close_to_plain():
    rng = np.random.default_rng(6)
    g = test_matrix("gaussian", (32, 128), rng).astype(np.float32)
    sch = get_preset("gram_newton_schulz").schedule()
    exact = polar_exact(g.astype(np.float64))
    plain = np.linalg.norm(sch(g, emulate="float16-fused").astype(np.float64) - exact, 2)
    gram = gram_newton_schulz_restarted(g, sch.polynomials, emulate="float16-fused")
    err = np.linalg.norm(gram.astype(np.float64) - exact, 2)
    # same polynomial: same exact-arithmetic error plus float16 noise of a few 1e-3
    assert abs(err - plain) <= 0.05


def _edge_pack_failures(fn, batched):
    from gluon_ref.testing import check_orthogonalizer_contract, edge_cases

    failed = set()
    for dtype in (np.float64, np.float32):
        for case in edge_cases(np, dtype, (6, 4)):
            try:
                check_orthogonalizer_contract(fn, case, batched=batched)
            except AssertionError:
                failed.add(case.name)
    return failed


def test_oracles_run_the_edge_pack():
    pe = get_schedule("polar_express", 8).polynomials
    for name, fn in (("aol", lambda g: aol_newton_schulz(g, pe)),
                     ("dion", lambda g: dion_power_iteration(g, None, 3, rng=0)),
                     ("gram", lambda g: gram_newton_schulz_restarted(g, pe))):
        assert _edge_pack_failures(fn, batched=False) == set(), name


def test_edge_pack_independently_flags_exactly_the_sign_flip_presets():
    """gluon_ref.testing's contract (<G, fn(G)> > 0) against the certificates' verdicts."""
    for key in available_presets():
        preset = get_preset(key)
        if not preset.singular_value_map:
            continue
        failed = _edge_pack_failures(preset.schedule(), batched=True)
        flips = certify_preset(key).kind == "sign flip"
        assert bool(failed) == flips, (key, failed)
    assert "rank1" in _edge_pack_failures(get_preset("nvidia_aol_4").schedule(), True)
