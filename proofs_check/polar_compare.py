"""Comparison harness: Newton–Schulz-type methods against the exact SVD (docs/polar.md sections 2, 10).

For each matrix family x method x steps x dtype it measures (in float64,
against ``U_r V_r^T`` of the input *as cast to that dtype*, so input rounding
is not counted as method error):

* ``||Q - U V^T||_2``, ``||Q - U V^T||_F / sqrt(r)``, ``||Q^T Q - I||_2`` on
  the range, the extreme output singular values on the range, the leakage
  onto the null spaces and the number of sign-flipped directions;
* beside each, the scalar model's prediction from the input's singular values
  and the scale ``s`` the run actually used (docs/polar.md section 2);
* the effective input interval ``[sigma_min/s, sigma_max/s]`` (section 2);
* the best-of-``repeats`` wall time (after one warm-up call) of the method and
  of the exact SVD polar factor on the same input and dtype (``polar_exact``;
  float16 factorises in float32).

``status`` is ``"diverged"`` (non-finite iterates), ``"sign flip"`` (some
``u_i^T Q v_i < 0``: the run converges to the polar factor of a different
matrix, docs/polar.md section 5.1; in float16/bfloat16 this also happens when
rounding noise in directions with tiny ``sigma_i/s`` is amplified by the
slope at zero and lands with the wrong sign), ``"converged"``
(``||Q - UV^T||_2 <= sqrt(eps)`` of the dtype; bfloat16: ``2^-4``) or
``"not converged"``.  ``leakage`` is ``Q``'s norm on the null spaces (the
exact SVD rows of float16/bfloat16 run the float32 SVD on the rounded input:
no half-precision SVD exists).

NumPy only (a reporting edge, DESIGN.md): the methods run on NumPy arrays.
"""

from __future__ import annotations

import math
import platform
import time
from dataclasses import asdict, dataclass, replace
from typing import Sequence

import numpy as np

from gluon_ref.polar import get_schedule, polar_exact
from gluon_ref.polar.lowprec import round_to_bfloat16
from gluon_ref.polar.matrices import MATRIX_FAMILIES, test_matrix
from gluon_ref.polar.metrics import polar_errors, polar_reference
from gluon_ref.polar.schedules import Schedule

__all__ = [
    "DTYPES",
    "DEFAULT_METHODS",
    "CompareConfig",
    "CompareRow",
    "SweepPoint",
    "cast_input",
    "convergence_tol",
    "measure",
    "measure_svd",
    "run_comparison",
    "run_sweep",
    "machine_description",
    "rows_as_dicts",
    "sweep_as_dicts",
    "reference_for",
    "dtype_eps",
]

#: dtypes of the comparison; "bfloat16" is emulated (float32 storage, docs/polar.md section 10)
DTYPES = ("float64", "float32", "float16", "bfloat16")
DEFAULT_METHODS = ("cubic", "pade", "muon", "you5", "you6", "polar_express")


def convergence_tol(dtype: str) -> float:
    """``sqrt(eps)`` of the dtype (float64 1.5e-8, float32 3.5e-4, float16 3.1e-2; bfloat16 2^-4)."""
    if dtype == "bfloat16":
        return 2.0 ** -4
    return math.sqrt(float(np.finfo(np.dtype(dtype)).eps))


def dtype_eps(dtype: str) -> float:
    """Machine epsilon of a comparison dtype (bfloat16: 2^-7)."""
    return 2.0 ** -7 if dtype == "bfloat16" else float(np.finfo(np.dtype(dtype)).eps)


def reference_for(x: np.ndarray, dtype: str):
    """Float64 SVD reference of the cast input, rank cut as ``polar_exact`` cuts it.

    The cut is ``max(m, n) eps sigma_max`` with ``eps`` of the dtype the exact
    SVD works in: float64 or float32, and float32 for float16 and bfloat16
    inputs (no half-precision SVD exists).  Rounding a rank-deficient matrix
    to float16 or bfloat16 adds singular values near ``eps_dtype sigma_max``,
    above that cut: at those precisions the cast input is full rank.
    """
    work = "float64" if dtype == "float64" else "float32"
    return polar_reference(x.astype(np.float64), rank_eps=dtype_eps(work))


def cast_input(g: np.ndarray, dtype: str) -> np.ndarray:
    """``g`` in the storage dtype of a run (bfloat16: float32 holding bf16-rounded values)."""
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; valid: {', '.join(DTYPES)}")
    if dtype == "bfloat16":
        return np.asarray(round_to_bfloat16(g.astype(np.float32)))
    return g.astype(dtype)


