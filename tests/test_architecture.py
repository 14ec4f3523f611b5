"""The layers of the code, read from its own imports (every import: top level, inside
functions and under ``TYPE_CHECKING`` alike).

The library is built in floors; a module may import its own floor and those below,
never one above, and no modules may import each other in a loop. What a lower floor
needs from a higher one it is given as a parameter (a callable, an object meeting a
protocol). ``README.md`` ("How the code is laid out") says what each floor is for.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. A package stands for all its modules.
FLOORS: list[list[str]] = [
    ["pipeline", "pipeline.errors", "pipeline.config", "pipeline.filetypes", "pipeline.malloc",
     "pipeline.pdfdate", "pipeline.stages", "pipeline.yamlfile"],
    ["pipeline.programs", "pipeline.organisations", "pipeline.catalog", "pipeline.workfolder",
     "pipeline.database"],
    ["pipeline.documents"],
    ["pipeline.cases"],
    ["pipeline.rules", "pipeline.workspace", "pipeline.accounts"],
    ["pipeline.intake", "pipeline.archive"],
    ["pipeline.units", "pipeline.doctor"],
    ["pipeline.jobs"],
    ["flows", "pipeline.web"],
    ["pipeline.cli"],
]  # fmt: skip

# Arrows the layering alone would allow but the design forbids, with the reason.
FORBIDDEN: list[tuple[str, str, str]] = [
    ("pipeline.archive", "pipeline.documents", "the archive files packages; it renders nothing"),
    ("pipeline.documents", "pipeline.archive", "documents know nothing of the archive"),
    ("pipeline.intake", "pipeline.archive", "reading a ledger archives nothing"),
]

LIBRARY_OUTSIDE = ("prefect",)  # the library is plain functions; only flows/ and the CLI use it


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    files = [*ROOT.glob("pipeline/**/*.py"), *ROOT.glob("flows/**/*.py")]
    return {_module_name(path): path for path in files}


def _imported(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".")
            base = base if is_package else base[:-1]
            base = base[: len(base) - node.level + 1]
            target = ".".join([*base, node.module] if node.module else base)
        else:
            target = node.module or ""
        for alias in node.names:  # a submodule named is what is imported, else the module
            submodule = f"{target}.{alias.name}"
            yield submodule if submodule in modules() else target


def _own(name: str) -> str | None:
    """The project module ``name`` is or lies in (an imported name resolves to its module)."""
    known = modules()
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


@cache
def imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = set()
        for node in ast.walk(tree):
            for name in _imported(node, module, path.name == "__init__.py"):
                own = _own(name)
                if own is not None and own != module:
                    targets.add(own)
                elif own is None:
                    targets.add(name)
        graph[module] = targets
    return graph


def floor_of(module: str) -> int:
    best = -1, -1  # (floor, length of the matching prefix)
    for number, names in enumerate(FLOORS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best[1]:
                best = number, len(name)
    assert best[0] >= 0, f"{module} stands on no floor: add it to FLOORS"
    return best[0]


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_every_module_stands_on_one_of_ten_floors_or_fewer() -> None:
    # With no import running up a floor (below), this bounds how deep the imports go.
    assert len(FLOORS) <= 10
    for module in modules():
        floor_of(module)


def test_no_import_runs_up_a_floor() -> None:
    known = modules()
    upward = [
        f"{module} (floor {floor_of(module) + 1}) imports {target} (floor {floor_of(target) + 1})"
        for module, targets in imports().items()
        for target in sorted(targets)
        if target in known and floor_of(target) > floor_of(module)
    ]
    assert upward == []


def test_no_forbidden_arrow() -> None:
    broken = [
        f"{module} imports {target}: {why}"
        for module, targets in imports().items()
        for target in sorted(targets)
        for source, forbidden, why in FORBIDDEN
        if _inside(module, source) and _inside(target, forbidden)
    ]
    assert broken == []


def test_library_is_free_of_the_orchestrator() -> None:
    library = [m for m in modules() if m.startswith("pipeline") and not _inside(m, "pipeline.cli")]
    found = [
        f"{module} imports {target}"
        for module in library
        for target in sorted(imports()[module])
        for outside in LIBRARY_OUTSIDE
        if _inside(target, outside)
    ]
    assert found == []


def _loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_loops() -> None:
    assert _loops(imports()) == []


def test_loop_finder_finds_a_loop() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _loops(graph) == [["a", "b", "c"]]
