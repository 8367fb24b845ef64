"""The layered-objective protocol and the validation of layered points.

A **layered point** is a mapping ``name -> array`` (docs/theory.md section 1: X =
(X_1, ..., X_p), one block per layer, PyTorch layout ``(d_out, d_in)``).  The
order of the layers is the order of :attr:`Objective.layers`; every returned
gradient is a ``dict`` in that order.  All arrays of one point share one
Array-API namespace and one real floating dtype; the objective's data are
moved to that namespace and dtype on first use (cached).

Protocol (:class:`Objective`)
-----------------------------
``layers``            ``dict[name, Block(shape, norm)]``: the block shapes
                      and the catalogue norm (:func:`gluon_ref.norms.get_norm`)
                      each block is posed in.
``value(X)``          ``f(X)`` as a Python float.
``grad(X)``           ``dict[name, grad_i f(X)]`` in ``X``'s namespace/dtype.
``value_and_grad(X, batch=None)``
                      both at once; ``batch`` (finite-sum objectives only) is an
                      index array selecting the samples of a minibatch, and the
                      result is the minibatch mean (an unbiased estimate when
                      the batch is drawn uniformly, see :mod:`.oracles`).
``hvp(X, V)``         Hessian-vector product ``dict[name, sum_j H_ij V_j]``
                      (exact where ``hvp_exact`` is True, otherwise a central
                      difference of gradients, :meth:`Objective.hvp_fd`).
``constants``         ``dict[name, LayerConstants]`` or ``None``: constants for
                      Assumption 1 (docs/theory.md section 4) that are *proved* in
                      the class docstring.  ``None`` for non-separable
                      objectives, for which Assumption 1 read literally cannot
                      hold (section 4 caveat); those provide
                      :meth:`Objective.local_constants` instead.
``separable``         True iff ``f(X) = sum_i f_i(X_i)``.
``lower_bound``       a proved lower bound of ``inf f`` (or ``None``).
``optimum``           ``inf f`` when known in closed form (or ``None``).
``n_samples``         number of samples of a finite-sum objective, else ``None``.
``initial_point(rng)`` a reproducible starting point (NumPy float64 by default).
``sample_point(rng, scale)``
                      a random point for tests, ``scale`` sets its magnitude.

Subclasses implement ``_value_and_grad(xp, X, batch)`` (returning a 0-D array
and a dict) and optionally ``_hvp(xp, X, V)`` and ``_check_domain(xp, X)``.

Bad input (DESIGN.md, "Conventions"): a point that is not a mapping raises
``TypeError``; missing or unexpected layers raise ``ValueError`` naming them;
a wrong shape raises ``ValueError`` naming the layer with the expected and
actual shapes; integer/complex dtypes raise ``TypeError``; NaN/inf entries and
points outside an objective's domain raise ``ValueError`` naming the layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..backend import (check_finite, check_float_array, frobenius_norm, namespace,
                       to_numpy)
from ..norms import Norm, _matrix_shape, get_norm
from .constants import LayerConstants, LocalConstants
from .datacache import DataCache

__all__ = [
    "DomainError",
    "Block",
    "Objective",
    "to_namespace",
    "layer_dual_norms",
    "sample_count",
]


def sample_count(Z, what: str) -> int:
    """``N``, the number of samples (columns) of ``Z``, checked to be at least 1.

    With ``N = 0`` every finite-sum objective is ``0/0``; the constants then come out
    non-finite and a later check would blame the wrong quantity.
    """
    n = int(np.shape(Z)[1]) if np.ndim(Z) == 2 else 0
    if n < 1:
        raise ValueError(f"{what} needs at least one sample (n_samples >= 1); got inputs of "
                         f"shape {tuple(np.shape(Z))}")
    return n

Point = Mapping[str, Any]


@dataclass(frozen=True)
class Block:
    """Shape of one block and the catalogue norm it is posed in."""

    shape: tuple[int, ...]
    norm: str

    def __post_init__(self):
        shape = tuple(int(d) for d in self.shape)
        if not shape or any(d <= 0 for d in shape):
            raise ValueError(f"layer shape must be non-empty with positive sizes, got {self.shape}")
        object.__setattr__(self, "shape", shape)
        n = get_norm(self.norm)  # raises for unknown names
        if len(shape) not in n.ndims:
            raise ValueError(
                f"norm {self.norm!r} accepts arrays with ndim in {n.ndims}, got shape {shape}"
            )

    @property
    def norm_obj(self) -> Norm:
        """The :class:`~gluon_ref.norms.Norm` of this block."""
        return get_norm(self.norm)

    @property
    def size(self) -> int:
        """Number of entries."""
        return math.prod(self.shape)


def to_namespace(X: Point, xp, dtype=None) -> dict[str, Any]:
    """Copy a layered point into namespace ``xp`` (and ``dtype``, default float64)."""
    dtype = xp.float64 if dtype is None else dtype
    return {k: xp.asarray(to_numpy(v), dtype=dtype) for k, v in X.items()}


def layer_dual_norms(obj: "Objective", G: Point) -> dict[str, float]:
    """``{name: ||G_i||_(i)*}`` as Python floats."""
    return {k: float(block.norm_obj.dual_norm(G[k])) for k, block in obj.layers.items()}


class DomainError(ValueError):
    """A point outside an objective's domain (a ``ValueError`` naming the layer)."""


