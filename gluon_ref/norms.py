"""The norm catalogue: norms, dual norms and linear minimisation oracles (docs/norms.md).

Every entry is one :class:`Norm`: a base :class:`~gluon_ref.geometry.Geometry`
times a shape-dependent factor ``c``, by the scaled-norm rule (docs/norms.md section
1): if ``||.|| = c ||.||_base`` then

    ||S||_* = ||S||_base,* / c        lmo(S) = lmo_base(S) / c.

**Sign convention.**  ``lmo(g)`` is the *minimiser* of ``<g, x>`` over the
unit ball (docs/theory.md section 1, docs/norms.md section 1), a descent direction, so a
step is ``x + t * lmo(m)``.  Code that returns the positive maximiser (Scion's
``Norm.lmo``, modula's ``dualize``) equals ``-lmo``.

**Zero input.**  ``lmo(0) = 0``: every feasible point is optimal, and 0 is the
minimum-norm choice; it is the one exception to ``||lmo(g)|| = 1`` (docs/norms.md
section 3).  Zero columns (ColNorm), zero rows (RowNorm) and zero entries
(sign) likewise map to zero blocks; rank-deficient spectral inputs give
``-U_r V_r^T``, zero on the null spaces.

**Ties** (l1, inf->inf, nuclear with a repeated top singular value): the first
index of largest magnitude, or the SVD's top pair; any convex combination of
tied vertices is equally optimal.

**Bad input.**  Integer, boolean and complex dtypes raise ``TypeError``;
NaN/inf entries, a wrong ndim, or a negative/non-finite radius raise
``ValueError``.  Inputs are divided by their largest absolute entry before any
reduction, so magnitudes from 1e-30 to 1e30 are safe in float32 and float64.

Example
-------
>>> import numpy as np
>>> from gluon_ref.norms import get_norm
>>> rms = get_norm("rms_to_rms")
>>> g = np.array([[3.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
>>> step = rms.lmo(g, radius=0.5)      # minimiser over the radius-0.5 ball
>>> float(rms.norm(step))
0.5
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

from .backend import cast_checked, check_finite, check_float_array, check_ndim
from .geometry import (
    ColumnL2,
    DualOf,
    EntryMax,
    Euclidean,
    Geometry,
    RowL1,
    Spectral,
    Transposed,
)

__all__ = [
    "Norm",
    "ProductNorm",
    "get_norm",
    "available_norms",
    "NORM_CATALOGUE",
]

Shape = tuple[int, ...]


def _matrix_shape(shape: Shape) -> tuple[int, int]:
    """(m, n) = (d_out, d_in) of the matrix view; conv kernels flatten to (c_out, c_in*k*k)."""
    if len(shape) == 1:
        return shape[0], 1
    return shape[0], math.prod(shape[1:])


@dataclass(frozen=True)
class Norm:
    """One catalogue norm ``||x|| = factor(shape) * ||mat(x)||_base``.

    Attributes
    ----------
    name:
        catalogue name (``get_norm(name)`` returns this entry).
    geometry:
        base geometry acting on the matrix view.
    factor:
        ``c(shape)`` for the stored orientation; :meth:`shape_factor` applies it
        to an array's shape.  The LMO's factor on the base direction is ``1/c``
        (docs/norms.md section 2c), see :meth:`lmo_factor`.
    ndims:
        accepted array dimensionalities.
    transpose:
        apply the norm to ``x^T`` (embeddings stored as (V, d), docs/norms.md
        section 1); only for 2-D entries.
    formula, source:
        the norm in words and where it comes from, for documentation and the
        catalogue table.
    """

    name: str
    geometry: Geometry
    factor: Callable[[Shape], float]
    ndims: tuple[int, ...]
    formula: str
    source: str
    transpose: bool = False

    # -- layout ---------------------------------------------------------------
    def _view(self, xp, x):
        """Matrix view: conv kernels reshaped to (c_out, c_in*k*k), optional transpose."""
        if x.ndim > 2:
            x = xp.reshape(x, (x.shape[0], -1))
        if self.transpose:
            x = xp.matrix_transpose(x)
        return x

    def _unview(self, xp, y, shape):
        if self.transpose:
            y = xp.matrix_transpose(y)
        return xp.reshape(y, shape) if len(shape) > 2 else y

    def _prepare(self, x, name):
        xp = check_float_array(x, name)
        check_ndim(x, self.ndims, f"{name} for norm {self.name!r}")
        check_finite(x, name)
        if self.transpose and x.ndim != 2:
            raise ValueError(f"transpose=True needs a 2-D array, got shape {tuple(x.shape)}")
        if any(d == 0 for d in x.shape):
            raise ValueError(f"{name} has an empty dimension: shape {tuple(x.shape)}")
        # float16 has no linalg and a tiny range: reduce in float32, return float16.
        work = xp.float32 if x.dtype == getattr(xp, "float16", None) else x.dtype
        a = self._view(xp, xp.astype(x, work))
        amax = xp.max(xp.abs(a))
        return xp, a, amax

    def shape_factor(self, shape: Shape) -> float:
        """``c(shape)`` with ``||x|| = c * ||mat(x)||_base`` for an array of this shape.

        Named for what it depends on: ``scale`` elsewhere means a magnitude
        (:meth:`~gluon_ref.objectives.Objective.sample_point`) or the input
        normalisation of a Newton–Schulz schedule.
        """
        t = tuple(int(d) for d in shape)
        if self.transpose:
            t = (t[1], t[0])
        return float(self.factor(t))

    def matrix_geometry(self) -> Geometry:
        """The geometry of ``||x|| / c`` on the matrix view ``mat(x)`` of an array ``x``.

        ``geometry`` itself, or its transpose for a transposed entry (the norm is then
        applied to ``mat(x)^T``); with ``(m, n) = mat(x).shape`` it gives the
        comparison and quadratic constants of :mod:`gluon_ref.objectives`.
        """
        return self.geometry.transposed() if self.transpose else self.geometry

    def lmo_factor(self, shape: Shape) -> float:
        """Factor on the base direction: ``lmo(g) = -lmo_factor * s_base(g)`` (docs/norms.md 2c)."""
        return 1.0 / self.shape_factor(shape)

    # -- the three maps ---------------------------------------------------------
    def _scaled_value(self, x, name, reduce, power, what):
        """``amax * reduce(mat(x)/amax) * c^power``: the pre-scaled reduction, 0 at x = 0."""
        xp, a, amax = self._prepare(x, name)
        if not bool(amax > 0):
            return xp.zeros((), dtype=x.dtype)
        return cast_checked(amax * reduce(xp, a / amax) * self.shape_factor(x.shape) ** power, x.dtype,
                            f"the {what} of a {x.dtype} array of shape {tuple(x.shape)} ({self.name})")

    def _scaled_direction(self, x, name, radius, pick, power):
        """``-radius * c^power * pick(mat(x)/amax)`` reshaped back, 0 at x = 0."""
        radius = _check_radius(radius)
        xp, a, amax = self._prepare(x, name)
        if not bool(amax > 0):
            return xp.zeros_like(x)
        out = (-radius * self.shape_factor(x.shape) ** power) * pick(xp, a / amax)
        return xp.astype(self._unview(xp, out, x.shape), x.dtype)

    def norm(self, x: Any):
        """``||x||`` as a 0-D array in ``x``'s namespace and dtype."""
        return self._scaled_value(x, "x", self.geometry.primal, 1, "norm")

    def dual_norm(self, g: Any):
        """``||g||_* = sup_{||x|| <= 1} <g, x>`` as a 0-D array (docs/norms.md section 1)."""
        return self._scaled_value(g, "g", self.geometry.dual, -1, "dual norm")

    def lmo(self, g: Any, radius: float = 1.0):
        """Minimiser of ``<g, x>`` over ``{||x|| <= radius}`` (paper sign: a descent direction).

        ``lmo(g) = -(radius / c) * s_base(mat(g))`` reshaped back, with
        ``<g, lmo(g)> = -radius * ||g||_*`` and ``||lmo(g)|| = radius`` for
        ``g != 0`` (docs/norms.md section 5 items 1 and 4).  ``lmo(0) = 0``.
        """
        return self._scaled_direction(g, "g", radius, self.geometry.maximizer, -1)

    def sharp(self, g: Any):
        """Sharp operator ``g^# = argmax_x <g, x> - ||x||^2 / 2 = -||g||_* lmo(g)`` (docs/norms.md section 5 item 2)."""
        xp = check_float_array(g, "g")
        if g.dtype == getattr(xp, "float16", None):
            # float16: form the product in float32 and refuse a result float16 cannot hold
            wide = xp.astype(g, xp.float32)
            return cast_checked(-self.dual_norm(wide) * self.lmo(wide), g.dtype,
                                f"the largest entry of sharp(g) for a float16 g of shape "
                                f"{tuple(g.shape)} ({self.name})")
        return cast_checked(-self.dual_norm(g) * self.lmo(g), g.dtype,
                            f"the largest entry of sharp(g) for g of shape {tuple(g.shape)} "
                            f"({self.name})")

    def dual_lmo(self, x: Any, radius: float = 1.0):
        """Minimiser of ``<x, s>`` over the dual ball ``{||s||_* <= radius}``.

        ``<x, dual_lmo(x)> = -radius * ||x||`` (dual of dual, docs/norms.md section
        5 item 8).  ``dual_lmo(0) = 0``.
        """
        return self._scaled_direction(x, "x", radius, self.geometry.dual_maximizer, 1)

    # -- variants ---------------------------------------------------------------
    def with_orthogonalizer(self, orthogonalizer: Callable[[Any], Any] | str) -> "Norm":
        """Same norm with a different polar-factor routine in its LMO (``geometry.orthogonalizable``).

        ``orthogonalizer`` is a callable ``G -> approx U_r V_r^T`` or a name known
        to :func:`gluon_ref.polar.get_orthogonalizer`.  Norm values stay exact.
        """
        if not self.geometry.orthogonalizable:
            raise ValueError(
                f"norm {self.name!r} has no spectral LMO (a polar factor); orthogonalizers apply to "
                f"{', '.join(n for n, e in NORM_CATALOGUE.items() if e.geometry.orthogonalizable)}"
            )
        if isinstance(orthogonalizer, str):
            from .polar import get_orthogonalizer

            orthogonalizer = get_orthogonalizer(orthogonalizer)
        if not callable(orthogonalizer):
            raise TypeError(f"orthogonalizer must be callable or a name, got {orthogonalizer!r}")
        return replace(self, geometry=self.geometry.with_orthogonalizer(orthogonalizer))

    def transposed(self) -> "Norm":
        """Same norm applied to ``x^T`` (embeddings stored as (V, d)); 2-D only."""
        if self.ndims != (2,):
            raise ValueError(f"norm {self.name!r} is not a 2-D matrix norm; transpose needs one")
        return replace(self, transpose=not self.transpose)


