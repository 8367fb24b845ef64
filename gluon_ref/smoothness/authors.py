"""The Gluon authors' published smoothness logs: parser, shipped copy, run settings.

Source (measurements, not code): repository
``artem-riabinin/Experiments-estimating-smoothness-for-NanoGPT-and-CNN``, commit
26769e3, files ``plots/L0L1-nanogpt/output.txt``, ``output_Adam.txt``,
``output_l2.txt`` and ``plots/L0L1-cnn/output.txt``, ``output_full_batch.txt``.
A compact copy ships as ``gluon_ref/data/gluon_authors_logs/measurements.csv.gz``
(one row per measurement line, the printed decimals unchanged; provenance in
``PROVENANCE.md`` beside it).

Line format (the only lines read; every other line is not a measurement)::

    step:S/5001 (IDX) L_estimated: LHAT norm_grad: G     (NanoGPT, S = step)
    step:E (IDX) L_estimated: LHAT norm_grad: G          (CNN, E = fractional epoch)

``LHAT = ||g_new - g_old||_(i)* / ||X' - X||_(i)`` between consecutive iterates,
each gradient on its own minibatch (docs/theory.md section 8, Eq. 10), and
``G = ||g_new||_(i)*``, the anchor of the fit.  Dual norms are ``<lmo(g), g>``
with a 5-step Newton-Schulz in the spectral layers.

Run settings (:data:`RUNS`) are read from the authors' training scripts at the
same commit: NanoGPT unconstrained Scion with ``lr = 3.6e-4`` and scales 50
(blocks) and 3000 (``lm_head``), constant learning rate (no warm-up or
warm-down), momentum ``alpha = 0.1``; the CIFAR-10 CNN with ``lr = 0.5`` and
scales 1 (conv kernels, biases) and 100 (head), the scheduler's step commented
out (constant radii), momentum ``alpha = 0.5`` (stochastic, batch 2000) or none
(full batch, one step per epoch).  The step length of an unconstrained Scion
step is ``lr * scale`` in the layer norm (exactly for Sign and BiasRMS, up to
Newton-Schulz error for spectral layers), which is the radius ``t`` of
:func:`noise_factor`.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from .fit import Fit
from .threads import single_threaded

__all__ = ["AuthorsRun", "RUNS", "SOURCE", "LogMeasurements", "parse_log", "load_authors_logs",
           "convert_authors_logs", "DATA_FILE", "LayerRefit", "refit"]

SOURCE = ("artem-riabinin/Experiments-estimating-smoothness-for-NanoGPT-and-CNN, commit 26769e3, "
          "plots/L0L1-nanogpt/output*.txt and plots/L0L1-cnn/output*.txt")

#: the shipped copy, relative to the gluon_ref package
DATA_FILE = "data/gluon_authors_logs/measurements.csv.gz"

_LINE = re.compile(
    r"^step:(?P<step>[0-9]+(?:\.[0-9]+)?)(?:/(?P<total>[0-9]+))? \((?P<idx>[0-9]+)\) "
    r"L_estimated: (?P<lhat>\S+) norm_grad: (?P<g>\S+)\s*$")

_NANOGPT_SUFFIX = ("attn.c_q", "attn.c_k", "attn.c_v", "attn.c_proj", "mlp.c_fc", "mlp.c_proj")


def _nanogpt_layers() -> dict[int, tuple[str, str]]:
    out = {6 * b + j: (f"h{b}.{s}", "hidden") for b in range(12) for j, s in enumerate(_NANOGPT_SUFFIX)}
    out[72] = ("wte/lm_head", "embedding")
    return out


def _cnn_layers() -> dict[int, tuple[str, str]]:
    out = {i: (f"conv{i}", "conv") for i in range(6)}
    out[6] = ("whiten.bias", "bias")
    out.update({7 + i: (f"norm{i}.bias", "bias") for i in range(6)})
    out[13] = ("head", "head")
    return out


@dataclass(frozen=True)
class AuthorsRun:
    """Settings of one published run.

    ``layers`` maps the log index to ``(layer name, group)``; ``radii`` maps a
    group to the step length ``t = lr * scale`` of the run (empty for AdamW,
    whose step length is not a fixed radius); ``norms`` names the norms of the
    estimate; ``file`` is the source path in the authors' repository.
    """

    name: str
    model: str
    optimizer: str
    gradients: str
    norms: str
    file: str
    layers: Mapping[int, tuple[str, str]]
    radii: Mapping[str, float] = field(default_factory=dict)

    def group(self, idx: int) -> str:
        return self.layers[idx][1]

    def layer_name(self, idx: int) -> str:
        return self.layers[idx][0]

    def radius(self, idx: int) -> float | None:
        return self.radii.get(self.group(idx))


_NANO = "GPT-2 small (124M, 12 blocks, width 768), FineWeb, 5001 steps, 512 x 1024 tokens per step"
_CNN = "CIFAR-10 CNN (airbench-style, 6 conv layers, BatchNorm, GELU)"
_UNSCION_NANO = "unconstrained Scion, lr 3.6e-4, scales 50 / 3000, momentum alpha 0.1"
_CNN_NORMS = "conv SpectralConv, biases BiasRMS, head Sign"

#: the five published runs, keyed by a short name
RUNS: dict[str, AuthorsRun] = {
    "nanogpt": AuthorsRun(
        "nanogpt", _NANO, _UNSCION_NANO, "different minibatches",
        "hidden spectral RMS->RMS, lm_head Sign", "plots/L0L1-nanogpt/output.txt",
        _nanogpt_layers(), {"hidden": 3.6e-4 * 50, "embedding": 3.6e-4 * 3000}),
    "nanogpt_adam": AuthorsRun(
        "nanogpt_adam", _NANO, "AdamW, lr 3.6e-4, betas (0.9, 0.95)", "different minibatches",
        "hidden spectral RMS->RMS, lm_head Sign", "plots/L0L1-nanogpt/output_Adam.txt",
        _nanogpt_layers()),
    "nanogpt_l2": AuthorsRun(
        "nanogpt_l2", _NANO, _UNSCION_NANO, "different minibatches",
        "Frobenius (Euclidean) norms in the estimate", "plots/L0L1-nanogpt/output_l2.txt",
        _nanogpt_layers()),
    "cnn": AuthorsRun(
        "cnn", _CNN, "unconstrained Scion, lr 0.5, scales 1 / 100, momentum alpha 0.5",
        "different minibatches of 2000 (summed loss)", _CNN_NORMS, "plots/L0L1-cnn/output.txt",
        _cnn_layers(), {"conv": 0.5, "bias": 0.5, "head": 50.0}),
    "cnn_full_batch": AuthorsRun(
        "cnn_full_batch", _CNN, "unconstrained Scion, lr 0.5, scales 1 / 100, no momentum",
        "full batch (augmented), one step per epoch", _CNN_NORMS,
        "plots/L0L1-cnn/output_full_batch.txt", _cnn_layers(),
        {"conv": 0.5, "bias": 0.5, "head": 50.0}),
}


@dataclass(frozen=True)
class LogMeasurements:
    """Parsed measurements of one log: parallel 1-D arrays, in file order."""

    step: np.ndarray   # float: NanoGPT step or CNN (fractional) epoch
    index: np.ndarray  # int: the authors' parameter index IDX
    lhat: np.ndarray   # float: L_estimated
    gnorm: np.ndarray  # float: norm_grad, ||g_new||_*

    def layer(self, idx: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(step, lhat, gnorm)`` of one parameter index, in file order."""
        m = self.index == idx
        if not m.any():
            raise KeyError(f"no measurements for index {idx}; indices are "
                           f"{sorted(set(self.index.tolist()))}")
        return self.step[m], self.lhat[m], self.gnorm[m]

    @property
    def indices(self) -> list[int]:
        return sorted(set(int(i) for i in self.index))

    def __len__(self) -> int:
        return int(self.step.size)