class Objective(DataCache):
    """Base class of the layered objectives (see the module docstring).

    Subclasses set ``name``, ``layers`` (via :meth:`_set_layers`),
    ``separable`` and implement ``_value_and_grad``.
    """

    name: str = "objective"
    separable: bool = False
    hvp_exact: bool = False
    lower_bound: float | None = None
    optimum: float | None = None
    n_samples: int | None = None
    source: str = ""

    def __init__(self):
        self._layers: dict[str, Block] = {}
        self._cache: dict[tuple, Any] = {}

    # -- structure -------------------------------------------------------------
    def _set_layers(self, layers: Mapping[str, Block]) -> None:
        if not layers:
            raise ValueError("an objective needs at least one layer")
        for k, block in layers.items():
            if not isinstance(k, str) or not k:
                raise TypeError(f"layer names must be non-empty strings, got {k!r}")
            if not isinstance(block, Block):
                raise TypeError(f"layer {k!r}: expected a Block, got {type(block).__name__}")
        self._layers = dict(layers)

    @property
    def layers(self) -> dict[str, Block]:
        """``{name: Block(shape, norm)}`` in layer order."""
        return dict(self._layers)

    @property
    def constants(self) -> dict[str, LayerConstants] | None:
        """Proved Assumption 1 constants per layer, or ``None`` (non-separable)."""
        return None

    def local_constants(self, X: Point, box_radius: Mapping[str, float]) -> LocalConstants:
        """Block bounds ``h`` valid on the box ``||Y_j - X_j|| <= box_radius[j]`` (see LocalConstants).

        Separable objectives with constants valid for all steps derive it from the
        Hessian-form constants: ``h_ii = L0h + L1h * sup_box ||grad_i f||_*``
        is not available in closed form in general, so the base class only
        handles ``L1 = 0``; subclasses override.
        """
        consts = self.constants
        if consts is None:
            raise NotImplementedError(f"{self.name}: no local constants derived")
        names = tuple(self._layers)
        self._check_box_radius(box_radius)
        if any(c.L1 != 0 for c in consts.values()):
            raise NotImplementedError(f"{self.name}: local constants need L1 = 0")
        h = np.diag([consts[n].L0 for n in names])
        return LocalConstants(names, h, dict(box_radius), "separable: h = diag(L0)")

    def _check_box_radius(self, box_radius: Mapping[str, float]) -> None:
        missing = set(self._layers) - set(box_radius)
        extra = set(box_radius) - set(self._layers)
        if missing or extra:
            raise ValueError(f"box_radius: missing layers {sorted(missing)}, unexpected {sorted(extra)}")
        for k, r in box_radius.items():
            if not (math.isfinite(float(r)) and float(r) >= 0):
                raise ValueError(f"box_radius of layer {k!r} must be finite and >= 0, got {r}")

    # -- validation ---------------------------------------------------------------
    def check_point(self, X: Point, what: str = "X") -> tuple[Any, dict[str, Any]]:
        """Validate a layered point; return ``(xp, ordered dict)``.

        Raises ``TypeError`` (not a mapping, non-array or non-real-floating
        entries, mixed namespaces) or ``ValueError`` (missing/unexpected layers,
        wrong shape, mixed dtypes, non-finite entries, outside the domain).
        """
        if not isinstance(X, Mapping):
            raise TypeError(
                f"{what} must be a mapping layer name -> array with layers "
                f"{list(self._layers)}, got {type(X).__name__}"
            )
        missing = [k for k in self._layers if k not in X]
        extra = [k for k in X if k not in self._layers]
        if missing or extra:
            raise ValueError(
                f"{what} for objective {self.name!r}: missing layers {missing}, "
                f"unexpected layers {extra}; expected {list(self._layers)}"
            )
        out = {}
        for k, block in self._layers.items():
            a = X[k]
            check_float_array(a, f"{what}[{k!r}]")
            if tuple(a.shape) != block.shape:
                raise ValueError(
                    f"{what}[{k!r}] has shape {tuple(a.shape)}; objective {self.name!r} "
                    f"expects shape {block.shape} for layer {k!r}"
                )
            check_finite(a, f"{what}[{k!r}]")
            out[k] = a
        try:
            xp = namespace(*out.values())
        except TypeError as exc:
            raise TypeError(f"{what}: all layers must come from one array library ({exc})") from exc
        dtypes = {str(a.dtype) for a in out.values()}
        if len(dtypes) > 1:
            raise ValueError(f"{what}: layers have mixed dtypes {sorted(dtypes)}; use one dtype")
        if what == "X":
            self._check_domain(xp, out)
        return xp, out

    def _check_domain(self, xp, X: dict[str, Any]) -> None:
        """Raise :class:`DomainError` naming the layer if ``X`` is outside the domain (default:
        none)."""

    def in_domain(self, X: Point) -> bool:
        """True iff :meth:`check_point` accepts ``X`` (shape errors still raise)."""
        try:
            self.check_point(X)
        except DomainError:
            return False
        return True

    # -- data movement ----------------------------------------------------------------
    def _batch(self, xp, like, batch):
        """Validate a minibatch index array; return it in ``xp`` (int64) or None."""
        if batch is None:
            return None
        if self.n_samples is None:
            raise ValueError(f"objective {self.name!r} is not a finite sum; batch must be None")
        idx = np.asarray(to_numpy(batch))
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"batch must be a non-empty 1-D integer index array, got {idx!r}")
        if idx.min() < 0 or idx.max() >= self.n_samples:
            raise ValueError(
                f"batch indices must lie in [0, {self.n_samples}), got range "
                f"[{idx.min()}, {idx.max()}]"
            )
        return xp.asarray(idx.astype(np.int64), device=getattr(like, "device", None))

    # -- evaluation ---------------------------------------------------------------------
    def _value_and_grad(self, xp, X: dict[str, Any], batch):  # pragma: no cover - interface
        raise NotImplementedError

    def _hvp(self, xp, X, V):
        raise NotImplementedError

    def value_and_grad(self, X: Point, batch=None) -> tuple[float, dict[str, Any]]:
        """``(f(X), {name: grad_i f(X)})``; with ``batch``, the minibatch mean over those samples."""
        xp, Xc = self.check_point(X)
        b = self._batch(xp, next(iter(Xc.values())), batch)
        val, g = self._value_and_grad(xp, Xc, b)
        v = float(val)
        if not math.isfinite(v):
            raise ValueError(f"{self.name}: non-finite value at this point (overflow?)")
        for k, gk in g.items():
            check_finite(gk, f"grad[{k!r}] of {self.name}")
        return v, {k: g[k] for k in self._layers}

    def value(self, X: Point, batch=None) -> float:
        """``f(X)`` as a Python float."""
        return self.value_and_grad(X, batch)[0]

    def grad(self, X: Point, batch=None) -> dict[str, Any]:
        """``{name: grad_i f(X)}``."""
        return self.value_and_grad(X, batch)[1]

    def hvp(self, X: Point, V: Point) -> dict[str, Any]:
        """Hessian-vector product ``(H V)_i = sum_j H_ij(X) V_j``.

        Exact where ``hvp_exact``; otherwise the central difference
        :meth:`hvp_fd`.
        """
        xp, Xc = self.check_point(X)
        _, Vc = self.check_point(V, "V")
        if self.hvp_exact:
            out = self._hvp(xp, Xc, Vc)
            return {k: out[k] for k in self._layers}
        return self.hvp_fd(Xc, Vc)

    def hvp_fd(self, X: Point, V: Point, h: float | None = None) -> dict[str, Any]:
        """Central difference ``(grad f(X + hV) - grad f(X - hV)) / (2h)``.

        Truncation error ``O(h^2)`` (third derivatives), rounding ``O(eps/h)``;
        the default ``h = eps^(1/3) * max(1, ||X||_F) / max(||V||_F, tiny)``
        balances the two (Nocedal & Wright, section 8.1).
        """
        xp, Xc = self.check_point(X)
        _, Vc = self.check_point(V, "V")
        some = next(iter(Xc.values()))
        eps = float(xp.finfo(some.dtype).eps)
        if h is None:
            xn = math.hypot(*(float(frobenius_norm(a)) for a in Xc.values()))
            vn = math.hypot(*(float(frobenius_norm(a)) for a in Vc.values()))
            if vn == 0:
                return {k: xp.zeros_like(a) for k, a in Xc.items()}
            h = eps ** (1 / 3) * max(1.0, xn) / vn
        gp = self.grad({k: Xc[k] + h * Vc[k] for k in Xc})
        gm = self.grad({k: Xc[k] - h * Vc[k] for k in Xc})
        return {k: (gp[k] - gm[k]) / (2 * h) for k in self._layers}

    # -- points -------------------------------------------------------------------------
    def sample_point(self, rng: np.random.Generator, scale: float = 1.0, xp=np,
                     dtype=None) -> dict[str, Any]:
        """Random point: each block ``scale * N(0, 1) / sqrt(fan_in)`` entries (PyTorch-like)."""
        _check_rng(rng)
        out = {}
        for k, block in self._layers.items():
            fan_in = _matrix_shape(block.shape)[1] if len(block.shape) > 1 else block.shape[0]
            out[k] = scale * rng.standard_normal(block.shape) / math.sqrt(fan_in)
        return to_namespace(out, xp, dtype)

    def initial_point(self, rng: np.random.Generator | int = 0, xp=np, dtype=None) -> dict[str, Any]:
        """Reproducible starting point (default: :meth:`sample_point` with scale 1)."""
        rng = np.random.default_rng(rng) if isinstance(rng, (int, np.integer)) else rng
        return self.sample_point(rng, 1.0, xp, dtype)

    def zeros(self, xp=np, dtype=None) -> dict[str, Any]:
        """The all-zero point in ``xp`` (float64 by default)."""
        dtype = xp.float64 if dtype is None else dtype
        return {k: xp.zeros(s.shape, dtype=dtype) for k, s in self._layers.items()}

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}:{s.shape}/{s.norm}" for k, s in self._layers.items())
        return f"<{type(self).__name__} {self.name!r} [{shapes}]>"


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
