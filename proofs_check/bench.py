"""Speed and memory of the polar methods, measured side by side in one run (issue 14).

Everything that is compared is timed *interleaved* (one call of each contender
per round, ``repeats`` rounds after a warm-up round) and the best (minimum)
time of each is kept: load from other processes only ever adds time, and what
remains of it hits every contender of a round alike, so ratios are what this
benchmark reports.  Timer: process CPU time with BLAS pinned to one thread
(threadpoolctl), unless ``timer="wall"`` (wall clock, the BLAS's own threads).
The machine's own GEMM rate is measured in the same run with the same timer.

Measured on one backend (:class:`Backend`: NumPy by default, CuPy on a GPU, or
array-api-strict to exercise the GPU code path on the host), per shape, in
float32 (or the configured dtype):

* each method in the standard and (rectangular shapes) the Gram form: time,
  executed FLOPs (:func:`gluon_ref.polar.newton_schulz_flops`, symmetric
  products at half cost as NumPy runs them), the time of those FLOPs at the
  measured GEMM rate ("floor") and the ratio to it, the ratio to the exact SVD
  (``scipy.linalg.svd``, gesdd, float32, :func:`~proofs_check.polar_compare.baseline_polar`),
  the error ``||Q - U V^T||_2`` against that SVD factor (power iteration; the
  float32 SVD's own error, ~1e-5, is far below the methods'), and the peak
  memory of one call over its input (tracemalloc);
* stacks of same-shape matrices: a Python loop of calls against one batched
  call on the ``(k, m, n)`` stack;
* ``gluon-ref verify --quick`` serially against ``--jobs 2`` (wall clock,
  subprocesses).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from gluon_ref.backend import to_numpy
from gluon_ref.polar import get_schedule, newton_schulz_flops
from gluon_ref.polar.cost import prefers_gram

from .polar_compare import baseline_polar, single_thread_blas

__all__ = ["Backend", "BenchConfig", "run_bench", "format_report", "interleaved_best", "gemm_rate",
           "peak_memory_ratio"]

DEFAULT_SHAPES = ((1024, 1024), (2048, 2048), (1024, 4096), (4096, 1024))
FULL_SHAPES = DEFAULT_SHAPES + ((4096, 4096),)


def _noop() -> None:
    return None


@dataclass(frozen=True)
class Backend:
    """Where the benchmark runs: an array namespace, how to wait for it, how it counts FLOPs.

    ``symmetric``: the BLAS behind ``x @ x.T`` computes one triangle (NumPy's
    OpenBLAS/MKL ``syrk``), so symmetric products count half
    (:func:`gluon_ref.polar.newton_schulz_flops`); cuBLAS ``matmul`` does not.
    ``host``: NumPy arrays, so tracemalloc sees the allocations and CPU time is
    meaningful; otherwise the timer is the wall clock after ``sync()``.
    """

    name: str
    xp: object
    sync: Callable[[], None] = _noop
    symmetric: bool = True
    host: bool = True

    @classmethod
    def named(cls, name: str) -> "Backend":
        """``numpy``, ``cupy`` (the current GPU) or ``array_api_strict`` (the GPU code path,
        run on the host: for testing it without a GPU, not for timing)."""
        if name == "numpy":
            return cls("numpy", np)
        if name == "cupy":
            import cupy

            return cls("cupy", cupy, cupy.cuda.Device().synchronize, symmetric=False, host=False)
        if name == "array_api_strict":
            import array_api_strict

            return cls.of(array_api_strict)
        raise ValueError(f"unknown backend {name!r}; valid: numpy, cupy, array_api_strict")

    @classmethod
    def of(cls, xp) -> "Backend":
        """Any other Array-API namespace (timed by wall clock, no memory tracing)."""
        return cls(getattr(xp, "__name__", "xp"), xp, _noop, symmetric=False, host=False)


@dataclass
class BenchConfig:
    backend: Backend = field(default_factory=lambda: Backend.named("numpy"))
    dtype: str = "float32"
    shapes: Sequence[tuple[int, int]] = DEFAULT_SHAPES
    methods: Sequence[str] = ("muon", "polar_express")
    stacks: Sequence[tuple[int, int, int]] = ((72, 192, 192), (24, 192, 768))
    repeats: int = 3
    timer: str = "cpu"                   # "cpu": process time, BLAS 1 thread; "wall"
    verify_repeats: int = 1              # 0: skip the verify timing
    verify_jobs: int = 2
    seed: int = 0
    notes: dict = field(default_factory=dict)


def _clock(timer: str) -> Callable[[], float]:
    return time.process_time if timer == "cpu" else time.perf_counter


def interleaved_best(fns: dict[str, Callable[[], object]], repeats: int,
                     timer: str = "cpu", sync: Callable[[], None] = _noop) -> dict[str, float]:
    """Best time of each callable over ``repeats`` interleaved rounds after one warm-up round
    (``sync()`` before the clock stops: a GPU's queued work is part of the call)."""
    clock = _clock(timer)
    best = {k: float("inf") for k in fns}
    for rnd in range(repeats + 1):
        for k, fn in fns.items():
            sync()
            t0 = clock()
            fn()
            sync()
            t = clock() - t0
            if rnd:
                best[k] = min(best[k], t)
    return best


def gemm_rate(n: int = 1024, repeats: int = 3, timer: str = "cpu", dtype: str = "float32",
              backend: Backend | None = None) -> float:
    """FLOP/s of one ``n x n`` GEMM (``2 n^3`` FLOPs) on ``backend``, best of ``repeats``."""
    be = backend or Backend.named("numpy")
    rng = np.random.default_rng(0)
    a, b = (be.xp.asarray(rng.standard_normal((n, n)).astype(dtype)) for _ in range(2))
    t = interleaved_best({"gemm": lambda: a @ b}, repeats, timer, be.sync)["gemm"]
    return 2.0 * n**3 / t


def peak_memory_ratio(fn: Callable[[], object], nbytes: int) -> float:
    """Peak traced allocation of one ``fn()`` call over ``nbytes`` (NumPy reports to tracemalloc)."""
    fn()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak / nbytes


def _spectral_norm(d: np.ndarray, iters: int = 30) -> float:
    """``||d||_2`` by power iteration on ``d^T d`` (a lower estimate, converged to a few digits)."""
    d = d.astype(np.float64)
    v = np.random.default_rng(1).standard_normal(d.shape[1])
    for _ in range(iters):
        w = d.T @ (d @ v)
        nv = np.linalg.norm(w)
        if nv == 0:
            return 0.0
        v = w / nv
    return float(np.linalg.norm(d @ v))


def _input(cfg: BenchConfig, shape, salt):
    g = np.random.default_rng([cfg.seed, *salt]).standard_normal(shape).astype(cfg.dtype)
    return g, cfg.backend.xp.asarray(g)


def bench_shape(shape, cfg: BenchConfig, rate: float) -> list[dict]:
    """Rows for one shape: every method x form, and the SVD."""
    m, n = shape
    be = cfg.backend
    g_host, g = _input(cfg, shape, (m, n))
    fns: dict[str, Callable[[], object]] = {"svd": lambda: baseline_polar(g)}
    meta = {}
    for name in cfg.methods:
        sch = get_schedule(name)
        forms = [False, True] if m != n else [False]
        for gram in forms:
            key = f"{name}/{'gram' if gram else 'standard'}"
            fns[key] = (lambda s=sch, gr=gram: s(g, gram=gr))
            meta[key] = (sch, gram)
    times = interleaved_best(fns, cfg.repeats, cfg.timer, be.sync)
    ref = to_numpy(baseline_polar(g)).astype(np.float64)
    svd_name = "scipy gesdd" if be.host else f"{be.name} linalg.svd"
    rows = [{"shape": [m, n], "method": "svd", "form": svd_name, "time_s": times["svd"],
             "ratio_svd": 1.0}]
    for key, (sch, gram) in meta.items():
        flops = newton_schulz_flops(shape, sch.polynomials, gram=gram, symmetric=be.symmetric)
        q = to_numpy(sch(g, gram=gram)).astype(np.float64)
        peak = (peak_memory_ratio(lambda s=sch, gr=gram: s(g, gram=gr), g_host.nbytes)
                if be.host else None)
        rows.append({
            "shape": [m, n], "method": sch.name, "form": "gram" if gram else "standard",
            "auto_choice": bool(prefers_gram(shape, sch.polynomials)) == gram,
            "time_s": times[key], "flops": flops, "floor_s": flops / rate,
            "ratio_floor": times[key] * rate / flops, "ratio_svd": times[key] / times["svd"],
            "gflops": flops / times[key] / 1e9, "err2_vs_svd": _spectral_norm(q - ref),
            "peak_mem_ratio": peak,
        })
    return rows


def bench_stack(stack, cfg: BenchConfig) -> dict:
    """A loop of per-matrix calls against one batched call, on the same stack."""
    k, m, n = stack
    _, g = _input(cfg, stack, (k, m, n))
    sch = get_schedule(cfg.methods[0])
    times = interleaved_best({"loop": lambda: [sch(g[i, ...]) for i in range(k)],
                              "batched": lambda: sch(g)}, cfg.repeats, cfg.timer,
                             cfg.backend.sync)
    loop = np.stack([to_numpy(sch(g[i, ...])) for i in range(k)])
    same = float(np.max(np.abs(loop - to_numpy(sch(g)))))
    return {"stack": [k, m, n], "method": sch.name, "loop_s": times["loop"],
            "batched_s": times["batched"], "speedup": times["loop"] / times["batched"],
            "max_abs_diff": same}


def bench_verify(cfg: BenchConfig) -> dict:
    """Wall time of ``gluon-ref verify --quick`` serially and with ``--jobs N`` (interleaved)."""
    import tempfile

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    tmp = tempfile.mkdtemp(prefix="gluon-ref-bench-")

    def run(jobs):
        subprocess.run([sys.executable, "-m", "proofs_check", "verify", "--quick",
                        "--no-figures", "--jobs", str(jobs), "--out", os.path.join(tmp, str(jobs))],
                       check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    best = {1: float("inf"), cfg.verify_jobs: float("inf")}
    for _ in range(cfg.verify_repeats):
        for jobs in best:
            t0 = time.perf_counter()
            run(jobs)
            best[jobs] = min(best[jobs], time.perf_counter() - t0)
    reports = [open(os.path.join(tmp, str(j), "report.json"), "rb").read() for j in best]
    return {"serial_s": best[1], "jobs": cfg.verify_jobs, "parallel_s": best[cfg.verify_jobs],
            "speedup": best[1] / best[cfg.verify_jobs],
            "report_json_identical": reports[0] == reports[-1]}


def machine() -> dict:
    from threadpoolctl import threadpool_info

    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"platform": platform.platform(), "processor": platform.processor() or "unknown",
            "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__,
            "blas": [{k: i.get(k) for k in ("internal_api", "version", "num_threads",
                                             "threading_layer", "architecture")}
                     for i in threadpool_info()],
            "loadavg_start": load}


def run_bench(cfg: BenchConfig, progress: Callable[[str], None] | None = None) -> dict:
    """Every measurement of the module docstring; a JSON-ready dict."""
    say = progress or (lambda _msg: None)
    be = cfg.backend
    if not be.host and cfg.timer == "cpu":
        cfg.timer = "wall"                   # a device's work is not this process's CPU time
    data = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(),
            "config": {"backend": be.name, "dtype": cfg.dtype,
                       "shapes": [list(s) for s in cfg.shapes], "methods": list(cfg.methods),
                       "stacks": [list(s) for s in cfg.stacks], "repeats": cfg.repeats,
                       "timer": cfg.timer, "seed": cfg.seed,
                       "flops_symmetric_half": be.symmetric},
            "timing": ("process CPU time, BLAS pinned to one thread (threadpoolctl)"
                       if cfg.timer == "cpu" else "wall clock (after a device sync), "
                       "the library's own threads")
                      + f"; best of {cfg.repeats} interleaved rounds after a warm-up round",
            "notes": dict(cfg.notes)}
    if be.name == "cupy":
        import cupy

        data["machine"]["device"] = cupy.cuda.runtime.getDeviceProperties(
            cupy.cuda.Device().id)["name"].decode()
    pin = single_thread_blas() if cfg.timer == "cpu" else contextlib.nullcontext()
    with pin:
        data["gemm_gflops"] = gemm_rate(4096 if be.name == "cupy" else 1024, cfg.repeats, cfg.timer,
                                        cfg.dtype, be) / 1e9
        say(f"GEMM {cfg.dtype}: {data['gemm_gflops']:.1f} GFLOP/s")
        data["shapes"] = []
        for shape in cfg.shapes:
            data["shapes"] += bench_shape(tuple(shape), cfg, data["gemm_gflops"] * 1e9)
            say(f"shape {shape[0]}x{shape[1]} done")
        data["stacks"] = []
        for stack in cfg.stacks:
            data["stacks"].append(bench_stack(tuple(stack), cfg))
            say(f"stack {stack} done")
    if cfg.verify_repeats > 0:
        data["verify"] = bench_verify(cfg)
        say("verify timing done")
    try:
        data["machine"]["loadavg_end"] = os.getloadavg()
    except OSError:
        pass
    return data


