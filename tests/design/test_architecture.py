"""Layout rules of the design stage: no import cycles, no private names across modules,
no long functions (issue 9)."""

import ast
import re
from pathlib import Path

import gender_diag.design as design_pkg

ROOT = Path(design_pkg.__file__).parent
PACKAGE = "gender_diag.design"


def _modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(encoding="utf-8")) for p in ROOT.glob("*.py")}


def _imports(tree: ast.Module) -> list[tuple[str, list[str]]]:
    """(module inside the design package, imported names) of every import, lazy ones too."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:
                out += [(alias.name, []) for alias in node.names]
            elif node.module.startswith(PACKAGE + "."):
                out.append((node.module.split(".")[2], [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE + "."):
                    out.append((alias.name.split(".")[2], []))
    return out


def test_no_import_cycle_inside_design():
    modules = _modules()
    graph = {
        name: {m for m, _ in _imports(tree) if m in modules and m != name}
        for name, tree in modules.items()
        if name != "__init__"
    }

    def visit(node, stack):
        assert node not in stack, f"import cycle: {' -> '.join([*stack, node])}"
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, [*stack, node])

    for name in graph:
        visit(name, [])


def test_no_private_name_imported_or_touched_across_modules():
    problems = []
    for name, tree in _modules().items():
        for module, names in _imports(tree):
            problems += [f"{name} imports {module}.{n}" for n in names if n.startswith("_")]
    private_state = re.compile(r"\b(?!self\b)\w+\._(?:rep|stage1|stage2|calib|w|spec|pop1)\b")
    for path in ROOT.glob("*.py"):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if private_state.search(line) and "new._" not in line:
                problems.append(f"{path.name}:{i}: {line.strip()}")
    assert not problems, "\n".join(problems)


def test_no_function_over_80_lines_of_code():
    long = []
    for path in ROOT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    length -= first.end_lineno - first.lineno + 1  # the docstring
                if length > 80:
                    long.append(f"{path.name}:{node.name} ({length} lines)")
    assert not long, long
