"""The verification runner, report and ``gluon-ref verify`` command (issue: verification report)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import proofs_check.claims as claims_pkg
from proofs_check.claims import (CheckContext, Claim, Dropped, Instance, SymbolicResult,
                                 all_claims)
from proofs_check.cli import main
from proofs_check.report import to_json
from proofs_check.runner import exit_status, run_claim, run_claims, select


def _claim(numeric=None, symbolic=None, **kw):
    base = dict(id="test.claim", statement="s", latex="x", source="test", status="elementary")
    base.update(kw)
    return Claim(numeric=numeric, symbolic=symbolic, **base)


def test_deliberately_wrong_claim_is_reported_failing():
    """'sum of singular values <= largest singular value' is false for rank >= 2."""
    def check(ctx):
        rng = ctx.rng("wrong")
        out = []
        for k in range(5):
            s = np.linalg.svd(rng.standard_normal((4, 3)), compute_uv=False)
            out.append(Instance(f"m{k}", float(s.sum()), float(s.max()), "<=", 1e-12))
        return out

    result = run_claim(_claim(check, id="wrong.nuclear_le_spectral"), CheckContext())
    assert result.verdict == "fails"
    assert exit_status([result]) == 1


def test_wrong_symbolic_proof_fails_the_claim():
    result = run_claim(_claim(symbolic=lambda: SymbolicResult(False, "does not simplify")),
                       CheckContext())
    assert result.verdict == "fails" and exit_status([result]) == 1


def test_negative_control_that_finds_nothing_is_missed():
    ctl = _claim(lambda ctx: [Instance("fine", 0.0, 1.0, "<=", hypothesis_held=False)],
                 expect="violated", breaks="h")
    result = run_claim(ctl, CheckContext())
    assert result.verdict == "missed" and exit_status([result]) == 1
    found = _claim(lambda ctx: [Instance("bad", 2.0, 1.0, "<=", hypothesis_held=False)],
                   expect="violated", breaks="h")
    assert run_claim(found, CheckContext()).verdict == "flagged"


def test_control_must_name_its_hypothesis_and_be_violated_for_that_reason():
    with pytest.raises(ValueError, match="breaks"):
        _claim(lambda ctx: [], expect="violated")
    with pytest.raises(ValueError, match="breaks"):
        _claim(lambda ctx: [], breaks="a claim that is not a control")
    # violated where the named hypothesis held: the control fired for another reason
    other = _claim(lambda ctx: [Instance("bad", 2.0, 1.0, "<=")], expect="violated",
                   breaks="t <= t*")
    result = run_claim(other, CheckContext())
    assert result.verdict == "error" and "t <= t*" in result.error
    assert exit_status([result]) == 1


def test_hypothesis_broken_is_a_failure_only_for_empirical_hypotheses():
    inst = [Instance("held", 0.5, 1.0, "<="), Instance("broken", 2.0, 1.0, "<=",
                                                       hypothesis_held=False)]
    result = run_claim(_claim(lambda ctx: inst, hypothesis="empirical"), CheckContext())
    assert result.verdict == "hypothesis broken" and exit_status([result]) == 0
    # proved constants that break are a defect, even where the conclusion still holds
    proved = run_claim(_claim(lambda ctx: inst), CheckContext())
    assert proved.verdict == "fails" and exit_status([proved]) == 1
    ok_but_broken = [Instance("broken, conclusion fine", 0.5, 1.0, "<=", hypothesis_held=False)]
    assert run_claim(_claim(lambda ctx: ok_but_broken), CheckContext()).verdict == "fails"
    inst.append(Instance("held but violated", 3.0, 1.0, "<="))
    assert run_claim(_claim(lambda ctx: inst, hypothesis="empirical"),
                     CheckContext()).verdict == "fails"


def test_no_instance_is_not_checked_and_fails_a_must_hold_claim():
    dropped = [Dropped("K=500", "K beyond the run"), Dropped("K=900", "K beyond the run")]
    result = run_claim(_claim(lambda ctx: dropped), CheckContext())
    assert result.verdict == "not checked" and exit_status([result]) == 1
    assert len(result.dropped) == 2 and result.instances == ()
    optional = run_claim(_claim(lambda ctx: [], must_hold=False), CheckContext())
    assert optional.verdict == "not checked" and exit_status([optional]) == 0
    data = to_json([result], seed=0, mode="quick")
    assert data["claims"][0]["numeric"]["dropped"][0]["reason"] == "K beyond the run"


def test_rng_streams_depend_on_the_whole_salt():
    ctx = CheckContext(seed=0)
    draws = {salt: ctx.rng(salt).standard_normal(4).tolist()
             for salt in ("attack-glm_logistic", "attack-glm_logcosh", "pts-spectral",
                          "pts-spectral_conv", 5, "5")}
    assert len({tuple(v) for v in draws.values()}) == len(draws)
    assert ctx.rng("pts-spectral").standard_normal(4).tolist() == draws["pts-spectral"]
    assert CheckContext(seed=1).rng("pts-spectral").standard_normal(4).tolist() != \
        draws["pts-spectral"]


def test_distinct_instances_count_repeated_draws_once():
    inst = [Instance("a", 1.0, 2.0), Instance("b", 1.0, 2.0), Instance("c", 1.5, 2.0)]
    result = run_claim(_claim(lambda ctx: inst), CheckContext())
    assert result.n_distinct == 2 and len(result.instances) == 3


def test_exception_in_a_check_is_an_error_verdict():
    def boom(ctx):
        raise RuntimeError("broken check")

    result = run_claim(_claim(boom), CheckContext())
    assert result.verdict == "error" and "broken check" in result.error
    assert exit_status([result]) == 1


def test_instance_slack_and_tolerance():
    assert Instance("a", 1.0, 1.0 - 1e-13, "<=", tol=1e-12).satisfied
    assert not Instance("a", 1.0, 1.0 - 1e-11, "<=", tol=1e-12).satisfied
    assert Instance("a", 2.0, 1.0, ">=").slack == 1.0
    assert Instance("a", 1.0, 3.0, "==").slack == -2.0
    assert not Instance("nan", math.nan, 1.0, "<=").satisfied
    with pytest.raises(ValueError, match="relation"):
        Instance("a", 1.0, 1.0, "<")


def test_claim_record_validation():
    with pytest.raises(ValueError, match="status"):
        _claim(lambda ctx: [], status="believed")
    with pytest.raises(ValueError, match="numeric check or a symbolic"):
        _claim()


def test_select_by_pattern():
    claims = all_claims()
    assert {c.id for c in select(claims, "lmo.identities.*")} == \
        {c.id for c in claims if c.id.startswith("lmo.identities.")}
    assert all("sign" in c.id or "sign" in "".join(c.tags) for c in select(claims, "sign"))
    with pytest.raises(ValueError, match="no claim matches"):
        select(claims, "no-such-claim-id")


def test_claim_catalogue_is_complete():
    claims = all_claims()
    assert len(claims) >= 30
    assert len({c.id for c in claims}) == len(claims)
    for c in claims:
        assert c.source and c.statement and c.latex, c.id
    assert any(c.expect == "violated" for c in claims)


def test_json_is_deterministic_for_a_seed(tmp_path):
    only = "lmo.identities.s*"
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert main(["verify", "--only", only, "--seed", "3", "--out", str(a), "--no-figures"]) == 0
    assert main(["verify", "--only", only, "--seed", "3", "--out", str(b), "--no-figures"]) == 0
    assert main(["verify", "--only", only, "--seed", "4", "--out", str(c), "--no-figures"]) == 0
    ja, jb, jc = ((p / "report.json").read_text() for p in (a, b, c))
    assert ja == jb
    assert ja != jc
    data = json.loads(ja)
    assert data["seed"] == 3 and data["mode"] == "quick"
    assert (a / "report.md").read_text().startswith("# gluon-ref verification report")


def test_exit_status_of_the_command(tmp_path, monkeypatch, capsys):
    wrong = _claim(lambda ctx: [Instance("x", 2.0, 1.0, "<=")], id="wrong.claim")
    monkeypatch.setattr(claims_pkg, "all_claims", lambda: [wrong])
    assert main(["verify", "--out", str(tmp_path), "--no-figures"]) == 1
    assert "fails" in capsys.readouterr().out
    good = _claim(lambda ctx: [Instance("x", 0.5, 1.0, "<=")], id="good.claim")
    monkeypatch.setattr(claims_pkg, "all_claims", lambda: [good])
    assert main(["verify", "--out", str(tmp_path), "--no-figures"]) == 0
    assert main(["verify", "--only", "nothing-matches", "--out", str(tmp_path)]) == 2


def test_figures_are_written(tmp_path):
    results = run_claims(select(all_claims(), "lmo.hoelder"), CheckContext())
    from proofs_check.report import write_report

    write_report(results, tmp_path, seed=0, mode="quick")
    pngs = sorted(p.name for p in (tmp_path / "figures").glob("*.png"))
    assert "lmo.hoelder.png" in pngs and "tightness.png" in pngs
    assert (tmp_path / "figures" / "tightness.png").read_bytes()[:4] == b"\x89PNG"
    page = (tmp_path / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page
    assert "id='lmo.hoelder'" in page and "href='#lmo.hoelder'" in page and "id='vf'" in page
    assert "src=\"figures/" not in page  # self-contained: figures inlined


def test_series_are_drawn_not_stored(tmp_path):
    from proofs_check.claims import Series
    from proofs_check.report import write_report

    def check(ctx):
        return [Instance("a", 1.0, 2.0), Series("curve", [1, 2, 3], [3, 2, 1], "measured", "K", "y"),
                Series("bound", [1, 2, 3], [4, 4, 4], "bound")]

    results = run_claims([_claim(check, id="series.claim")], CheckContext())
    assert len(results[0].series) == 2 and len(results[0].instances) == 1
    data = write_report(results, tmp_path, seed=0, mode="quick")
    assert "curve" not in json.dumps(data)
    assert (tmp_path / "figures" / "series.claim.png").exists()


def test_quick_report_passes_and_flags_every_control(tmp_path):
    """The main job: every must-hold claim passes and every negative control is flagged."""
    results = run_claims(all_claims(), CheckContext(seed=0))
    data = to_json(results, seed=0, mode="quick")
    assert len(data["claims"]) >= 30
    bad = [(r.claim.id, r.verdict, r.error) for r in results if r.claim.must_hold and not r.passed]
    assert not bad
    for r in results:
        if r.claim.expect == "violated":
            assert r.verdict == "flagged", r.claim.id
    assert exit_status(results) == 0