def format_report(data: dict) -> list[str]:
    """The printed tables of :func:`run_bench`'s result."""
    lines = [f"{data['date']}; {data['machine']['platform']}, {data['machine']['cpu_count']} CPUs,"
             f" numpy {data['machine']['numpy']}; load average at start "
             f"{data['machine'].get('loadavg_start')}",
             f"timing: {data['timing']}",
             f"backend {data['config']['backend']}, {data['config']['dtype']}; GEMM rate (same "
             f"timer): {data['gemm_gflops']:.1f} GFLOP/s", ""]
    head = (f"{'shape':11s} {'method':14s} {'form':11s} {'auto':>4s} {'t ms':>9s} "
            f"{'t/floor':>7s} {'t/SVD':>6s} {'GFLOP/s':>8s} {'|Q-UV|_2':>9s} {'peak/in':>7s}")
    lines += [head, "-" * len(head)]
    for r in data["shapes"]:
        sh = f"{r['shape'][0]}x{r['shape'][1]}"
        if r["method"] == "svd":
            lines.append(f"{sh:11s} {'svd':14s} {r['form']:11s} {'':>4s} {r['time_s'] * 1e3:9.1f}")
            continue
        lines.append(f"{sh:11s} {r['method']:14s} {r['form']:11s} "
                     f"{'yes' if r['auto_choice'] else '':>4s} {r['time_s'] * 1e3:9.1f} "
                     f"{r['ratio_floor']:7.2f} {r['ratio_svd']:6.3f} {r['gflops']:8.1f} "
                     f"{r['err2_vs_svd']:9.2e} "
                     + ("      -" if r["peak_mem_ratio"] is None else f"{r['peak_mem_ratio']:7.2f}"))
    pairs = {}
    for r in data["shapes"]:
        if r["method"] != "svd":
            pairs.setdefault((tuple(r["shape"]), r["method"]), {})[r["form"]] = r
    lines.append("")
    for (shape, method), d in pairs.items():
        if "gram" in d:
            s, gr = d["standard"], d["gram"]
            lines.append(f"Gram vs standard, {shape[0]}x{shape[1]} {method}: "
                         f"{s['time_s'] / gr['time_s']:.2f}x faster, error {gr['err2_vs_svd']:.4e} "
                         f"vs {s['err2_vs_svd']:.4e}")
    for st in data["stacks"]:
        k, m, n = st["stack"]
        lines.append(f"stack {k} x {m}x{n} ({st['method']}): loop {st['loop_s'] * 1e3:.1f} ms, "
                     f"batched {st['batched_s'] * 1e3:.1f} ms, batched {st['speedup']:.2f}x faster "
                     f"(max |diff| {st['max_abs_diff']:.1e})")
    if "verify" in data:
        v = data["verify"]
        lines.append(f"verify --quick: serial {v['serial_s']:.1f} s, --jobs {v['jobs']} "
                     f"{v['parallel_s']:.1f} s: {v['speedup']:.2f}x (wall clock; report.json "
                     f"identical: {v['report_json_identical']})")
    return lines


def write_json(data: dict, path: str) -> None:
    from proofs_check.output import write_file_atomically

    write_file_atomically(path, json.dumps(data, indent=1) + "\n")