def _check_radius(radius) -> float:
    # float("1.5") and float(True) succeed, so strings and booleans are refused by type first
    if isinstance(radius, (bool, str, bytes)) or not isinstance(radius, numbers.Real) and not (
            hasattr(radius, "shape") and tuple(radius.shape) == ()):
        raise TypeError(f"radius must be a real number, got {type(radius).__name__} {radius!r}")
    try:
        r = float(radius)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"radius must be a real number, got {radius!r}") from exc
    if not math.isfinite(r) or r < 0:
        raise ValueError(f"radius must be finite and >= 0, got {radius!r}")
    return r


# -- the catalogue ---------------------------------------------------------------

_SCION = "Scion, arXiv 2502.07529 (LIONS-EPFL/scion)"
_ANTHOLOGY = "Old Optimizer, New Norm, arXiv 2409.20325"
_ANY = (1, 2, 3, 4)


def _m(shape):
    return _matrix_shape(shape)[0]


def _n(shape):
    return _matrix_shape(shape)[1]


def _size(shape):
    return math.prod(shape)


def _conv_factor(shape):
    # (c_out, c_in, k[, k]): ||A|| = K * sqrt(c_in / c_out) * ||mat(A)||_2, K = k*k (or k).
    c_out, c_in, taps = shape[0], shape[1], math.prod(shape[2:])
    return taps * math.sqrt(c_in / c_out)


