"""The shape of the code: imports run one way, without cycles, and private stays private.

cloudhospital <- clinics <- imaging, signaling. Only the URL, ASGI and API roots (and the
settings, which name the apps) compose the apps; ``cloudhospital/core`` and
``cloudhospital/security`` import none. Shared ``clinics`` modules import no workflow;
signaling imports no workflow. Every import counts, function-local ones included, so a
cycle cannot hide inside a function.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cloudhospital", "clinics", "imaging", "signaling")
APPS = ("clinics", "imaging", "signaling")
WORKFLOWS = ("clinics.consultations", "clinics.followups", "clinics.referrals",
             "clinics.prescriptions")
ROOTS = {"cloudhospital.urls", "cloudhospital.asgi", "cloudhospital.api",
         "cloudhospital.settings"}


@dataclass(frozen=True)
class Import:
    importer: str
    target: str        # the project module imported
    names: tuple[str, ...]  # names taken from it with ``from target import ...``
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path = ROOT, packages=PACKAGES) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            found[module_name(path, root)] = path
    return found


def _absolute(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _owner(name: str, modules) -> str | None:
    """The longest project module that ``name`` is or is inside."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(name: str, source: str, modules, is_package: bool = False) -> list[Import]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _owner(alias.name, modules)
                if target and target != name:
                    found.append(Import(name, target, (), node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(name, is_package, node)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in modules:
                    found.append(Import(name, submodule, (), node.lineno))
                    continue
                target = _owner(base, modules)
                if target and target != name:
                    found.append(Import(name, target, (alias.name,), node.lineno))
    return found


def private_uses(name: str, source: str, modules, is_package: bool = False) -> list[str]:
    """``from other import _x`` and ``other._x`` where ``other`` is another project module."""
    def private(attr: str) -> bool:
        return attr.startswith("_") and not attr.startswith("__")

    tree = ast.parse(source)
    bound: dict[str, str] = {}
    problems = []
    for item in imports_of(name, source, modules, is_package):
        problems += [f"{name}:{item.line} imports {item.target}.{n}"
                     for n in item.names if private(n)]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = _absolute(name, is_package, node)
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    bound[alias.asname or alias.name] = f"{base}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules and alias.asname:
                    bound[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and private(node.attr)
                and isinstance(node.value, ast.Name) and node.value.id in bound
                and bound[node.value.id] != name):
            problems.append(f"{name}:{node.lineno} uses {bound[node.value.id]}.{node.attr}")
    return problems


def graph(modules: dict[str, Path]) -> dict[str, list[Import]]:
    return {name: imports_of(name, path.read_text(encoding="utf-8"), modules,
                             path.name == "__init__.py")
            for name, path in modules.items()}


def cycles(edges: dict[str, list[Import]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or self-loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for item in edges.get(node, []):
            nxt = item.target
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    import sys
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for node in sorted(edges):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return found


def inside(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def direction_problems(edges: dict[str, list[Import]]) -> list[str]:
    problems = []
    for importer, items in edges.items():
        for item in items:
            target = item.target
            where = f"{importer}:{item.line} imports {target}"
            if inside(importer, "cloudhospital") and importer not in ROOTS \
                    and inside(target, *APPS):
                problems.append(where + " (the core composes no app)")
            if inside(importer, "clinics") and inside(target, "imaging", "signaling"):
                problems.append(where + " (clinics comes before imaging and signaling)")
            if inside(importer, "signaling") and inside(target, *WORKFLOWS):
                problems.append(where + " (signaling knows no workflow)")
            if (inside(importer, "clinics") and not inside(importer, *WORKFLOWS)
                    and inside(target, *WORKFLOWS)):
                problems.append(where + " (shared clinics modules know no workflow)")
    return problems


# --- the project -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def project():
    modules = project_modules()
    return modules, graph(modules)


def test_no_import_cycle_between_the_projects_modules(project):
    _, edges = project
    assert cycles(edges) == []


def test_imports_run_one_way(project):
    _, edges = project
    assert direction_problems(edges) == []


def test_no_module_uses_another_modules_private_names(project):
    modules, _ = project
    problems = []
    for name, path in modules.items():
        problems += private_uses(name, path.read_text(encoding="utf-8"), modules,
                                 path.name == "__init__.py")
    assert problems == []


# --- the checks themselves can fail ------------------------------------------------------

FAKE = {"clinics": None, "clinics.followups": None, "clinics.followups.booking": None,
        "clinics.followups.tasks": None, "signaling": None, "signaling.rooms": None,
        "cloudhospital": None, "cloudhospital.core": None, "cloudhospital.core.events": None}


def fake_graph(sources: dict[str, str]) -> dict[str, list[Import]]:
    return {name: imports_of(name, source, FAKE) for name, source in sources.items()}


def test_a_cycle_hidden_in_a_function_is_found():
    edges = fake_graph({
        "clinics.followups.booking": "from clinics.followups import tasks\n",
        "clinics.followups.tasks": "def f():\n    from clinics.followups import booking\n",
    })
    assert cycles(edges) == [["clinics.followups.booking", "clinics.followups.tasks"]]


def test_the_core_importing_an_app_and_signaling_importing_a_workflow_are_found():
    edges = fake_graph({
        "cloudhospital.core.events": "import clinics.followups.booking\n",
        "signaling.rooms": "def f():\n    from clinics.followups.tasks import run\n",
    })
    problems = direction_problems(edges)
    assert len(problems) == 2
    assert "core composes no app" in problems[0] and "knows no workflow" in problems[1]


def test_private_names_from_another_module_are_found():
    source = ("from clinics.followups import booking\n"
              "from clinics.followups.tasks import _helper\n"
              "booking._own_visit(1)\n")
    assert private_uses("signaling.rooms", source, FAKE) == [
        "signaling.rooms:2 imports clinics.followups.tasks._helper",
        "signaling.rooms:3 uses clinics.followups.booking._own_visit"]