def _rows(lines: Iterable[str], where: str):
    for no, line in enumerate(lines, 1):
        if "L_estimated" not in line:
            continue
        m = _LINE.match(line.strip())
        if m is None:
            raise ValueError(f"{where}, line {no}: a measurement line in an unknown format: {line.strip()!r}")
        yield m.group("step"), m.group("idx"), m.group("lhat"), m.group("g")


def _measurements(rows, where: str) -> LogMeasurements:
    rows = list(rows)
    if not rows:
        raise ValueError(f"{where}: no measurement lines")
    step, idx, lhat, g = zip(*rows)
    out = LogMeasurements(np.array(step, dtype=np.float64), np.array(idx, dtype=np.int64),
                          np.array(lhat, dtype=np.float64), np.array(g, dtype=np.float64))
    for name, a in (("L_estimated", out.lhat), ("norm_grad", out.gnorm)):
        if not np.isfinite(a).all():
            raise ValueError(f"{where}: non-finite {name} values")
    return out


def parse_log(lines: Iterable[str] | str, where: str = "log") -> LogMeasurements:
    """Parse the measurement lines of one authors' log (module docstring for the format).

    ``lines`` is an iterable of lines or the whole text.  Lines without
    ``L_estimated`` are skipped; a line with it in another format raises
    ``ValueError`` naming the line number.
    """
    if isinstance(lines, str):
        lines = lines.splitlines()
    return _measurements(_rows(lines, where), where)


