"""The house rules of the package, checked on its source: no import cycle (lazy imports
included), analysis and plots are functions of trajectories, and families meet their
backend's contract without importing an engine."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bayesgrok"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Module -> the bayesgrok modules it imports anywhere (top level or in a function)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            found |= {t for t in targets if t in modules and t != name}
        graph[name] = found
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, ignoring package ``__init__`` re-exports (a package importing its
    own submodules), or ``None``."""
    def edges(m: str) -> set[str]:
        return {t for t in graph[m] if not t.startswith(m + ".")}

    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for t in sorted(edges(m)):
            if state.get(t) == 1:
                return stack[stack.index(t):] + [t]
            if t not in state and (found := visit(t)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle_lazy_imports_included():
    assert _cycle(_imports()) is None, " -> ".join(_cycle(_imports()) or [])


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("package", ["analysis", "plots"])
def test_analysis_and_plots_import_no_search_or_family(package):
    graph = _imports()
    for module, targets in graph.items():
        if module.startswith(f"bayesgrok.{package}"):
            bad = [t for t in targets
                   if t.startswith(("bayesgrok.search", "bayesgrok.families"))]
            assert not bad, f"{module} imports {bad}"


def test_families_import_no_engine():
    for module, targets in _imports().items():
        if module.startswith("bayesgrok.families"):
            engines = [t for t in targets if t.endswith("_engine") or t == "bayesgrok.study"]
            assert not engines, f"{module} imports {engines}"


def test_no_getattr_on_a_family_outside_the_contracts():
    for path in PACKAGE.rglob("*.py"):
        if path.name in ("contract.py", "torch_contract.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "hasattr") and node.args
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id in ("family", "fam", "built")):
                raise AssertionError(f"{path.name}:{node.lineno}: {node.func.id} on a family")


def test_no_module_over_400_lines():
    long = {p.relative_to(PACKAGE).as_posix(): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long, long


def test_every_public_function_has_a_runnable_example():
    """numpydoc Examples with a doctest on every public module-level function (run by
    ``make test``, shown by the API reference). The CLI's commands are documented by
    ``--help`` and tested through the command line instead."""
    missing = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "cli.py" or (path.name.startswith("_") and path.name != "__init__.py"):
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                if ">>>" not in (ast.get_docstring(node) or ""):
                    missing.append(f"{path.relative_to(PACKAGE.parent)}:{node.name}")
    assert not missing, "no runnable example: " + ", ".join(missing)
