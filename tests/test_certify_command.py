"""``gluon-ref certify``: every catalogue entry gets a row; custom lists; errors; JSON."""

from __future__ import annotations

import json

import pytest

from gluon_ref.polar.catalogue import available_presets
from proofs_check.cli import main


def test_certify_prints_every_catalogue_entry(capsys, tmp_path):
    assert main(["certify", "--out", str(tmp_path), "--no-plots"]) == 0
    out_json = tmp_path / "certify.json"
    out = capsys.readouterr().out
    for key in available_presets():
        assert key in out
    assert "sign flip at sigma/s > 0.8837" in out  # nvidia_aol_4
    data = json.loads(out_json.read_text())
    rows = {r["name"]: r for r in data["certificates"]}
    assert set(rows) == set(available_presets())
    assert rows["nvidia_aol_4"]["flip_threshold"] == pytest.approx(0.8837, abs=1e-4)
    assert rows["torch_muon"]["band_lo"] == pytest.approx(0.4705, abs=1e-4)
    assert rows["turbo_muon"]["kind"] == "matrix test"


def test_certify_custom_coefficients_markdown_and_flip_exit(capsys):
    assert main(["certify", "--coefficients", "4.0098,-7.0585,2.4635", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| preset |") and "sign flip" in out
    assert main(["certify", "--coefficients", "4.0098,-7.0585,2.4635", "--fail-on-flip"]) == 1
    assert main(["certify", "muon", "--steps", "5", "--fail-on-flip"]) == 0


def test_certify_plot_and_lmo(capsys, tmp_path):
    assert main(["certify", "nvidia_aol_4", "dion_power_iteration", "--lmo", "--out",
                 str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "descent guaranteed" in out and "bfloat16-fused" in out
    assert (tmp_path / "certify_nvidia_aol_4.png").stat().st_size > 1000


def test_certify_bad_names_exit_2(capsys, tmp_path):
    assert main(["certify", "no_such_preset"]) == 2
    assert "catalogue keys" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["certify", "muon", "--steps", "0"])
    a_file = tmp_path / "f.txt"
    a_file.write_text("not a folder")
    assert main(["certify", "muon", "--out", str(a_file)]) == 2  # refused before any work
    with pytest.raises(SystemExit):
        main(["certify", "--coefficients", "a,b"])
