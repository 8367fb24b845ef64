"""Measured LMO properties of a catalogue norm (docs/norms.md section 6).

These functions measure, on one gradient ``g``, how far each identity of
docs/norms.md section 6 is from holding.  They are shared by the test suite, the
``gluon-ref norms`` table and the LMO claims of the verification report.
All measurements are relative errors or slacks as Python floats, computed in
float64 on the host (the LMO itself runs in the input's namespace and dtype).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gluon_ref.backend import namespace, to_numpy
from gluon_ref.norms import Norm

__all__ = ["feasible_points", "LmoMeasurement", "measure_lmo", "example_shape"]


def example_shape(norm: Norm, m: int = 24, n: int = 16) -> tuple[int, ...]:
    """A representative input shape for ``norm`` (conv kernels get (m, n//4, 2, 2))."""
    if norm.ndims == (1,):
        return (m,)
    if 2 in norm.ndims:
        return (m, n)
    return (m, max(1, n // 4), 2, 2)


def feasible_points(norm: Norm, shape: tuple[int, ...], count: int,
                    rng: np.random.Generator, center=None) -> list[np.ndarray]:
    """``count`` float64 points on the unit sphere of ``norm``, of mixed kinds.

    The mix covers the vertices the docs/norms.md section 6 item 3 asks for: the
    LMO images of random gradients (extreme points of the ball), random
    sign arrays, random semi-orthogonal matrices (2-D views), single-entry
    and single-column vertices, and rescaled Gaussians.  With ``center`` (a
    candidate minimiser), every other point is instead a local perturbation
    ``center + delta z`` with ``delta`` log-uniform in [1e-4, 1e-1]: random
    far points rarely beat a reasonable but wrong direction in high
    dimension, whereas perturbations of a non-optimal candidate improve it
    along about half of all directions.  Every point is divided by its norm,
    so it lies on the sphere up to rounding.
    """
    size = math.prod(shape)
    mat = (shape[0], size // shape[0]) if len(shape) >= 2 else (shape[0], 1)
    points: list[np.ndarray] = []
    kinds = ("lmo", "sign", "orth", "entry", "column", "gauss")
    c64 = None if center is None else to_numpy(center).astype(np.float64)
    for k in range(count):
        kind = kinds[(k // 2 if c64 is not None else k) % len(kinds)]
        if c64 is not None and k % 2 == 0:
            z = rng.standard_normal(shape)
            z *= np.max(np.abs(c64)) / max(np.max(np.abs(z)), 1e-300)
            y = c64 + 10.0 ** rng.uniform(-4, -1) * z
        elif kind == "lmo":
            y = -to_numpy(norm.lmo(rng.standard_normal(shape)))
        elif kind == "sign":
            y = rng.choice([-1.0, 1.0], size=shape)
        elif kind == "orth" and len(shape) >= 2:
            q, _ = np.linalg.qr(rng.standard_normal((max(mat), min(mat))))
            y = (q if mat[0] >= mat[1] else q.T).reshape(shape)
        elif kind == "entry":
            y = np.zeros(size)
            y[rng.integers(size)] = rng.choice([-1.0, 1.0])
            y = y.reshape(shape)
        elif kind == "column" and len(shape) >= 2:
            y = np.zeros(mat)
            y[:, rng.integers(mat[1])] = rng.standard_normal(mat[0])
            y = y.reshape(shape)
        else:
            y = rng.standard_normal(shape) * np.exp(rng.uniform(-2, 2))
        nrm = float(norm.norm(y))
        if nrm > 0:
            points.append(y / nrm)
    return points


@dataclass(frozen=True)
class LmoMeasurement:
    """Relative defects of the LMO identities on one gradient (0 means exact).

    value_error      |<g, lmo(g)> + ||g||_*| / ||g||_*          (docs/norms.md section 5 item 1)
    sphere_error     | ||lmo(g)|| - 1 |                          (docs/norms.md section 6 item 2)
    homogeneity      ||lmo(c g) - lmo(g)||_max / ||lmo(g)||_max, c = 1e3  (docs/norms.md section 6 item 5)
    oddness          ||lmo(-g) + lmo(g)||_max / ||lmo(g)||_max           (docs/norms.md section 6 item 5)
    optimality_slack min_y (<g, y> - <g, lmo(g)>) / ||g||_* over feasible y
                     (>= 0 when no sampled point beats the LMO)  (docs/norms.md section 6 item 3)
    dual_of_dual     |<x, dual_lmo(x)> + ||x||| / ||x||           (docs/norms.md section 5 item 8)
    """

    value_error: float
    sphere_error: float
    homogeneity: float
    oddness: float
    optimality_slack: float
    dual_of_dual: float


def measure_lmo(norm: Norm, g, rng: np.random.Generator, n_points: int = 200) -> LmoMeasurement:
    """Measure :class:`LmoMeasurement` for ``norm`` at gradient ``g`` (any backend, nonzero)."""
    xp = namespace(g)
    l = norm.lmo(g)
    g64 = to_numpy(g).astype(np.float64)
    l64 = to_numpy(l).astype(np.float64)
    dual = float(norm.dual_norm(g))
    if dual == 0:
        raise ValueError("measure_lmo needs a nonzero gradient")
    value = float(np.sum(g64 * l64))
    lmax = float(np.max(np.abs(l64)))
    pts = feasible_points(norm, tuple(g.shape), n_points, rng, center=l)
    best = min(float(np.sum(g64 * y)) for y in pts)
    dl = norm.dual_lmo(g)
    return LmoMeasurement(
        value_error=abs(value + dual) / dual,
        sphere_error=abs(float(norm.norm(l)) - 1.0),
        homogeneity=float(np.max(np.abs(to_numpy(norm.lmo(g * 1e3)) - l64))) / lmax,
        oddness=float(np.max(np.abs(to_numpy(norm.lmo(-g)) + l64))) / lmax,
        optimality_slack=(best - value) / dual,
        dual_of_dual=abs(float(xp.sum(g * dl)) + float(norm.norm(g))) / float(norm.norm(g)),
    )
