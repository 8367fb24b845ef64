"""`gluon-ref bench` on tiny shapes: the report's numbers are consistent with each other and
with independent counts (the timings themselves are not asserted)."""

from __future__ import annotations

import json

import numpy as np

from gluon_ref.polar import get_schedule, newton_schulz_flops
from proofs_check.bench import BenchConfig, format_report, interleaved_best, run_bench
from proofs_check.cli import main


def test_interleaved_best_keeps_the_minimum_after_warmup():
    calls = {"a": 0}

    def a():
        calls["a"] += 1

    best = interleaved_best({"a": a}, 3, timer="wall")
    assert calls["a"] == 4 and 0 <= best["a"] < 1.0      # one warm-up round, three timed


def test_bench_rows_are_consistent(tmp_path, capsys):
    cfg = BenchConfig(shapes=[(16, 48), (24, 24)], methods=["muon"], stacks=[(3, 8, 8)],
                      repeats=1, verify_repeats=0)
    data = run_bench(cfg)
    rows = {(tuple(r["shape"]), r["method"], r["form"]): r for r in data["shapes"]}
    polys = get_schedule("muon").polynomials
    for gram in (False, True):
        r = rows[((16, 48), "muon", "gram" if gram else "standard")]
        assert r["flops"] == newton_schulz_flops((16, 48), polys, gram=gram)
        assert abs(r["ratio_floor"] * r["floor_s"] - r["time_s"]) <= 1e-12
        assert 0.25 <= r["err2_vs_svd"] <= 0.5          # Muon's band on a Gaussian matrix
        assert r["peak_mem_ratio"] >= 1.0                 # at least the output it returns
    assert ((24, 24), "muon", "gram") not in rows         # no Gram form for square shapes
    assert data["stacks"][0]["max_abs_diff"] == 0.0       # batched == loop, bitwise
    assert "process CPU time" in data["timing"]
    text = "\n".join(format_report(data))
    assert "Gram vs standard, 16x48 muon" in text and "GEMM rate" in text
    json.dumps(data)                                      # JSON-ready


def test_bench_command_writes_json(tmp_path):
    out = tmp_path / "b.json"
    assert main(["bench", "--shapes", "12x40", "--methods", "muon", "--repeats", "1",
                 "--no-verify", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["gemm_gflops"] > 0 and {r["form"] for r in data["shapes"]} >= {"gram", "standard"}
    assert np.isfinite([r["time_s"] for r in data["shapes"]]).all()


def test_bench_runs_the_device_code_path(xp):
    """The GPU path (a non-NumPy namespace: wall clock after sync, full-cost FLOP counts, no
    tracemalloc) runs on array-api-strict, on its second device too, without a GPU."""
    from proofs_check.bench import Backend

    be = Backend.named("numpy") if xp is np else Backend.of(xp)
    cfg = BenchConfig(backend=be, shapes=[(16, 40)], methods=["muon"], stacks=[(2, 8, 8)],
                      repeats=1, verify_repeats=0)
    data = run_bench(cfg)
    polys = get_schedule("muon").polynomials
    for r in data["shapes"][1:]:
        assert r["flops"] == newton_schulz_flops((16, 40), polys, gram=r["form"] == "gram",
                                                 symmetric=be.host)
        assert 0.25 <= r["err2_vs_svd"] <= 0.5
        assert (r["peak_mem_ratio"] is None) != be.host
    assert data["stacks"][0]["max_abs_diff"] == 0.0
    assert data["config"]["timer"] == ("cpu" if be.host else "wall")
    assert "\n".join(format_report(data))