@dataclass
class CompareRow:
    """One measurement (see the module docstring); ``pred_*`` are scalar-model values."""

    family: str
    shape: tuple[int, int]
    method: str
    steps: int
    dtype: str
    normalization: str
    rank: int
    interval_lo: float
    interval_hi: float
    err2: float
    pred_err2: float
    errF_rms: float
    pred_errF_rms: float
    orth: float
    pred_orth: float
    out_min: float
    pred_out_min: float
    out_max: float
    pred_out_max: float
    leakage: float
    sign_flips: int
    pred_sign_flips: int
    model_gap: float
    time_s: float
    time_svd_s: float
    status: str
    note: str = ""

    @property
    def time_ratio(self) -> float:
        return self.time_s / self.time_svd_s if self.time_svd_s > 0 else math.nan


def _timed(fn, repeats: int):
    """Run ``fn`` once to warm up, then ``repeats`` times; keep the best (minimum) time.

    The minimum is the usual estimator on a shared machine: load from other
    processes only ever adds time.
    """
    out, times = fn(), []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, min(times)


def _status(err2, sign_flips, dtype):
    if not math.isfinite(err2):
        return "diverged"
    if sign_flips > 0:
        return "sign flip"
    return "converged" if err2 <= convergence_tol(dtype) else "not converged"


def measure_svd(g: np.ndarray, dtype: str, *, family: str = "custom", repeats: int = 3,
                reference=None) -> CompareRow:
    """The exact SVD polar factor as a row of the table (its own time is both times)."""
    x = cast_input(g, dtype)
    ref = reference or reference_for(x, dtype)
    q, t = _timed(lambda: polar_exact(x), repeats)
    e = polar_errors(q, reference=ref)
    nan = math.nan
    return CompareRow(family, tuple(g.shape), "svd", 0, dtype, "-", ref.rank, nan, nan,
                      e.spectral, 0.0, e.frobenius_rms, 0.0, e.orthogonality, 0.0, e.out_min,
                      1.0, e.out_max, 1.0, e.leakage, e.sign_flips, 0, nan, t, t,
                      _status(e.spectral, e.sign_flips, dtype))


def measure(g: np.ndarray, schedule: Schedule, dtype: str, *, family: str = "custom",
            method: str | None = None, repeats: int = 3, reference=None,
            time_svd_s: float = math.nan) -> CompareRow:
    """Run ``schedule`` on ``g`` cast to ``dtype`` and measure it (one :class:`CompareRow`).

    A run that diverges (``ValueError`` from the iteration) gives a row with
    NaN errors and status ``"diverged"``.
    """
    x = cast_input(g, dtype)
    emulate = "bfloat16" if dtype == "bfloat16" else None
    ref = reference or reference_for(x, dtype)
    if ref.rank == 0:
        raise ValueError("the comparison needs a nonzero matrix")
    method = method or schedule.name
    s = float(np.asarray(schedule.scale(x, emulate=emulate), dtype=np.float64).reshape(-1)[0])
    pred = schedule.predict(np.asarray(ref.s[:ref.rank]), s)
    nan = math.nan
    lo, hi = pred.input_interval
    try:
        q, t = _timed(lambda: schedule(x, emulate=emulate), repeats)
    except ValueError as exc:
        return CompareRow(family, tuple(g.shape), method, schedule.steps, dtype,
                          schedule.normalization, ref.rank, lo, hi, nan, pred.spectral_error,
                          nan, pred.frobenius_error / math.sqrt(ref.rank), nan,
                          pred.orthogonality_error, nan, pred.output_min, nan, pred.output_max,
                          nan, 0, pred.sign_flips, nan, nan, time_svd_s, "diverged",
                          note=str(exc).split(":")[0])
    e = polar_errors(q, reference=ref)
    return CompareRow(
        family, tuple(g.shape), method, schedule.steps, dtype, schedule.normalization, ref.rank,
        lo, hi, e.spectral, pred.spectral_error, e.frobenius_rms,
        pred.frobenius_error / math.sqrt(ref.rank), e.orthogonality, pred.orthogonality_error,
        e.out_min, pred.output_min, e.out_max, pred.output_max, e.leakage, e.sign_flips,
        pred.sign_flips, abs(e.spectral - pred.spectral_error), t, time_svd_s,
        _status(e.spectral, e.sign_flips, dtype))


