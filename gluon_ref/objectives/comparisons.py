"""Comparison constants between a catalogue norm and the Frobenius and spectral norms.

The constants of a norm ``||.|| = c ||mat(.)||_base`` are those of its base
geometry on the matrix view (:meth:`gluon_ref.geometry.Geometry.comparison`,
where each is derived and shown attained), rescaled by the shape factor ``c``
(docs/norms.md section 1).
"""

from __future__ import annotations

from ..geometry import Comparison
from ..norms import Norm, _matrix_shape, get_norm

__all__ = ["norm_comparisons", "norm_comparison"]


def norm_comparison(norm: str | Norm, shape: tuple[int, ...]) -> Comparison:
    """All four exact constants of :class:`~gluon_ref.geometry.Comparison` for ``norm`` on ``shape``.

    ``shape`` is the array's shape (conv kernels included); the base geometry acts
    on its matrix view ``(d_out, prod(rest))`` (:meth:`~gluon_ref.norms.Norm.matrix_geometry`).
    """
    n_obj = get_norm(norm)
    shape = tuple(int(d) for d in shape)
    m, n = _matrix_shape(shape)
    return n_obj.matrix_geometry().comparison(m, n).scaled(n_obj.shape_factor(shape))


def norm_comparisons(norm: str | Norm, shape: tuple[int, ...]) -> tuple[float, float]:
    """``(kappa, nu)`` with ``||D||_F <= kappa ||D||`` and ``||D||_2 <= nu ||D||``, both attained.

    ``kappa = sup ||D||_F / ||D||`` and ``nu = sup ||D||_2 / ||D||`` (the
    ``fro_over_norm`` and ``spectral_over_norm`` fields of :func:`norm_comparison`).
    On an ``m x n`` view the base geometries give:

    ====================  ===============  ===============  ===========================
    base norm             kappa (to F)     nu (to spectral)  attained at
    ====================  ===============  ===============  ===========================
    Frobenius             1                1                any rank-one D
    spectral              sqrt(min(m,n))   1                semi-orthogonal D
    nuclear               1                1                rank-one D
    entrywise max         sqrt(mn)         sqrt(mn)         all-ones D
    entrywise l1          1                1                a single entry
    1->l2 (max col l2)    sqrt(n)          sqrt(n)          u 1^T with ||u|| = 1
    l2->inf (max row l2)  sqrt(m)          sqrt(m)          1 v^T with ||v|| = 1
    inf->inf (row l1)     sqrt(m)          sqrt(m)          1 e_1^T
    ====================  ===============  ===============  ===========================

    and both are divided by ``c`` for ``||.|| = c ||.||_base``.  By docs/norms.md
    section 5 item 7 the duals satisfy ``||G||_* <= kappa ||G||_F`` and
    ``||G||_* <= nu ||G||_nuc``.
    """
    k = norm_comparison(norm, shape)
    return k.fro_over_norm, k.spectral_over_norm
