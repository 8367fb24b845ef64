"""Every section the code cites exists in the repository's own docs.

Docstrings, claim sources, the report, the notebooks and the README cite the
mathematical reference as ``docs/theory.md section 6``, ``docs/norms.md 2b``,
``docs/polar.md sections 8.3-8.5`` or ``docs/norms.md section 5 item 8``.  This
module scans the product for such citations and checks each cited section (and
item) against the headings (and numbered items) of the docs file, and checks
that no citation still names the old external notes, which a user of the
repository cannot open (issue 9, item 8).

The old notes' names never appear literally in this file, so a search-and-
replace over the repository leaves it unchanged.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = {name: ROOT / "docs" / f"{name}.md" for name in ("theory", "norms", "polar")}
SCANNED = ("gluon_ref", "proofs_check", "tests", "notebooks", "benchmarks", "README.md")
TEXT_SUFFIXES = {".py", ".ipynb", ".md", ".rst", ".txt", ".toml", ".cfg", ".json"}

# The section numbering the docs must keep: that of the external notes they
# replace, so that renaming the file in a citation is all a citation needs.
EXPECTED_SECTIONS = {
    "theory": {str(n) for n in range(1, 13)} | {f"11.{k}" for k in range(1, 8)},
    "norms": {str(n) for n in range(1, 7)} | {"2a", "2b", "2c"},
    "polar": ({str(n) for n in range(1, 12)} | {"5.1", "5.2"}
              | {f"8.{k}" for k in range(1, 7)} | {f"9.{k}" for k in range(1, 6)}),
}

# A line break inside a citation may carry a comment leader (``#``).
_BREAK = r"[ \t]*(?:\n[ \t]*(?:#[ \t]*)?)?"
_NUM = r"\d+[a-z]?(?:\.\d+)?"
_RANGE = rf"{_NUM}(?:[ \t]*[-–][ \t]*{_NUM})?"
_LIST = rf"{_RANGE}(?:(?:[ \t]*,[ \t]*(?:and[ \t]+)?|[ \t]+and[ \t]+|[ \t]*/[ \t]*){_RANGE})*"
_WORD = rf"(?:(?:sections?|§§?){_BREAK}[ \t]*)?"
_ITEMS = rf"(?:[ \t]*,?{_BREAK}[ \t]*items?[ \t]+(?P<items>\d+(?:[ \t]*(?:,|and|[-–])[ \t]*\d+)*))?"
CITATION = re.compile(rf"docs/(?P<doc>theory|norms|polar)\.md{_BREAK}{_WORD}(?P<sections>{_LIST}){_ITEMS}")
# "... docs/theory.md section 4 (caveat) and section 5": the file is named once.
CONTINUATION = re.compile(rf"(?:[ \t]*\([^()\n]*\))?[ \t]*[,;]?[ \t]*(?:and[ \t]+)?"
                          rf"(?:sections?|§§?){_BREAK}[ \t]*(?P<sections>{_LIST}){_ITEMS}")
OLD_NAME = re.compile(r"\b(?:THEORY|LMOS|POLAR)\.md")
HEADING = re.compile(r"^(#{2,6})[ \t]+(\d+[a-z]?(?:\.\d+)?)\.?[ \t]", re.MULTILINE)
ITEM = re.compile(r"^(\d+)\.[ \t]", re.MULTILINE)


def expand(sections: str) -> list[str]:
    """Section ids named by a list such as ``2-3, 5 and 11.1-11.2``.

    A range of integers, of minors under one major (``8.3-8.5``) or of letters
    under one number (``2a-2c``) names every id in it; any other range names
    its two ends.
    """
    ids: list[str] = []
    for part in re.split(r"[ \t]*(?:,[ \t]*(?:and[ \t]+)?|[ \t]+and[ \t]+|/)[ \t]*", sections.strip()):
        ends = [e.strip() for e in re.split(r"[-–]", part)]
        if len(ends) == 1:
            ids.append(ends[0])
            continue
        lo, hi = ends
        if lo.isdigit() and hi.isdigit():
            ids += [str(n) for n in range(int(lo), int(hi) + 1)]
        elif (m_lo := re.fullmatch(r"(\d+)\.(\d+)", lo)) and (m_hi := re.fullmatch(r"(\d+)\.(\d+)", hi)) \
                and m_lo[1] == m_hi[1]:
            ids += [f"{m_lo[1]}.{k}" for k in range(int(m_lo[2]), int(m_hi[2]) + 1)]
        elif (m_lo := re.fullmatch(r"(\d+)([a-z])", lo)) and (m_hi := re.fullmatch(r"(\d+)([a-z])", hi)) \
                and m_lo[1] == m_hi[1]:
            ids += [f"{m_lo[1]}{chr(c)}" for c in range(ord(m_lo[2]), ord(m_hi[2]) + 1)]
        else:
            ids += [lo, hi]
    return ids


def citations(text: str):
    """Yield ``(doc, section ids, item numbers, line, matched text)`` for each citation."""
    for m in CITATION.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        yield m["doc"], expand(m["sections"]), _items(m["items"]), line, m[0]
        end = m.end()
        while (c := CONTINUATION.match(text, end)):
            yield m["doc"], expand(c["sections"]), _items(c["items"]), line, m[0] + c[0]
            end = c.end()


def _items(spec: str | None) -> list[int]:
    """Item numbers of ``1 and 4``, ``2, 3`` or ``1-3``."""
    if not spec:
        return []
    nums = [int(i) for i in re.findall(r"\d+", spec)]
    return list(range(nums[0], nums[-1] + 1)) if re.search(r"[-–]", spec) else nums


def doc_structure(path: Path) -> tuple[set[str], dict[str, set[int]]]:
    """Section ids of a docs file and the numbered list items inside each section.

    Items belong to the innermost heading above them; a numbered item is one
    whose line starts with ``K.`` at column 0.
    """
    text = path.read_text(encoding="utf-8")
    heads = list(HEADING.finditer(text))
    items: dict[str, set[int]] = {}
    for k, h in enumerate(heads):
        body = text[h.end(): heads[k + 1].start() if k + 1 < len(heads) else len(text)]
        body = body.split("\n## ", 1)[0]  # an unnumbered heading (Sources) ends it too
        items[h[2]] = {int(i) for i in ITEM.findall(body)}
    return {h[2] for h in heads}, items


def scanned_texts():
    """``(label, text)`` for every scanned file; notebook cells one by one, outputs included."""
    files: list[Path] = []
    for entry in SCANNED:
        path = ROOT / entry
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES
                            and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts)
    for path in files:
        if path.resolve() == Path(__file__).resolve():
            continue  # its docstring shows example citations
        rel = path.relative_to(ROOT).as_posix()
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            for k, cell in enumerate(json.loads(raw)["cells"]):
                yield f"{rel} cell {k}", "\n".join(_strings(cell))
        else:
            yield rel, raw


def _strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        # a cell's source is a list of lines that already end in "\n"
        if all(isinstance(x, str) for x in node):
            return ["".join(node)]
        return [s for x in node for s in _strings(x)]
    if isinstance(node, dict):
        return [s for x in node.values() for s in _strings(x)]
    return []


def unresolved(label: str, text: str, structure=None) -> list[str]:
    """One message per section or item cited in ``text`` that the docs file does not have.

    Lines are counted within ``text``; ``structure`` maps a docs name to
    :func:`doc_structure` of its file (read from ``DOCS`` when omitted).
    """
    structure = structure or {name: doc_structure(path) for name, path in DOCS.items()}
    problems = []
    for doc, ids, items, line, quote in citations(text):
        heads, doc_items = structure[doc]
        where = f"{label}:{line}: {' '.join(quote.split())!r}"
        problems += [f"{where}: docs/{doc}.md has no section {s}" for s in ids if s not in heads]
        if items and len(ids) == 1 and ids[0] in heads:
            problems += [f"{where}: docs/{doc}.md section {ids[0]} has no item {i}"
                         for i in items if i not in doc_items[ids[0]]]
    return problems


def missing_sections() -> list[str]:
    """:func:`unresolved` over every scanned file."""
    structure = {name: doc_structure(path) for name, path in DOCS.items()}
    return [p for label, text in scanned_texts() for p in unresolved(label, text, structure)]


# --- the docs themselves ---------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(DOCS))
def test_docs_keep_the_section_numbering(name):
    heads, _ = doc_structure(DOCS[name])
    assert heads == EXPECTED_SECTIONS[name], (
        f"docs/{name}.md: missing {sorted(EXPECTED_SECTIONS[name] - heads)}, "
        f"unexpected {sorted(heads - EXPECTED_SECTIONS[name])}")


def test_docs_index_links_every_file():
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    for name in DOCS:
        assert f"]({name}.md)" in index, name


def test_numbered_items_cited_by_code_exist():
    # norms.md section 5 has items 1-8 and section 6 has items 1-7; code cites both ways.
    _, items = doc_structure(DOCS["norms"])
    assert items["5"] == set(range(1, 9)) and items["6"] == set(range(1, 8))


# --- the scanner -------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("(docs/theory.md section 6).", [("theory", ["6"], [])]),
    ("docs/theory.md 9\"),", [("theory", ["9"], [])]),
    ("docs/norms.md 2b; Scion", [("norms", ["2b"], [])]),
    ("docs/theory.md sections 2-3, 5-7, 9-11).",
     [("theory", ["2", "3", "5", "6", "7", "9", "10", "11"], [])]),
    ("docs/theory.md sections 3, 10 and 11.7).", [("theory", ["3", "10", "11.7"], [])]),
    ("docs/polar.md §8.3–8.5),", [("polar", ["8.3", "8.4", "8.5"], [])]),
    ("docs/polar.md 5.1/5.2 write", [("polar", ["5.1", "5.2"], [])]),
    ("docs/norms.md sections 2a-2c", [("norms", ["2a", "2b", "2c"], [])]),
    ("(dual of dual, docs/norms.md section\n        5 item 8).", [("norms", ["5"], [8])]),
    ("docs/norms.md section 5 items 1 and 4).", [("norms", ["5"], [1, 4])]),
    ("# see docs/polar.md\n# section 4 for s", [("polar", ["4"], [])]),
    ("docs/theory.md section 4 (caveat) and section 5.",
     [("theory", ["4"], []), ("theory", ["5"], [])]),
    ("docs/theory.md section 6, steps 3-4", [("theory", ["6"], [])]),
    ("docs/theory.md section 9, radii from docs/norms.md section 2c",
     [("theory", ["9"], []), ("norms", ["2c"], [])]),
    ("docs/norms.md section 2b and section 5 item 6).",
     [("norms", ["2b"], []), ("norms", ["5"], [6])]),
    ("docs/norms.md section 5 items 1 and 8, section 6 (Scion",
     [("norms", ["5"], [1, 8]), ("norms", ["6"], [])]),
    ("docs/norms.md section 5 items 1-3", [("norms", ["5"], [1, 2, 3])]),
    ("docs/polar.md: about 0.68", []),
    ("docs/polar.md (NS5 is not the polar factor)", []),
])
def test_scanner_reads_citation_forms(text, expected):
    assert [(d, ids, items) for d, ids, items, _, _ in citations(text)] == expected


def test_scanner_reports_a_missing_section(tmp_path, monkeypatch):
    # A docs file without 6.2 and a citation of it: the check must name both.
    (tmp_path / "docs").mkdir()
    for name in DOCS:
        (tmp_path / "docs" / f"{name}.md").write_text("## 6. Theorem\n\n1. step\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("see docs/theory.md section 6.2 and docs/polar.md section 6 item 2\n",
                                        encoding="utf-8")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    monkeypatch.setattr(__import__(__name__), "DOCS",
                        {name: tmp_path / "docs" / f"{name}.md" for name in DOCS})
    assert missing_sections() == [
        "README.md:1: 'docs/theory.md section 6.2': docs/theory.md has no section 6.2",
        "README.md:1: 'docs/polar.md section 6 item 2': docs/polar.md section 6 has no item 2",
    ]


# --- the product -------------------------------------------------------------------------

def test_every_cited_section_exists():
    problems = missing_sections()
    assert not problems, f"{len(problems)} citation(s) of missing sections:\n" + "\n".join(problems)


def test_every_claim_source_resolves():
    # The report's source column is built at run time (f-strings), so read it from the claims.
    from proofs_check.claims import all_claims

    structure = {name: doc_structure(path) for name, path in DOCS.items()}
    claims = all_claims()
    problems = [f"claim {c.id}: {c.source!r} names notes outside the repository"
                for c in claims if OLD_NAME.search(c.source)]
    problems += [p for c in claims for p in unresolved(f"claim {c.id}", c.source, structure)]
    assert not problems, "claim sources that do not resolve in docs/:\n" + "\n".join(problems)


def test_no_citation_of_the_external_notes():
    hits = [f"{label}:{text.count(chr(10), 0, m.start()) + 1}: {m[0]}"
            for label, text in scanned_texts() for m in OLD_NAME.finditer(text)]
    assert not hits, (f"{len(hits)} mention(s) of notes outside the repository; cite docs/theory.md, "
                      "docs/norms.md or docs/polar.md instead:\n" + "\n".join(hits))