_ENTRIES = [
    Norm("frobenius", Euclidean(), lambda s: 1.0, _ANY,
         "||A||_F (entrywise l2); dual ||S||_F; lmo -S/||S||_F",
         "docs/norms.md 2a; layer-wise normalized GD"),
    Norm("rms", Euclidean(), lambda s: 1.0 / math.sqrt(_size(s)), (1,),
         "||a||_2/sqrt(d) (BiasRMS); dual sqrt(d)||s||_2; lmo -sqrt(d) s/||s||_2",
         f"docs/norms.md 2a; {_SCION} BiasRMS"),
    Norm("linf", EntryMax(), lambda s: 1.0, _ANY,
         "max|a_i| (entrywise); dual sum|s_i|; lmo -sign(s)",
         f"docs/norms.md 2a; signGD, {_ANTHOLOGY}"),
    Norm("l1", DualOf(EntryMax()), lambda s: 1.0, _ANY,
         "sum|a_i|; dual max|s_i|; lmo -sign(s_i*) e_i* (first argmax)",
         "docs/norms.md 2a"),
    Norm("spectral", Spectral(), lambda s: 1.0, (2,),
         "sigma_max(A) (2->2); dual nuclear; lmo -U_r V_r^T",
         "docs/norms.md 2b; Muon (idealised)"),
    Norm("rms_to_rms", Spectral(), lambda s: math.sqrt(_n(s) / _m(s)), (2,),
         "sqrt(n/m) sigma_max(A); dual sqrt(m/n) sum sigma; lmo -sqrt(m/n) U_r V_r^T",
         f"docs/norms.md 2b; {_SCION} Spectral; Gluon arXiv 2505.13416"),
    Norm("muon_spectral", Spectral(), lambda s: 1.0 / max(1.0, math.sqrt(_m(s) / _n(s))), (2,),
         "sigma_max(A)/max(1, sqrt(m/n)); lmo -max(1, sqrt(m/n)) U_r V_r^T",
         "docs/norms.md 2b; KellerJordan/Muon, torch.optim.Muon 'original'"),
    Norm("l2_to_rms", Spectral(), lambda s: 1.0 / math.sqrt(_m(s)), (2,),
         "sigma_max(A)/sqrt(m); lmo -sqrt(m) U_r V_r^T",
         f"docs/norms.md 2b; {_SCION} Spectral(normalized=False)"),
    Norm("nuclear", DualOf(Spectral()), lambda s: 1.0, (2,),
         "sum sigma_i(A); dual sigma_max; lmo -u_1 v_1^T",
         "docs/norms.md 2b"),
    Norm("colnorm", ColumnL2(), lambda s: 1.0 / math.sqrt(_m(s)), (2,),
         "max_j ||A_:j||_2/sqrt(m) (1->RMS); dual sqrt(m) sum_j ||S_:j||_2; "
         "lmo column j -sqrt(m) S_:j/||S_:j||_2",
         f"docs/norms.md 2b; {_SCION} ColNorm"),
    Norm("colnorm_normalized", ColumnL2(), lambda s: _n(s) / math.sqrt(_m(s)), (2,),
         "n max_j ||A_:j||_2/sqrt(m); lmo column j -(sqrt(m)/n) S_:j/||S_:j||_2",
         f"docs/norms.md 2b; {_SCION} ColNorm(normalized=True)"),
    Norm("l1_to_l2", ColumnL2(), lambda s: 1.0, (2,),
         "max_j ||A_:j||_2 (1->l2); dual sum_j ||S_:j||_2; lmo column j -S_:j/||S_:j||_2",
         "docs/norms.md 2b"),
    Norm("rownorm", Transposed(ColumnL2()), lambda s: math.sqrt(_n(s)), (2,),
         "sqrt(n) max_i ||A_i:||_2 (RMS->inf); dual sum_i ||S_i:||_2/sqrt(n); "
         "lmo row i -S_i:/(sqrt(n) ||S_i:||_2)",
         f"docs/norms.md 2b; {_SCION} RowNorm"),
    Norm("l2_to_linf", Transposed(ColumnL2()), lambda s: 1.0, (2,),
         "max_i ||A_i:||_2 (l2->inf); dual sum_i ||S_i:||_2; lmo row i -S_i:/||S_i:||_2",
         f"docs/norms.md 2b; {_SCION} RowNorm(normalized=False)"),
    Norm("max_entry", EntryMax(), lambda s: 1.0, (2,),
         "max_ij |A_ij| (1->inf); dual sum_ij |S_ij|; lmo -sign(S)",
         f"docs/norms.md 2b; {_SCION} Sign(normalized=False)"),
    Norm("sign", EntryMax(), lambda s: float(_n(s)), (2,),
         "n max_ij |A_ij| (normalized Sign); dual sum_ij |S_ij|/n; lmo -sign(S)/n",
         f"docs/norms.md 2b; {_SCION} Sign(); Gluon arXiv 2505.13416 tied embedding"),
    Norm("linf_to_linf", RowL1(), lambda s: 1.0, (2,),
         "max_i sum_j |A_ij| (inf->inf); dual sum_i max_j |S_ij|; lmo row i -sign(S_ij*) e_j*",
         "docs/norms.md 2b (completeness)"),
    Norm("spectral_conv", Spectral(), _conv_factor, (3, 4),
         "k^2 sqrt(c_in/c_out) ||mat(A)||_2, mat = reshape(c_out, c_in k k); "
         "lmo -(sqrt(c_out/c_in)/k^2) polar(mat(S)) reshaped back",
         f"docs/norms.md 2b; {_SCION} SpectralConv"),
]

