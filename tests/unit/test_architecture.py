"""The import rule of docs/architecture.md, checked on every module's real imports.

The layer table is read from the page itself, so the page and the check cannot drift apart. Every
import counts for the layer rule (inside functions and under TYPE_CHECKING too); only imports run
at import time count for circles.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("graph_schema", "avas", "agents", "benchmarks")
MAX_LINES = 500


# -- the rule, from the page ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    layer_of_prefix: dict[str, str]  # module prefix -> layer
    allowed: dict[str, frozenset[str]]  # layer -> layers it may import (transitive, itself too)

    def layer(self, module: str) -> str | None:
        exact = self.layer_of_prefix.get(f"{module}.__init__")  # a package alone, not below
        if exact is not None:
            return exact
        parts = module.split(".")
        for n in range(len(parts), 0, -1):
            layer = self.layer_of_prefix.get(".".join(parts[:n]))
            if layer is not None:
                return layer
        return None


def read_rule(markdown: str) -> Rule:
    """The table under "The import rule": | layer | `modules` | may import |."""
    layer_of_prefix: dict[str, str] = {}
    direct: dict[str, set[str]] = {}
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[1].startswith("`"):
            continue
        layer, modules, uses = cells
        for module in re.findall(r"`([\w.]+)`", modules):
            layer_of_prefix[module] = layer
        direct[layer] = {u.strip() for u in uses.split(",") if u.strip()}
    unknown = {u for uses in direct.values() for u in uses} - direct.keys()
    if unknown:
        raise ValueError(f"the layer table names unknown layers: {sorted(unknown)}")
    allowed: dict[str, frozenset[str]] = {}

    def closure(layer: str, path: tuple[str, ...] = ()) -> frozenset[str]:
        if layer in path:
            raise ValueError(f"the layer table has a circle: {' -> '.join((*path, layer))}")
        if layer not in allowed:
            found = {layer}
            for used in direct[layer]:
                found |= closure(used, (*path, layer))
            allowed[layer] = frozenset(found)
        return allowed[layer]

    for layer in direct:
        closure(layer)
    return Rule(layer_of_prefix, allowed)


# -- imports, from the source ---------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    target: str
    line: int
    at_import_time: bool  # module level, not under TYPE_CHECKING


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(module: str, source: str, *, is_package: bool = False) -> list[Import]:
    """Every import in ``source`` with absolute targets; ``from a import b`` yields ``a.b``
    (the caller resolves whether that is a module or a name in ``a``)."""
    found: list[Import] = []
    package = module.split(".") if is_package else module.split(".")[:-1]

    def visit(node: ast.AST, runtime: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(a.name, child.lineno, runtime) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package[: len(package) - child.level + 1]
                    base = ".".join([*up, base] if base else up)
                found.extend(Import(f"{base}.{a.name}", child.lineno, runtime) for a in child.names)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), False)
                for stmt in child.orelse:
                    visit(ast.Module(body=[stmt], type_ignores=[]), runtime)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, False)
            else:
                visit(child, runtime)

    visit(ast.parse(source), True)
    return found


def forbidden_imports(
    rule: Rule, module: str, source: str, *, is_package: bool = False
) -> list[str]:
    """One line per import of ``module`` that reaches above its layer."""
    mine = rule.layer(module)
    if mine is None:
        return [f"{module}: in no layer of {DOC.name}'s table"]
    out = []
    for imp in imports_of(module, source, is_package=is_package):
        if imp.target.split(".")[0] not in PACKAGES:
            continue  # the standard library and third parties
        theirs = rule.layer(imp.target)
        if theirs is not None and theirs not in rule.allowed[mine]:
            out.append(f"{module}:{imp.line} imports {imp.target} ({mine} -> {theirs})")
    return out


def module_name(path: Path) -> tuple[str, bool]:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def sources(*packages: str) -> dict[str, tuple[str, bool, Path]]:
    found = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            name, is_package = module_name(path)
            found[name] = (path.read_text(encoding="utf-8"), is_package, path)
    return found


def import_cycles(modules: dict[str, tuple[str, bool]]) -> list[list[str]]:
    """Circles among ``modules`` (name -> (source, is_package)) through imports run at import
    time; each circle once, as a list of module names."""
    graph: dict[str, set[str]] = {}
    for name, (source, is_package) in modules.items():
        targets = set()
        for imp in imports_of(name, source, is_package=is_package):
            if not imp.at_import_time:
                continue
            # "from a import b": the module a.b if there is one, else the package a.
            target = imp.target if imp.target in modules else imp.target.rpartition(".")[0]
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
        graph[name] = targets
    # Tarjan's strongly connected components; any with more than one module is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return circles


# -- the checks on the real code ------------------------------------------------------------------

RULE = read_rule(DOC.read_text(encoding="utf-8"))


def test_no_module_imports_above_its_layer() -> None:
    problems = []
    for name, (source, is_package, _) in sources(*PACKAGES).items():
        problems += forbidden_imports(RULE, name, source, is_package=is_package)
    assert problems == [], "imports against docs/architecture.md:\n" + "\n".join(problems)


def test_no_import_circle_between_avas_modules() -> None:
    modules = {name: (src, pkg) for name, (src, pkg, _) in sources("avas").items()}
    assert import_cycles(modules) == []


def files_over_limit() -> dict[str, int]:
    return {
        str(path.relative_to(ROOT)): n
        for _, _, path in sources("avas").values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }


def test_no_avas_file_over_500_lines() -> None:
    assert files_over_limit() == {}


# -- the checker catches what it should -----------------------------------------------------------


def test_an_upward_import_is_caught_even_inside_a_function() -> None:
    store = "from avas.errors import StoreError\n\ndef f():\n    from avas.pipeline import run\n"
    assert forbidden_imports(RULE, "avas.graph.fake_store", store) == [
        "avas.graph.fake_store:4 imports avas.pipeline.run (graph -> pipeline)"
    ]
    typed_only = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import agents.graph\n"
    assert forbidden_imports(RULE, "avas.retrieval.fake", typed_only) == [
        "avas.retrieval.fake:3 imports agents.graph (retrieval -> agents)"
    ]
    assert forbidden_imports(RULE, "graph_schema.fake", "import avas.config\n") == [
        "graph_schema.fake:1 imports avas.config (schema -> base)"
    ]


def test_relative_and_downward_imports_pass() -> None:
    source = "from . import base\nfrom ..graph.base import EventGraphStore\nimport graph_schema\n"
    assert forbidden_imports(RULE, "avas.knowledge.fake", source) == []
    relative_up = "from ..pipeline import run\n"
    assert forbidden_imports(RULE, "avas.graph.fake", relative_up) == [
        "avas.graph.fake:1 imports avas.pipeline.run (graph -> pipeline)"
    ]


def test_a_module_outside_every_layer_is_reported() -> None:
    assert forbidden_imports(RULE, "avas.newthing", "import os\n") == [
        "avas.newthing: in no layer of architecture.md's table"
    ]


def test_a_circle_is_found_and_lazy_imports_do_not_make_one() -> None:
    modules = {
        "avas.a": ("from avas.b import x\n", False),
        "avas.b": ("import avas.c\n", False),
        "avas.c": ("from avas import a\n", False),
        "avas": ("", True),
        "avas.d": ("def f():\n    import avas.e\n", False),
        "avas.e": ("import avas.d\n", False),
    }
    assert import_cycles(modules) == [["avas.a", "avas.b", "avas.c"]]


def test_a_circle_in_the_layer_table_is_refused() -> None:
    table = "| one | `avas.one` | two |\n| two | `avas.two` | one |\n"
    with pytest.raises(ValueError, match="circle"):
        read_rule(table)
