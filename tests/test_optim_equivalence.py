"""The equivalence table: presets in their own form vs the generic Gluon step (docs/theory.md 3, 9-11)."""

from __future__ import annotations

import numpy as np
import pytest

from gluon_ref.optim import (
    LAMB,
    LARS,
    Adam,
    GluonMVR,
    Muon,
    NormalizedGD,
    NorMuonCode,
    NorMuonPaper,
    Scion,
    Shampoo,
    SignSGD,
)
from gluon_ref.polar import polar_exact
from proofs_check.cli import main as cli_main
from proofs_check.equivalence import CASES, SHAPES, build_table, run_pair

EQUAL = [c.name for c in CASES if c.expect == "equal"]
DIFFER = [c.name for c in CASES if c.expect == "differ"]


@pytest.fixture(scope="module")
def table():
    return {r.name: r for r in build_table(seed=0, steps=20)}


def test_table_has_every_family(table):
    for name in ("muon", "scion_llm", "unscion_llm", "scion_cnn", "unscion_cnn", "normalized_gd",
                 "sign_sgd", "lars", "lamb", "adam_sign", "shampoo_rect", "normuon_paper",
                 "normuon_code", "gluon_mvr"):
        assert name in table
    assert len(DIFFER) >= 4


@pytest.mark.parametrize("name", EQUAL)
def test_equal_rows_within_1e12(table, name):
    row = table[name]
    assert row.rel_diff <= row.tol, row
    if row.name != "shampoo_square":  # the Gram-matrix row carries a kappa^2 bound (printed)
        assert row.tol == 1e-12


@pytest.mark.parametrize("name", DIFFER)
def test_negative_controls_differ(table, name):
    """The comparison can fail: configurations that are *not* the preset are caught."""
    assert table[name].rel_diff > 1e-6


def test_shampoo_rect_meets_strict_bound(table):
    # tall/wide gradients stay well conditioned here, so the kappa^2 bound is below 1e-12
    assert table["shampoo_rect"].rel_diff <= 1e-12


@pytest.mark.parametrize("seed", [1, 2])
def test_other_seeds(seed):
    rows = build_table(seed=seed, steps=20,
                       names=["muon", "scion_cnn", "lamb", "normuon_code", "ctrl_muon_vs_rms"])
    assert all(r.ok for r in rows), [r for r in rows if not r.ok]


def test_table_on_array_api_strict():
    import array_api_strict as xps

    rows = build_table(xp=xps, steps=6, names=["muon", "unscion_cnn", "shampoo_rect", "lars",
                                                "ctrl_adam_accum"])
    assert all(r.ok for r in rows), [r for r in rows if not r.ok]


# -- the presets' own as_gluon() correspondences agree too ----------------------------------

_AS_GLUON = [
    (Muon(lr=0.02, weight_decay=0.1), "matrices", False),
    (Muon(lr=0.02, weight_decay=0.0, nesterov=False), "matrices", False),
    (Muon(lr=0.02, weight_decay=0.05, adjust_lr_fn="match_rms_adamw", orthogonalizer=polar_exact),
     "matrices", False),
    (Scion(constrained=True, orthogonalizer=polar_exact), "llm", False),
    (Scion(constrained=False, assignment="cnn", lr=0.02, orthogonalizer=polar_exact), "cnn", False),
    (NormalizedGD(lr=0.05), "mixed", False),
    (SignSGD(lr=0.01, momentum=0.5), "mixed", False),
    (LARS(lr=1.0, momentum=0.0, weight_decay=0.0, trust_coefficient=0.01), "mixed", False),
    (LAMB(lr=0.01, betas=(0.0, 0.0), eps=0.0), "mixed", False),
    (Adam(lr=0.01, betas=(0.0, 0.0), eps=0.0), "mixed", False),
    (Shampoo(lr=0.05, decay=0.0, eps=0.0), "rect", False),
    (NorMuonPaper(lr=0.02, orthogonalizer=polar_exact), "wide", False),
    (NorMuonCode(lr=0.02, weight_decay=0.1, orthogonalizer=polar_exact), "wide", False),
    (GluonMVR(norms="frobenius", lr=0.03, a=0.3), "mixed", True),
]


@pytest.mark.parametrize("preset,shapes,prev", _AS_GLUON, ids=lambda v: getattr(v, "name", None))
def test_as_gluon_reproduces_preset(preset, shapes, prev):
    diff = run_pair(preset, preset.as_gluon, SHAPES[shapes], seed=3, steps=10, needs_prev=prev)
    assert diff <= 1e-12


@pytest.mark.parametrize("preset", [Adam(), Shampoo(), LARS(), LAMB()], ids=lambda p: p.name)
def test_as_gluon_refuses_when_not_an_lmo_method(preset):
    with pytest.raises(ValueError, match="only with"):
        preset.as_gluon({"w": np.ones((2, 2))})


def test_normuon_as_gluon_refuses_tall():
    with pytest.raises(ValueError, match="m <= n"):
        NorMuonPaper().as_gluon({"w": np.ones((5, 2))})


def test_cli_prints_table(capsys):
    rc = cli_main(["equivalence", "--steps", "3", "--rows", "muon", "adam_sign", "ctrl_adam_accum"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "muon" in out and "ctrl_adam_accum" in out and "3/3 rows as expected" in out
