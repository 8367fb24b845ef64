"""The report folder never loses data (issue 13, item 8): validated first, atomic, link-safe, one set.

Each test names the defect of the old writer it would catch.
"""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import pytest

from proofs_check.cli import main
from proofs_check.output import MANIFEST, OutputError, OutputFolder

ONE_CLAIM = ["--only", "lmo.identities.spectral_conv", "--no-figures"]


def _verify(tmp_path, *extra):
    return main(["verify", *ONE_CLAIM, *extra])


def test_out_that_is_a_file_fails_before_any_claim_runs(tmp_path, monkeypatch, capsys):
    """Old writer: ran every claim, then a traceback from mkdir. Now: exit 2, no claim run."""
    target = tmp_path / "report"
    target.write_text("mine")
    ran = []
    monkeypatch.setattr("proofs_check.runner.run_claims", lambda *a, **k: ran.append(1) or [])
    assert main(["verify", "--out", str(target)]) == 2
    assert ran == []
    assert "exists and is not a folder" in capsys.readouterr().err
    assert target.read_text() == "mine"


def test_figures_that_is_a_file_fails_first(tmp_path, monkeypatch, capsys):
    (tmp_path / "figures").write_text("not a folder")
    ran = []
    monkeypatch.setattr("proofs_check.runner.run_claims", lambda *a, **k: ran.append(1) or [])
    assert main(["verify", "--out", str(tmp_path)]) == 2
    assert ran == []
    assert "figures" in capsys.readouterr().err


def test_unwritable_folder_fails_first(tmp_path, monkeypatch):
    """Root ignores permission bits, so the refusal of the filesystem is simulated at its source."""
    import tempfile

    def refuse(*a, **k):
        raise PermissionError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match="not writable.*Read-only"):
        OutputFolder.prepare(tmp_path / "r", command="verify")


def test_empty_out_is_refused_and_cwd_untouched(tmp_path, monkeypatch, capsys):
    """Old writer: --out "" wrote report.md/report.json into the current folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "report.md").write_text("my own notes")
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--out", "", *ONE_CLAIM])
    assert exc.value.code == 2
    assert "must not be empty" in capsys.readouterr().err
    assert (tmp_path / "report.md").read_text() == "my own notes"
    with pytest.raises(OutputError, match="must not be empty"):
        OutputFolder.prepare("", command="verify")


def test_negative_seed_is_a_usage_error(tmp_path, capsys):
    """Old: every claim became 'error' and an existing report was overwritten."""
    out = tmp_path / "r"
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--seed", "-1", "--out", str(out)])
    assert exc.value.code == 2
    assert "seed must be >= 0" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("cmd", [["equivalence", "--seed", "-3"], ["norms", "--seed", "-3"],
                                 ["polar", "--seed", "-3"], ["norms", "--trials", "0"],
                                 ["polar", "--repeats", "0"], ["polar", "--sweep-steps", "-1"]])
def test_other_commands_reject_bad_counts_without_traceback(cmd, capsys):
    with pytest.raises(SystemExit) as exc:
        main(cmd)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error: argument" in err


def test_rerun_replaces_own_files_as_a_set_and_keeps_others(tmp_path):
    """A re-run removes the stale figures the earlier run wrote, and nothing else."""
    out = tmp_path / "r"
    assert main(["verify", "--only", "lmo.identities.spectral*", "--out", str(out)]) == 0
    figs = {p.name for p in (out / "figures").iterdir()}
    assert {"lmo.identities.spectral.png", "lmo.identities.spectral_conv.png"} <= figs
    (out / "notes.txt").write_text("keep me")
    (out / "figures" / "my_plot.png").write_bytes(b"mine")
    assert main(["verify", "--only", "lmo.identities.spectral_conv", "--out", str(out)]) == 0
    left = {p.name for p in (out / "figures").iterdir()}
    assert "lmo.identities.spectral.png" not in left        # stale, written by the project
    assert "lmo.identities.spectral_conv.png" in left
    assert "my_plot.png" in left                            # not ours: untouched
    assert (out / "notes.txt").read_text() == "keep me"
    manifest = json.loads((out / MANIFEST).read_text())
    assert "figures/lmo.identities.spectral.png" not in manifest["files"]
    assert "report.json" in manifest["files"]


def test_rerun_says_what_it_replaced(tmp_path, capsys):
    out = tmp_path / "r"
    _verify(tmp_path, "--out", str(out))
    capsys.readouterr()
    _verify(tmp_path, "--out", str(out))
    assert "replaced the earlier output" in capsys.readouterr().out


def test_symlinked_report_json_does_not_write_outside(tmp_path):
    """Old writer: Path.write_text followed the link and overwrote its target."""
    out = tmp_path / "r"
    out.mkdir()
    outside = tmp_path / "precious.txt"
    outside.write_text("do not touch")
    (out / "report.json").symlink_to(outside)
    assert _verify(tmp_path, "--out", str(out)) == 0
    assert outside.read_text() == "do not touch"
    assert not (out / "report.json").is_symlink()
    assert json.loads((out / "report.json").read_text())["claims"]


def test_linked_subfolder_leaving_the_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "r"
    out.mkdir()
    (out / "figures").symlink_to(elsewhere)
    with pytest.raises(OutputError, match="links outside"):
        OutputFolder.prepare(out, command="verify", subdirs=("figures",))
    folder = OutputFolder.prepare(out, command="verify")
    with pytest.raises(OutputError, match="outside the output folder"):
        folder.write_text("figures/x.png", "x")
    with pytest.raises(OutputError, match="relative path"):
        folder.write_text("../x.txt", "x")
    assert list(elsewhere.iterdir()) == []


def test_write_is_atomic(tmp_path, monkeypatch):
    """A failure half-way leaves the previous file intact and no temporary file behind."""
    import os

    folder = OutputFolder.prepare(tmp_path, command="t")
    folder.write_text("a.txt", "old")
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        folder.write_text("a.txt", "new")
    assert (tmp_path / "a.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_polar_out_is_checked_before_measuring(tmp_path, capsys):
    target = tmp_path / "f"
    target.write_text("x")
    assert main(["polar", "--out", str(target)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err


def test_list_into_closed_pipe_exits_quietly():
    """Old: `verify --list | head` printed a BrokenPipeError traceback."""
    proc = subprocess.run(
        f"{sys.executable} -m proofs_check verify --list | head -1",
        shell=True, capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_bench_out_is_checked_before_timing(tmp_path, capsys):
    """A folder or a missing parent as `bench --out FILE` fails at once, not after the timing."""
    assert main(["bench", "--out", str(tmp_path)]) == 2
    assert "is an existing folder" in capsys.readouterr().err
    assert main(["bench", "--out", str(tmp_path / "missing" / "b.json")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_single_file_write_is_atomic_and_replaces_links(tmp_path):
    from proofs_check.output import write_file_atomically

    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    link = tmp_path / "bench.json"
    link.symlink_to(outside)
    write_file_atomically(link, "{}\n")
    assert outside.read_text() == "keep" and not link.is_symlink() and link.read_text() == "{}\n"
