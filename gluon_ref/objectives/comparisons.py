"""Comparison constants between a catalogue norm and the Frobenius and spectral norms."""

from __future__ import annotations

import math

from ..norms import Norm, _matrix_shape, get_norm

__all__ = ["norm_comparisons", "base_geometry"]


#: base geometry of each catalogue norm (the scale factor comes from Norm.scale)
BASE_GEOMETRY = {
    "frobenius": "fro", "rms": "fro",
    "linf": "entrymax", "max_entry": "entrymax", "sign": "entrymax",
    "l1": "l1",
    "spectral": "spectral", "rms_to_rms": "spectral", "muon_spectral": "spectral",
    "l2_to_rms": "spectral",
    "nuclear": "nuclear",
    "colnorm": "col", "colnorm_normalized": "col", "l1_to_l2": "col",
    "rownorm": "row", "l2_to_linf": "row",
}


def base_geometry(norm: Norm) -> str:
    """Base geometry key of a catalogue norm; transposed norms swap col/row."""
    try:
        base = BASE_GEOMETRY[norm.name]
    except KeyError:
        raise ValueError(
            f"norm {norm.name!r} has no derived constants here; supported: "
            f"{', '.join(sorted(BASE_GEOMETRY))}"
        ) from None
    if norm.transpose:
        base = {"col": "row", "row": "col"}.get(base, base)
    return base


def norm_comparisons(norm: str | Norm, shape: tuple[int, ...]) -> tuple[float, float]:
    """``(kappa, nu)`` with ``||D||_F <= kappa ||D||`` and ``||D||_2 <= nu ||D||``.

    Both are exact suprema (attained), for the base geometries on an m x n view:

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
    ====================  ===============  ===============  ===========================

    Proofs: ||D||_F^2 = sum of squared singular values <= rank * sigma_max^2;
    ||D||_F^2 = sum_j ||D_:j||^2 <= n max_j ||D_:j||^2 and ||D||_2 <= ||D||_F;
    entrywise, ||D||_2 <= ||D||_F <= sqrt(mn) max|D_ij|; ||D||_2 <= ||D||_F <=
    ||D||_1 (entrywise); nuclear >= Frobenius >= spectral.  The scaled-norm
    rule (LMOS.md section 1) divides both by ``c`` for ``||.|| = c ||.||_base``.
    By LMOS.md section 5 item 7 the duals satisfy ``||G||_* <= kappa ||G||_F``
    and ``||G||_* <= nu ||G||_nuc``.
    """
    n_obj = get_norm(norm)
    m, n = _matrix_shape(tuple(shape))
    base = base_geometry(n_obj)
    c = n_obj.scale(tuple(shape))
    kappa, nu = {
        "fro": (1.0, 1.0),
        "spectral": (math.sqrt(min(m, n)), 1.0),
        "nuclear": (1.0, 1.0),
        "entrymax": (math.sqrt(m * n), math.sqrt(m * n)),
        "l1": (1.0, 1.0),
        "col": (math.sqrt(n), math.sqrt(n)),
        "row": (math.sqrt(m), math.sqrt(m)),
    }[base]
    return kappa / c, nu / c