def convert_authors_logs(src: str | Path, dest: str | Path) -> dict[str, int]:
    """Write the shipped CSV (``run,step,index,lhat,gnorm``, decimals as printed) from a copy of
    the authors' logs laid out as ``src/nanogpt/output*.txt`` and ``src/cnn/output*.txt``.

    Returns the number of rows per run.
    """
    src = Path(src)
    counts = {}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["run", "step", "index", "lhat", "gnorm"])
    for name, run in RUNS.items():
        folder = "nanogpt" if name.startswith("nanogpt") else "cnn"
        path = src / folder / Path(run.file).name
        rows = list(_rows(path.read_text().splitlines(), str(path)))
        for r in rows:
            w.writerow([name, *r])
        counts[name] = len(rows)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the compressed file depends only on the data
    with open(dest, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue().encode())
    return counts


def load_authors_logs(path: str | Path | None = None) -> dict[str, LogMeasurements]:
    """The shipped measurements, ``{run name: LogMeasurements}`` (keys of :data:`RUNS`)."""
    if path is None:
        raw = resources.files("gluon_ref").joinpath(DATA_FILE).read_bytes()
    else:
        raw = Path(path).read_bytes()
    text = gzip.decompress(raw).decode()
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    if header != ["run", "step", "index", "lhat", "gnorm"]:
        raise ValueError(f"unexpected header {header}")
    per: dict[str, list] = {}
    for row in reader:
        per.setdefault(row[0], []).append(tuple(row[1:]))
    unknown = set(per) - set(RUNS)
    if unknown:
        raise ValueError(f"unknown runs {sorted(unknown)} in the data file")
    return {name: _measurements(per[name], f"{DATA_FILE}:{name}") for name in RUNS if name in per}


@dataclass(frozen=True)
class LayerRefit:
    """The refit of one parameter index of one run.

    ``fit``: the (L0, L1) fit; ``noise_factor``: the median of
    ``c_k = lhat_k t / G_k`` (:mod:`.estimator`, with the run's radius ``t`` as
    the step length; nan for runs without a fixed radius); ``n`` measurements.
    """

    run: str
    index: int
    name: str
    group: str
    radius: float | None
    fit: Fit
    noise_factor: float


def refit(data: Mapping[str, LogMeasurements] | None = None, runs: Iterable[str] | None = None,
          drop_first: bool = False, exact: bool = False) -> dict[str, dict[int, LayerRefit]]:
    """Refit every layer of the published runs with the paper's fit (:mod:`.fit`).

    ``drop_first`` drops each layer's first measurement (the authors' full-batch CNN notebook
    does, for the head); ``exact`` uses :func:`~.fit.fit_l0l1_exact` instead of L-BFGS-B.
    """
    from .fit import fit_l0l1, fit_l0l1_exact

    data = load_authors_logs() if data is None else data
    with single_threaded():
        return _refit(data, runs, drop_first, fit_l0l1_exact if exact else fit_l0l1)


def _refit(data, runs, drop_first, fitter):
    out: dict[str, dict[int, LayerRefit]] = {}
    for name in (runs or data):
        if name not in RUNS:
            raise ValueError(f"unknown run {name!r}; runs are {sorted(RUNS)}")
        run, m = RUNS[name], data[name]
        out[name] = {}
        for idx in m.indices:
            _, y, g = m.layer(idx)
            if drop_first:
                y, g = y[1:], g[1:]
            fit = fitter(y, g)
            t = run.radius(idx)
            c = float(np.median(y * t / g)) if t is not None else float("nan")
            out[name][idx] = LayerRefit(name, idx, run.layer_name(idx), run.group(idx), t, fit, c)
    return out
