"""Ground truth for the estimator and the fit: planted pairs and objectives with proved constants.

**Planted pairs** (:func:`planted_pairs`).  For one layer in the norm
``||.|| = c ||.||_base`` and pair ``k``, with a chosen anchor size ``G_k``:

    X'_k = X_k + t d_k,          ||d_k|| = 1,
    g'_k = G_k e_k,              ||e_k||_* = 1,
    g_k  = g'_k - (L0 + L1 G_k + s_k) t u_k,      ||u_k||_* = 1,

so Eq. 10 gives exactly ``lhat_k = L0 + L1 G_k + s_k`` (``s_k`` optional
noise).  The unit vectors are built from closed forms, not from the code
under test: for the spectral family a semi-orthogonal ``Q`` (QR of a
Gaussian matrix) has ``||Q||_2 = 1`` and nuclear norm ``min(m, n)``, so
``d = Q / c`` and ``u = c Q / min(m, n)``; for normalized Sign (``c = n``,
base max-entry, dual base entrywise l1) a sign matrix ``S`` gives ``d = S / n``
and ``u = S / m``; for RMS (``c = 1/sqrt(d)``, base l2) a unit vector ``e``
gives ``d = sqrt(d) e`` and ``u = e / sqrt(d)``.  An estimator that anchors at
the older gradient, confuses primal and dual norms or drops a scale factor
does not return the planted values.

**Objectives with proved constants** (:func:`synthetic_run`): a Gluon run
with constant per-layer radii (inside each layer's proved region) on a
separable objective of :mod:`gluon_ref.objectives` whose Assumption 1
constants are proved (cosh-type, softplus GLM, quadratics).  Every estimate is
then below the proved envelope ``L0* + L1* G``, and the fitted envelope can
be compared with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
import numpy as np

from .threads import single_threaded
from .fit import LAMBDA, Fit, fit_l0l1, fit_l0l1_exact, hinge_balance

__all__ = ["PLANTED_NORMS", "PlantedPairs", "planted_pairs", "SYNTHETIC_OBJECTIVES", "synthetic_run",
           "EnvelopeCheck"]

#: norms with closed-form unit vectors in :func:`planted_pairs`, and an example shape
PLANTED_NORMS = {"rms_to_rms": (6, 4), "spectral_conv": (4, 3, 3, 3), "sign": (5, 8), "rms": (7,)}


def _semi_orthogonal(rng, m, n):
    q, r = np.linalg.qr(rng.standard_normal((max(m, n), min(m, n))))
    q = q * np.sign(np.diag(r))
    return q if m >= n else q.T


def _units(norm: str, shape, rng):
    """``(d, u)``: primal-unit and dual-unit arrays of ``shape`` from closed forms (module docstring)."""
    if norm in ("rms_to_rms", "spectral_conv"):
        m, n = shape[0], math.prod(shape[1:])
        if norm == "rms_to_rms":
            c = math.sqrt(n / m)
        else:
            c_out, c_in, taps = shape[0], shape[1], math.prod(shape[2:])
            c = taps * math.sqrt(c_in / c_out)
        Q1, Q2 = _semi_orthogonal(rng, m, n), _semi_orthogonal(rng, m, n)
        return (Q1 / c).reshape(shape), (c * Q2 / min(m, n)).reshape(shape)
    if norm == "sign":
        m, n = shape
        S1 = rng.choice([-1.0, 1.0], size=shape)
        S2 = rng.choice([-1.0, 1.0], size=shape)
        return S1 / n, S2 / m
    if norm == "rms":
        (d,) = shape
        e1, e2 = rng.standard_normal(d), rng.standard_normal(d)
        e1, e2 = e1 / np.sqrt(e1 @ e1), e2 / np.sqrt(e2 @ e2)
        return math.sqrt(d) * e1, e2 / math.sqrt(d)
    raise ValueError(f"planted pairs support the norms {sorted(PLANTED_NORMS)}, got {norm!r}")


@dataclass(frozen=True)
class PlantedPairs:
    """Pairs ``(X, X', g, g')`` of one layer with ``lhat`` and ``G`` known by construction."""

    norm: str
    X: np.ndarray
    X_new: np.ndarray
    g: np.ndarray
    g_new: np.ndarray
    lhat: np.ndarray
    G: np.ndarray
    t: float


def planted_pairs(norm: str, L0: float, L1: float, n: int, rng: np.random.Generator, *,
                  shape=None, t: float = 0.05, G_range=(0.1, 10.0), noise: float = 0.0) -> PlantedPairs:
    """``n`` planted pairs with ``lhat_k = L0 + L1 G_k + noise z_k`` (module docstring).

    ``G_k`` is log-uniform on ``G_range``; ``z_k ~ N(0, 1)``.  A planted
    ``lhat_k <= 0`` (large noise) raises ``ValueError``: the ratio of norms
    cannot be negative.
    """
    shape = tuple(shape or PLANTED_NORMS[norm])
    G = np.exp(rng.uniform(math.log(G_range[0]), math.log(G_range[1]), n))
    lhat = L0 + L1 * G + noise * rng.standard_normal(n)
    if (lhat <= 0).any():
        raise ValueError(f"planted lhat has {(lhat <= 0).sum()} entries <= 0: lower the noise")
    X, Xn, g, gn = (np.empty((n, *shape)) for _ in range(4))
    for k in range(n):
        d, u = _units(norm, shape, rng)
        _, e = _units(norm, shape, rng)
        X[k] = rng.standard_normal(shape)
        Xn[k] = X[k] + t * d
        gn[k] = G[k] * e
        g[k] = gn[k] - lhat[k] * t * u
    return PlantedPairs(norm, X, Xn, g, gn, lhat, G, t)


def _glm_softplus(seed):
    from ..objectives import glm_objective

    return glm_objective(seed, loss="logistic")


def _cosh(seed):
    from ..objectives import cosh_objective

    return cosh_objective(seed)


def _quadratics(seed):
    from ..objectives import quadratic_zoo

    return quadratic_zoo(seed)


#: separable objectives with proved constants: cosh-type (L1 > 0 within a radius), softplus GLM
#: and quadratics (L1 = 0)
SYNTHETIC_OBJECTIVES = {"cosh": _cosh, "softplus": _glm_softplus, "quadratics": _quadratics}


@dataclass(frozen=True)
class EnvelopeCheck:
    """Fit against proved constants for one layer of a synthetic run.

    ``ratio_min``/``ratio_max``: range over the observed anchors of the fitted
    envelope divided by the proved one; ``lhat_ratio``: the largest estimate
    divided by the proved envelope (<= 1 by Assumption 1); ``hinge``:
    ``((1 + lam) sum r_+, sum r_-)`` of :func:`~.fit.hinge_balance`.
    """

    objective: str
    layer: str
    norm: str
    radius: float
    fit: Fit
    L0: float
    L1: float
    ratio_min: float
    ratio_max: float
    lhat_ratio: float
    hinge: tuple[float, float]


def synthetic_run(name: str, seed: int = 0, steps: int = 60, fraction: float = 0.3,
                  lam: float = LAMBDA, exact: bool = True) -> list[EnvelopeCheck]:
    """Gluon with constant radius ``fraction * min(R_i, 1)`` per layer on a synthetic objective;
    fit every layer's estimates and compare with the proved constants (:class:`EnvelopeCheck`).

    ``R_i`` is the radius within which layer ``i``'s constants are proved
    (infinite for L-smooth layers), so every step stays inside it.  Full-batch
    gradients, start at ``sample_point(default_rng(seed + 1))``.  ``exact=True`` fits with
    :func:`~.fit.fit_l0l1_exact` (``steps <= 150``), whose solution satisfies the hinge balance
    to rounding; ``False`` with the L-BFGS-B fit.
    """
    from ..optim import Gluon, gluon_config
    from .recorder import record_run

    if name not in SYNTHETIC_OBJECTIVES:
        raise ValueError(f"unknown synthetic objective {name!r}; available: {sorted(SYNTHETIC_OBJECTIVES)}")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
    obj = SYNTHETIC_OBJECTIVES[name](seed)
    consts = obj.constants
    X0 = obj.sample_point(np.random.default_rng(seed + 1), 1.0)
    radii = {k: fraction * min(consts[k].valid_within, 1.0) for k in obj.layers}
    opt = Gluon(gluon_config(X0, norms={k: s.norm for k, s in obj.layers.items()}, stepsizes=radii))
    with single_threaded():
        tr = record_run(obj, opt, steps, X0=X0).traces["different"]
        return [_check(name, k, spec.norm, radii[k], tr.lhat[k], tr.gnorm[k], consts[k], lam, exact)
                for k, spec in obj.layers.items()]


def _check(name, layer, norm, radius, y, g, c, lam, exact) -> EnvelopeCheck:
    f = fit_l0l1_exact(y, g, lam) if exact else fit_l0l1(y, g, lam)
    known = c.L0 + c.L1 * g
    ratio = f.predict(g) / known
    return EnvelopeCheck(name, layer, norm, radius, f, c.L0, c.L1, float(ratio.min()),
                         float(ratio.max()), float(np.max(y / known)), hinge_balance(f.L0, f.L1, y, g, lam))