#: name -> Norm, the catalogue of docs/norms.md section 2.
NORM_CATALOGUE: dict[str, Norm] = {e.name: e for e in _ENTRIES}

_ALIASES = {
    "euclidean": "frobenius",
    "l2": "frobenius",
    "bias_rms": "rms",
    "l_inf": "linf",
    "l_1": "l1",
    "2->2": "spectral",
    "rms->rms": "rms_to_rms",
    "muon": "muon_spectral",
    "1->rms": "colnorm",
    "rms->inf": "rownorm",
    "1->inf": "max_entry",
    "normalized_sign": "sign",
    "conv": "spectral_conv",
}


def available_norms() -> list[str]:
    """Sorted catalogue names (aliases excluded)."""
    return sorted(NORM_CATALOGUE)


def get_norm(name: str | Norm, *, orthogonalizer=None, transpose: bool = False) -> Norm:
    """Look a norm up by catalogue name or alias (case-insensitive).

    ``orthogonalizer`` (orthogonalizable geometries only) replaces the exact polar factor
    in the LMO; ``transpose=True`` applies a 2-D norm to ``x^T`` (docs/norms.md
    section 1, embeddings).  A :class:`Norm` passes through unchanged apart
    from those options.  Unknown names raise ``ValueError`` listing the valid
    ones.
    """
    if isinstance(name, Norm):
        entry = name
    else:
        if not isinstance(name, str):
            raise TypeError(f"norm name must be a string or Norm, got {type(name).__name__}")
        key = name.strip().lower()
        key = _ALIASES.get(key, key)
        if key not in NORM_CATALOGUE:
            raise ValueError(
                f"unknown norm {name!r}; valid names: {', '.join(available_norms())} "
                f"(aliases: {', '.join(sorted(_ALIASES))})"
            )
        entry = NORM_CATALOGUE[key]
    if orthogonalizer is not None:
        entry = entry.with_orthogonalizer(orthogonalizer)
    if transpose:
        entry = entry.transposed()
    return entry


