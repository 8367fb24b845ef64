"""Long runs on any concurrent.futures.Executor: local processes and a real Dask cluster
(issue 14).  The serial run is the reference: a parallel run must write the same JSON, byte
for byte."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from proofs_check.claims import CheckContext, Claim, Instance
from proofs_check.cli import main
from proofs_check.executors import map_ordered, open_executor
from proofs_check.report import to_json
from proofs_check.runner import run_claims, select
from proofs_check.claims import all_claims

#: cheap claims from every area, so the pool sees work units of uneven cost
ONLY = "*lmo.*"


def _json(results):
    return json.dumps(to_json(results, seed=0, mode="quick"), indent=1, sort_keys=True)


def _slow_first(ctx):
    """A module-level check (picklable by reference) whose cost depends on the seed."""
    import time

    time.sleep(0.2)
    return [Instance("slow", float(ctx.rng("x").standard_normal()), 10.0)]


def test_map_ordered_keeps_submission_order_under_uneven_cost():
    import time

    def work(x):
        time.sleep(0.05 * (3 - x))    # the first item finishes last
        return x * x

    seen = []
    with ThreadPoolExecutor(3) as pool:
        out = map_ordered(work, [0, 1, 2], pool, lambda i, r: seen.append(i))
    assert out == [0, 1, 4]
    assert sorted(seen) == [0, 1, 2] and seen != [0, 1, 2]   # completion order differed


def test_process_pool_gives_the_serial_json():
    claims = select(all_claims(), ONLY)
    user = Claim(id="user.slow", statement="s", latex="x", source="test", status="elementary",
                 numeric=_slow_first)
    claims = [user] + claims                # a user claim travels pickled, the rest by id
    serial = _json(run_claims(claims, CheckContext(seed=3)))
    with ProcessPoolExecutor(2) as pool:
        parallel = _json(run_claims(claims, CheckContext(seed=3), executor=pool))
    assert parallel == serial


def test_verify_jobs_writes_identical_report(tmp_path):
    args = ["verify", "--only", "*polar.*", "--no-figures", "--seed", "1"]
    assert main(args + ["--out", str(tmp_path / "serial")]) == 0
    assert main(args + ["--jobs", "2", "--out", str(tmp_path / "jobs")]) == 0
    a = (tmp_path / "serial" / "report.json").read_bytes()
    assert a == (tmp_path / "jobs" / "report.json").read_bytes()
    assert ((tmp_path / "serial" / "report.md").read_bytes()
            == (tmp_path / "jobs" / "report.md").read_bytes())


def test_blas_threads_do_not_leak_into_the_report(tmp_path):
    """A serial run with a multi-threaded BLAS once differed from --jobs 2 (one-thread workers)
    in the last bit of this claim's measurement; every mode now pins BLAS to one thread."""
    args = ["verify", "--only", "presets.moonlight_rms", "--no-figures"]
    assert main(args + ["--out", str(tmp_path / "serial")]) == 0
    assert main(args + ["--jobs", "2", "--out", str(tmp_path / "jobs")]) == 0
    assert ((tmp_path / "serial" / "report.json").read_bytes()
            == (tmp_path / "jobs" / "report.json").read_bytes())


def test_jobs_must_be_positive(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--jobs", "0"])
    assert exc.value.code == 2 and "positive integer" in capsys.readouterr().err


def test_verify_on_a_dask_cluster_writes_identical_report(tmp_path):
    distributed = pytest.importorskip("distributed")
    from threadpoolctl import threadpool_limits

    args = ["verify", "--only", "*polar.*", "--no-figures", "--seed", "2"]
    assert main(args + ["--out", str(tmp_path / "serial")]) == 0
    # in-process (threaded) workers share this process's BLAS limits: hold them at one thread
    # so one worker leaving its pinned block cannot unpin the other (process workers, the
    # default of a real cluster, each have their own)
    with threadpool_limits(1), distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False,
            dashboard_address=None) as cluster:
        assert main(args + ["--dask-scheduler", cluster.scheduler_address,
                            "--out", str(tmp_path / "dask")]) == 0
    assert ((tmp_path / "serial" / "report.json").read_bytes()
            == (tmp_path / "dask" / "report.json").read_bytes())


def test_unreachable_dask_scheduler_is_a_clear_error(capsys):
    pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(["verify", "--only", "*polar.*", "--no-figures",
                     "--dask-scheduler", "tcp://127.0.0.1:9"])
    assert code == 2 and "gluon-ref verify" in capsys.readouterr().err


def test_open_executor_serial_is_none():
    with open_executor(1) as ex:
        assert ex is None


def test_polar_command_jobs_equals_serial_except_times(tmp_path, capsys):
    """`gluon-ref polar --jobs 2`: every value but the CPU times equals the serial run's."""
    args = ["polar", "--families", "gaussian,logspace1e2", "--dtypes", "float32,float64",
            "--methods", "muon,polar_express", "--sweep-steps", "3", "--repeats", "1",
            "--no-plots"]
    assert main(args + ["--out", str(tmp_path / "s")]) == 0
    assert "process CPU time with BLAS pinned to one thread" in capsys.readouterr().out
    assert main(args + ["--jobs", "2", "--out", str(tmp_path / "j")]) == 0
    a, b = (json.loads((tmp_path / d / "polar.json").read_text()) for d in ("s", "j"))

    def untimed(rows):
        return [{k: v for k, v in r.items() if not k.startswith("time")} for r in rows]

    assert untimed(a["rows"]) == untimed(b["rows"]) and a["sweep"] == b["sweep"]
    assert len(a["rows"]) == 2 * 2 * 3


def test_baseline_svd_is_the_exact_polar_factor():
    import numpy as np

    from gluon_ref.polar import polar_exact
    from proofs_check.polar_compare import baseline_polar

    g = np.random.default_rng(0).standard_normal((40, 16)).astype(np.float32)
    g[:, -1] = g[:, 0]                                   # rank 15: the same rank cut applies
    q, ref = baseline_polar(g), polar_exact(g)
    assert q.dtype == np.float32
    assert np.linalg.norm(q.astype(np.float64) - ref, 2) <= 64 * 40 * 2.0**-24
    assert np.linalg.matrix_rank(q.astype(np.float64), tol=1e-3) == 15


def test_smoothness_command_jobs_writes_identical_json(tmp_path):
    """`gluon-ref smoothness --jobs 2`: the parts run as separate work units, same JSON."""
    args = ["smoothness", "--only", "authors,synthetic", "--no-figures"]
    assert main(args + ["--out", str(tmp_path / "serial")]) == 0
    assert main(args + ["--jobs", "2", "--out", str(tmp_path / "jobs")]) == 0
    a = (tmp_path / "serial" / "smoothness.json").read_bytes()
    assert a == (tmp_path / "jobs" / "smoothness.json").read_bytes()
    assert b'"authors"' in a and b'"synthetic"' in a
