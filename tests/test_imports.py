"""Import structure: every module imports on its own, no import cycle, no work at import.

Three checks, each against something other than the code's own say-so:

* each module of ``gluon_ref`` and ``proofs_check`` is imported alone in a
  fresh process (an import cycle that only breaks from some entry point,
  "partially initialized module", fails here);
* the static graph of imports between our modules, function-level imports
  included, has no cycle (a deferred cycle imports fine and is caught only here);
* ``import gluon_ref.norms`` does not load the Polar Express designer.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gluon_ref", "proofs_check")


def _modules() -> dict[str, Path]:
    """Dotted name -> file for every module of our packages (``__main__`` excluded: it runs the CLI)."""
    found = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__main__":
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _env() -> dict[str, str]:
    return dict(os.environ, OPENBLAS_NUM_THREADS="1",
                PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=300)


# One interpreter loads the third-party libraries, checks that none of our modules is loaded,
# then forks one child per module: each child imports its module into a process that has
# never seen gluon_ref or proofs_check, as a fresh interpreter would, without paying the
# interpreter and NumPy/SymPy start-up sixty times.  Prints "module<TAB>error" per failure.
_FORK_EACH = """
import importlib, os, sys, traceback
import numpy, scipy.linalg, scipy.optimize, sympy, array_api_compat
assert not [m for m in sys.modules if m.split(".")[0] in ("gluon_ref", "proofs_check")]
for name in sys.argv[1:]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            importlib.import_module(name)
            msg = b""
        except BaseException:
            msg = traceback.format_exc().strip().splitlines()[-1].encode()
        os.write(w, msg[:4000])
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        msg = fh.read().decode()
    _, status = os.waitpid(pid, 0)
    if msg or status:
        print(f"{name}\t{msg or 'exit status %d' % status}")
"""


def test_module_list_is_complete():
    # guards the tests below against a discovery that silently finds nothing
    assert {"gluon_ref.norms", "gluon_ref.polar.registry", "gluon_ref.polar.schedules",
            "proofs_check.claims.polar", "proofs_check.cli"} <= set(MODULES)


def test_each_module_imports_alone_in_a_fresh_process():
    if hasattr(os, "fork"):
        r = _run(_FORK_EACH, *MODULES)
        assert r.returncode == 0, r.stderr
        failed = dict(line.split("\t", 1) for line in r.stdout.splitlines() if "\t" in line)
    else:  # no fork (Windows): one interpreter per module
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            runs = dict(zip(MODULES, pool.map(lambda m: _run(f"import {m}"), MODULES)))
        failed = {m: r.stderr.strip().splitlines()[-1] for m, r in runs.items() if r.returncode}
    assert not failed, f"modules that fail to import alone: {failed}"


def _imported(module: str, path: Path) -> set[str]:
    """Our modules that ``module`` names in an import statement anywhere in its file.

    ``from .a import b`` names ``a`` and, when ``a.b`` is a module, ``a.b``; the
    parent packages that Python initialises on the way are not edges (every module
    would otherwise sit on a cycle through its package's ``__init__``).
    """
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return {n for n in names if n in MODULES and n != module}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes, or ``None`` (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for root in graph:
        if root in state:
            continue
        path, stack = [root], [iter(sorted(graph[root]))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle_between_our_modules():
    graph = {m: _imported(m, p) for m, p in MODULES.items()}
    assert graph["gluon_ref.polar.schedules"] >= {"gluon_ref.polar.registry"}
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("module", ["gluon_ref", "gluon_ref.norms", "gluon_ref.polar"])
def test_importing_norms_does_not_load_the_designer(module):
    r = _run(f"import sys, {module}; "
             "print('gluon_ref.polar.polar_express' in sys.modules, "
             "'gluon_ref.polar.schedules' in sys.modules)")
    assert r.returncode == 0, r.stderr
    # schedules loaded (so the control is meaningful) but not the designer
    assert r.stdout.split() == ["False", "True"]


def test_designer_loads_on_first_use():
    r = _run("import sys, gluon_ref.polar as p; p.get_schedule('polar_express'); "
             "print('gluon_ref.polar.polar_express' in sys.modules, callable(p.remez_odd))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "True"]