@dataclass(frozen=True)
class ProductNorm:
    """Layer-wise product norm ``||w|| = max_l ||w_l||_l / rho_l`` (docs/norms.md section 2b and section 5 item 6).

    Its dual is ``sum_l rho_l ||g_l||_{l,*}`` and its LMO is block-wise,
    ``lmo(g)_l = rho_l lmo_l(g_l)``.  ``layers`` maps a layer name to
    ``(norm, rho_l)``; points are mappings with the same keys.
    """

    layers: Mapping[str, tuple[Norm, float]]

    def __post_init__(self):
        for key, (norm, rho) in self.layers.items():
            if not isinstance(norm, Norm):
                raise TypeError(f"layer {key!r}: expected a Norm, got {type(norm).__name__}")
            if not (math.isfinite(rho) and rho > 0):
                raise ValueError(f"layer {key!r}: radius rho must be finite and > 0, got {rho}")

    def _check_keys(self, x: Mapping[str, Any]) -> None:
        missing = set(self.layers) - set(x)
        extra = set(x) - set(self.layers)
        if missing or extra:
            raise ValueError(
                f"layer names do not match: missing {sorted(missing)}, unexpected {sorted(extra)}"
            )

    def norm(self, x: Mapping[str, Any]):
        self._check_keys(x)
        return max(float(n.norm(x[k])) / rho for k, (n, rho) in self.layers.items())

    def dual_norm(self, g: Mapping[str, Any]):
        self._check_keys(g)
        return sum(rho * float(n.dual_norm(g[k])) for k, (n, rho) in self.layers.items())

    def lmo(self, g: Mapping[str, Any]) -> dict[str, Any]:
        self._check_keys(g)
        return {k: n.lmo(g[k], radius=rho) for k, (n, rho) in self.layers.items()}
