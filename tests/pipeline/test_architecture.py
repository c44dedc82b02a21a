"""The layout rules of the package, checked on its source with ``ast``.

* no import cycles between modules of gender_diag (module-level imports; and, apart from the
  known cycles listed below, none through imports inside functions either);
* no ``from X import _private`` across modules;
* ``import gender_diag`` loads no plotting, Word, Excel or HTML-template library.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "gender_diag"

#: Cycles through imports inside functions allowed for now: none. (The "what changed" section
#: is rendered by the Excel and HTML writers themselves, and rounds receive config's loader.)
KNOWN_LAZY_CYCLES: list[set[str]] = []
#: Private names imported across modules, listed explicitly for the same reason. The design
#: package's engine module is private to the package (users go through SurveyDesign).
KNOWN_PRIVATE = {
    ("gender_diag.design.estimators", "gender_diag.design", "_engine"),
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _target(module: str, node: ast.ImportFrom, is_package: bool) -> str | None:
    if not node.level:
        return node.module
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _top_level(tree: ast.Module):
    """Import nodes run when the module is imported (also inside module-level if/try)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If | ast.Try):
            stack.extend(node.body + node.orelse + getattr(node, "finalbody", []))


def _imports(*, lazy: bool):
    """module → set of gender_diag modules it imports; and the private names imported."""
    edges, private = {}, set()
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
        nodes = nodes if lazy else list(_top_level(tree))
        out = set()
        for node in nodes:
            if isinstance(node, ast.Import):
                out |= {a.name for a in node.names if a.name in MODULES}
                continue
            target = _target(module, node, is_package)
            if not target or target not in MODULES:
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}"
                out.add(full if full in MODULES else target)
                name = alias.name
                if name.startswith("_") and not name.startswith("__") and target != module:
                    private.add((module, target, name))
        edges[module] = out - {module}
    return edges, private


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_planted_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [{"a", "b", "c"}]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_modules():
    edges, _ = _imports(lazy=False)
    assert len(edges) > 50  # the walk found the package
    assert _cycles(edges) == []


def test_no_other_cycles_through_function_level_imports():
    edges, _ = _imports(lazy=True)
    unexpected = [c for c in _cycles(edges) if c not in KNOWN_LAZY_CYCLES]
    assert unexpected == []


def test_no_private_names_imported_across_modules():
    _, private = _imports(lazy=True)
    assert private - KNOWN_PRIVATE == set()


def test_import_gender_diag_stays_light():
    code = (
        "import sys, gender_diag\n"
        "heavy = ('matplotlib', 'docx', 'xlsxwriter', 'jinja2')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    )
    assert out.stdout.strip() == ""