@dataclass
class CompareConfig:
    """What :func:`run_comparison` sweeps (defaults: small, well under a minute on 2 cores)."""

    shape: tuple[int, int] = (128, 64)
    families: Sequence[str] = MATRIX_FAMILIES
    methods: Sequence[str] = DEFAULT_METHODS
    steps: Sequence[int] | None = None      # None: each method's default
    dtypes: Sequence[str] = DTYPES
    seed: int = 0
    repeats: int = 3
    sweep_steps: int = 16                    # error-versus-steps: 0..sweep_steps-1 (float64)
    sweep_families: Sequence[str] = ("logspace1e2", "logspace1e6", "gaussian", "heavytail")
    normalization: str | None = None         # override every schedule's normalisation

    def validate(self) -> None:
        for f in self.families:
            if f not in MATRIX_FAMILIES:
                raise ValueError(f"unknown family {f!r}; valid: {', '.join(MATRIX_FAMILIES)}")
        for d in self.dtypes:
            if d not in DTYPES:
                raise ValueError(f"unknown dtype {d!r}; valid: {', '.join(DTYPES)}")
        for m in self.methods:
            get_schedule(m, 1)  # raises ValueError listing valid names
        if len(self.shape) != 2 or min(self.shape) < 1:
            raise ValueError(f"shape must be two positive integers, got {self.shape}")


def _schedule(method: str, steps: int | None, normalization: str | None) -> Schedule:
    sch = get_schedule(method, steps)
    if normalization is not None and normalization != sch.normalization:
        sch = replace(sch, normalization=normalization)
    return sch


def _matrix(family: str, cfg: CompareConfig) -> np.ndarray:
    salt = MATRIX_FAMILIES.index(family) if family in MATRIX_FAMILIES else 99
    return test_matrix(family, cfg.shape, np.random.default_rng([cfg.seed, salt]))


def run_comparison(cfg: CompareConfig, progress=None) -> list[CompareRow]:
    """Rows for every family x dtype x (svd, then each method x steps)."""
    cfg.validate()
    rows: list[CompareRow] = []
    for family in cfg.families:
        g = _matrix(family, cfg)
        for dtype in cfg.dtypes:
            x = cast_input(g, dtype)
            ref = reference_for(x, dtype)
            svd_row = measure_svd(g, dtype, family=family, repeats=cfg.repeats, reference=ref)
            rows.append(svd_row)
            for method in cfg.methods:
                for steps in (cfg.steps or [None]):
                    sch = _schedule(method, steps, cfg.normalization)
                    rows.append(measure(g, sch, dtype, family=family, method=method,
                                        repeats=cfg.repeats, reference=ref,
                                        time_svd_s=svd_row.time_s))
            if progress:
                progress(f"{family} {dtype}")
    return rows


@dataclass
class SweepPoint:
    """Error versus steps: measured and predicted spectral error of a ``steps``-step schedule."""

    family: str
    method: str
    steps: int
    err2: float
    pred_err2: float


def run_sweep(cfg: CompareConfig) -> list[SweepPoint]:
    """Float64 ``||Q - UV^T||_2`` and its scalar-model prediction for 0..sweep_steps-1 steps.

    Fixed-coefficient methods repeat their polynomial; listed schedules repeat
    their last polynomial beyond their length; Polar Express is *redesigned*
    for each ``T`` (so its curve is over designs, not one trajectory).
    """
    cfg.validate()
    pts: list[SweepPoint] = []
    for family in cfg.sweep_families:
        g = _matrix(family, cfg)
        ref = polar_reference(g)
        sigma = np.asarray(ref.s[:ref.rank])
        for method in cfg.methods:
            for k in range(cfg.sweep_steps):
                sch = _schedule(method, k, cfg.normalization)
                s = float(np.asarray(sch.scale(g)).reshape(-1)[0])
                pred = sch.predict(sigma, s).spectral_error
                try:
                    err = polar_errors(sch(g), reference=ref).spectral
                except ValueError:
                    err = math.nan
                pts.append(SweepPoint(family, method, k, err, pred))
    return pts


def machine_description() -> dict:
    """Platform facts recorded with every result (docs/polar.md section 10: name dtype and machine)."""
    import os

    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def rows_as_dicts(rows: Sequence[CompareRow]) -> list[dict]:
    """JSON-ready dictionaries (NaN kept as ``None``)."""
    out = []
    for r in rows:
        d = asdict(r)
        d["time_ratio"] = r.time_ratio
        d["shape"] = list(r.shape)
        out.append(_json_ready(d))
    return out


def sweep_as_dicts(points: Sequence[SweepPoint]) -> list[dict]:
    """JSON-ready dictionaries of :func:`run_sweep` points (NaN kept as ``None``)."""
    return [_json_ready(asdict(p)) for p in points]


def _json_ready(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}
