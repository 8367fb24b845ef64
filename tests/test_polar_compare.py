"""Comparison harness, the ``gluon-ref polar`` command and the polar claims."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gluon_ref.backend import to_numpy
from gluon_ref.polar import Schedule, get_schedule, polar_errors
from gluon_ref.polar.matrices import MATRIX_FAMILIES, haar_orthonormal, test_matrix, with_spectrum
from proofs_check.polar_compare import (
    CompareConfig,
    cast_input,
    convergence_tol,
    measure,
    measure_svd,
    run_comparison,
    run_sweep,
)

from conftest import assert_close


def test_matrix_families_have_their_spectra():
    rng = np.random.default_rng(0)
    for fam in MATRIX_FAMILIES:
        g = test_matrix(fam, (24, 12), rng)
        assert g.shape == (24, 12) and g.dtype == np.float64
    s = np.linalg.svd(test_matrix("logspace1e6", (24, 12), 1), compute_uv=False)
    assert s[0] / s[-1] == pytest.approx(1e6, rel=1e-6)
    s = np.linalg.svd(test_matrix("rankdef", (24, 12), 1), compute_uv=False)
    assert np.sum(s > 24 * np.finfo(float).eps * s[0]) == 6
    with pytest.raises(ValueError, match="unknown matrix family"):
        test_matrix("cauchy", (4, 4), 0)
    with pytest.raises(ValueError, match="seed"):
        test_matrix("gaussian", (4, 4), None)
    with pytest.raises(ValueError, match="do not fit"):
        with_spectrum([1, 2, 3], (2, 5), 0)


def test_polar_errors_on_known_factors(xp):
    rng = np.random.default_rng(1)
    u, v = haar_orthonormal(9, 4, rng), haar_orthonormal(5, 4, rng)
    g = (u * np.array([3.0, 2.0, 1.0, 0.5])[None, :]) @ v.T        # rank 4 < 5
    d = np.array([1.1, 0.9, -0.2, 1.0])
    w = np.linalg.svd(u.T)[2][4:].T[:, 0]                 # a unit vector orthogonal to range(U)
    q = (u * d[None, :]) @ v.T + 0.01 * np.outer(w, v[:, 0])
    e = polar_errors(xp.asarray(q), xp.asarray(g))
    assert e.rank == 4 and e.sign_flips == 1
    assert_close(e.projections, d, xp=xp, rtol=0, atol=1e-12)
    assert e.spectral >= 1.2 - 1e-12          # the flipped direction: |(-0.2) - 1|
    assert e.leakage == pytest.approx(0.01, abs=1e-12)    # ||U_perp^T Q||_2
    assert e.vector_error == pytest.approx(0.0, abs=1e-12)
    # orthogonality on the range: max |d_i^2 - 1| plus the leak's contribution on v_1
    qv = q @ v
    assert e.orthogonality == pytest.approx(np.max(np.abs(np.linalg.eigvalsh(qv.T @ qv - np.eye(4)))),
                                            abs=1e-12)


def test_negative_control_reported_as_sign_flip():
    """Cubic NS, normalisation 'none', sigma_1 = 1.75 > sqrt 3: the harness flags it."""
    sigma = np.concatenate([[1.75], np.linspace(1.5, 0.3, 7)])
    g = with_spectrum(sigma, (16, 8), 3)
    row = measure(g, Schedule.constant((1.5, -0.5), 40, "cubic", normalization="none"), "float64",
                  repeats=1)
    assert row.status == "sign flip" and row.sign_flips == 1 and row.pred_sign_flips == 1
    assert row.err2 == pytest.approx(2.0, abs=1e-10)
    assert abs(row.err2 - row.pred_err2) <= 1e-12
    # control of the control: Frobenius normalisation converges on the same input
    ok = measure(g, get_schedule("cubic", 40), "float64", repeats=1)
    assert ok.status == "converged" and ok.err2 <= 1e-10


def test_divergence_reported():
    g = with_spectrum([3.0, 1.0], (4, 2), 0)
    with np.errstate(over="ignore", invalid="ignore"):
        row = measure(g, Schedule.constant((1.5, -0.5), 20, normalization="none"), "float64",
                      repeats=1)
    assert row.status == "diverged" and math.isnan(row.err2)


def test_measure_rows_agree_with_model_in_float64():
    g = test_matrix("logspace1e2", (32, 16), 0)
    for name in ("cubic", "pade", "muon", "you5", "you6", "polar_express"):
        row = measure(g, get_schedule(name), "float64", repeats=1)
        assert row.model_gap <= 1e-12
        assert row.out_min == pytest.approx(row.pred_out_min, abs=1e-12)
        assert row.out_max == pytest.approx(row.pred_out_max, abs=1e-12)
        assert row.interval_lo < row.interval_hi <= 1.0
    svd = measure_svd(g, "float64", repeats=1)
    assert svd.err2 <= 1e-13 and svd.status == "converged"


def test_cast_and_tolerances():
    g = np.random.default_rng(0).standard_normal((3, 3))
    b = cast_input(g, "bfloat16")
    assert b.dtype == np.float32 and np.all((b.view(np.uint32) & 0xFFFF) == 0)
    assert cast_input(g, "float16").dtype == np.float16
    assert convergence_tol("float64") == pytest.approx(math.sqrt(2.0**-52))
    with pytest.raises(ValueError, match="unknown dtype"):
        cast_input(g, "float8")


def test_small_comparison_and_sweep():
    cfg = CompareConfig(shape=(16, 8), families=("gaussian", "rankdef"), methods=("muon", "pade"),
                        steps=[3, 12], dtypes=("float64", "bfloat16"), repeats=1, sweep_steps=4,
                        sweep_families=("gaussian",))
    rows = run_comparison(cfg)
    assert len(rows) == 2 * 2 * (1 + 2 * 2)
    assert {r.method for r in rows} == {"svd", "muon", "pade"}
    pade12 = [r for r in rows if r.method == "pade" and r.steps == 12 and r.dtype == "float64"]
    assert all(r.status == "converged" for r in pade12)
    muon = [r for r in rows if r.method == "muon" and r.dtype == "float64" and r.steps == 12]
    assert all(r.status == "not converged" and r.err2 > 0.25 for r in muon)
    pts = run_sweep(cfg)
    assert len(pts) == 1 * 2 * 4
    assert all(abs(p.err2 - p.pred_err2) <= 1e-12 for p in pts)
    with pytest.raises(ValueError, match="unknown family"):
        run_comparison(CompareConfig(families=("nope",)))


def test_cli_polar_writes_json_and_pngs(tmp_path, capsys):
    from proofs_check.cli import main

    rc = main(["polar", "--shape", "12x6", "--families", "gaussian,logspace1e6",
               "--methods", "cubic,muon,polar_express", "--dtypes", "float64,float32",
               "--repeats", "1", "--sweep-steps", "3", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "|Q-UV|_2" in out and "polar_express" in out and "CPUs" in out
    data = json.loads((tmp_path / "polar.json").read_text())
    assert data["config"]["shape"] == [12, 6]
    assert len(data["rows"]) == 2 * 2 * 4
    assert {"err2", "pred_err2", "interval_lo", "time_s", "time_svd_s", "status"} <= set(data["rows"][0])
    for png in ("polar_error_vs_steps.png", "polar_polynomials.png"):
        path = tmp_path / png
        assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_rejects_bad_options(capsys):
    from proofs_check.cli import main

    for argv in (["polar", "--families", "cauchy"], ["polar", "--shape", "12by6"],
                 ["polar", "--methods", "nope"], ["polar", "--steps", "-1"]):
        with pytest.raises(SystemExit):
            main(argv)
    capsys.readouterr()


def test_polar_claims_quick_mode_all_pass():
    import time

    from proofs_check.claims import CheckContext, all_claims
    from proofs_check.claims.polar import CLAIMS
    from proofs_check.runner import run_claim

    assert len(CLAIMS) >= 6
    assert {c.id for c in CLAIMS} <= {c.id for c in all_claims()}
    t0 = time.perf_counter()
    results = [run_claim(c, CheckContext(seed=0, full=False)) for c in CLAIMS]
    assert time.perf_counter() - t0 < 10
    verdicts = {r.claim.id: r.verdict for r in results}
    assert verdicts["polar.control.cubic_sign_flip"] == "flagged"
    assert all(v in ("holds", "flagged") for v in verdicts.values()), verdicts
    for r in results:
        assert r.claim.source.startswith("docs/polar.md")
        if r.symbolic is not None:
            assert r.symbolic.ok, r.symbolic.detail


@pytest.mark.slow
def test_default_command_finishes_well_under_a_minute(tmp_path, capsys):
    """The default ``gluon-ref polar --out DIR`` (all families, methods and dtypes)."""
    import time

    from proofs_check.cli import main

    t0 = time.perf_counter()
    assert main(["polar", "--out", str(tmp_path)]) == 0
    assert time.perf_counter() - t0 < 60
    capsys.readouterr()
