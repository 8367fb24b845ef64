"""The authors' logs: the parser, the shipped copy, its packaging, and the refit.

The literal lines below are copied from the published files (repository
artem-riabinin/Experiments-estimating-smoothness-for-NanoGPT-and-CNN, commit
26769e3): the first and last measurement of every run.
"""

from __future__ import annotations

import fnmatch
import gzip
from pathlib import Path

import numpy as np
import pytest

from gluon_ref.smoothness import RUNS, fit_l0l1_exact, load_authors_logs, parse_log, refit
from gluon_ref.smoothness.authors import DATA_FILE, convert_authors_logs
from gluon_ref.smoothness.threads import single_threaded

ROOT = Path(__file__).resolve().parent.parent

#: run -> (first line, last line, number of measurement lines), from the original files
FACTS = {
    "nanogpt": ("step:50/5001 (0) L_estimated: 28.6259 norm_grad: 0.4423",
                "step:4950/5001 (72) L_estimated: 0.0494 norm_grad: 0.0366", 7227),
    "nanogpt_adam": ("step:50/5001 (0) L_estimated: 10.0098 norm_grad: 0.2884",
                     "step:5000/5001 (72) L_estimated: 0.9097 norm_grad: 0.1586", 7300),
    "nanogpt_l2": ("step:50/5001 (0) L_estimated: 0.5914 norm_grad: 0.1350",
                   "step:5000/5001 (72) L_estimated: 0.0313 norm_grad: 0.2057", 7300),
    "cnn": ("step:0.08 (0) L_estimated: 265.8503 norm_grad: 101.3874",
            "step:7.96 (13) L_estimated: 0.0181 norm_grad: 0.4858", 1344),
    "cnn_full_batch": ("step:1 (0) L_estimated: 4237.2480 norm_grad: 8.9521",
                       "step:79 (13) L_estimated: 0.0041 norm_grad: 0.1015", 1106),
}


@pytest.fixture(scope="module")
def data():
    return load_authors_logs()


def test_parser_reads_measurements_and_skips_the_rest():
    text = "\n".join([
        "step:0/5001 val_loss:16.0102 train_time:292ms step_avg:nanms",
        "step:50/5001 (3) L_estimated: 1.5 norm_grad: 0.25",
        "|      0  |     0.6565  |   0.3281  |               |       15.4134  |",
        "step:0.16 (13) L_estimated: 0.0581 norm_grad: 1.6243",
        "",
    ])
    m = parse_log(text)
    assert m.step.tolist() == [50.0, 0.16]
    assert m.index.tolist() == [3, 13]
    assert m.lhat.tolist() == [1.5, 0.0581] and m.gnorm.tolist() == [0.25, 1.6243]


def test_parser_rejects_a_malformed_measurement_line():
    with pytest.raises(ValueError, match="line 2"):
        parse_log(["step:1 (0) L_estimated: 1.0 norm_grad: 2.0",
                   "step:2 (x) L_estimated: 1.0 norm_grad: 2.0"])
    with pytest.raises(ValueError, match="non-finite"):
        parse_log(["step:1 (0) L_estimated: nan norm_grad: 2.0"])
    with pytest.raises(ValueError, match="no measurement"):
        parse_log(["nothing here"])


@pytest.mark.parametrize("run", sorted(FACTS))
def test_shipped_data_matches_the_published_files(data, run):
    first, last, count = FACTS[run]
    m = data[run]
    assert len(m) == count
    f, l_ = parse_log([first]), parse_log([last])
    assert (m.step[0], m.index[0], m.lhat[0], m.gnorm[0]) == (f.step[0], f.index[0], f.lhat[0], f.gnorm[0])
    assert (m.step[-1], m.index[-1], m.lhat[-1], m.gnorm[-1]) == (
        l_.step[0], l_.index[0], l_.lhat[0], l_.gnorm[0])
    assert m.indices == sorted(RUNS[run].layers)
    per_layer = {i: int((m.index == i).sum()) for i in m.indices}
    assert len(set(per_layer.values())) == 1   # every layer measured at every logged step


def test_nanogpt_pairs_are_every_50_steps(data):
    steps = sorted(set(data["nanogpt"].step.tolist()))
    assert steps == [50.0 * j for j in range(1, 100)]
    assert sorted(set(data["nanogpt_adam"].step.tolist())) == [50.0 * j for j in range(1, 101)]


def test_conversion_is_reproducible(tmp_path):
    """Re-converting the original logs (when this machine has them) gives the shipped bytes."""
    src = Path("/work/shared/data/gluon_authors_logs")
    if not src.exists():
        pytest.skip("the original logs are not on this machine")
    counts = convert_authors_logs(src, tmp_path / "m.csv.gz")
    assert counts == {k: v[2] for k, v in FACTS.items()}
    shipped = (ROOT / "gluon_ref" / DATA_FILE).read_bytes()
    assert gzip.decompress((tmp_path / "m.csv.gz").read_bytes()) == gzip.decompress(shipped)


def test_pyproject_ships_the_data_and_its_provenance():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = cfg["tool"]["setuptools"]["package-data"]["gluon_ref"]
    for rel in (DATA_FILE, "data/gluon_authors_logs/PROVENANCE.md"):
        assert (ROOT / "gluon_ref" / rel).exists()
        assert any(fnmatch.fnmatch(rel, g) for g in globs), (rel, globs)
    text = (ROOT / "gluon_ref" / "data/gluon_authors_logs/PROVENANCE.md").read_text()
    assert "26769e3" in text and "artem-riabinin/Experiments-estimating-smoothness" in text


def test_refit_agrees_with_the_exact_solver(data):
    """Every CNN layer (n <= 96): the L-BFGS-B refit reaches the exact minimum."""
    with single_threaded():
        for run in ("cnn", "cnn_full_batch"):
            fits = refit(data, runs=(run,))[run]
            for idx, r in fits.items():
                _, y, g = data[run].layer(idx)
                e = fit_l0l1_exact(y, g)
                assert r.fit.objective <= e.objective * (1 + 1e-9) + 1e-12 * np.sum(y * y), (run, idx)


def test_refit_noise_factor_is_lhat_t_over_G(data):
    r = refit(data, runs=("nanogpt",))["nanogpt"][72]
    _, y, g = data["nanogpt"].layer(72)
    assert r.radius == pytest.approx(3.6e-4 * 3000)
    assert r.noise_factor == pytest.approx(float(np.median(y * 1.08 / g)), rel=1e-12)
    assert np.isnan(refit(data, runs=("nanogpt_adam",))["nanogpt_adam"][0].noise_factor)


def test_unknown_run():
    with pytest.raises(ValueError, match="unknown run"):
        refit(runs=("gpt5",))
