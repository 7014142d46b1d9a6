"""The architecture, checked from the source: imports point one way between the packages, and no modules
import each other in a circle. Parses every file; runs no app.

    core  <-  accounts  <-  kb (kb.search, kb.feedback)  <-  onboarding, improvement  <-  notify  <-  demo  <-  wsgi

A package may import itself and the packages to its left, never one to its right or beside it (onboarding
and improvement do not use each other). Where kb must show something of a package that uses it, that
package fills one of kb's hooks (core.hooks) when the app starts."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {"core": 0, "accounts": 1, "kb": 2, "onboarding": 3, "improvement": 3, "notify": 4, "demo": 5, "wsgi": 6}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def our_modules(root: Path = ROOT) -> dict[str, Path]:
    found = {"wsgi": root / "wsgi.py"}
    for package in LAYERS:
        if (root / package).is_dir():
            found |= {module_name(p, root): p for p in (root / package).rglob("*.py")}
    return found


def imports_of(source: str, modules: set[str]) -> list[tuple[str, bool]]:
    """(our module imported, whether the import is the app's wiring inside an `init_app`) for every import
    statement, at any depth; `from a import b` names module a.b when that is a module of ours."""
    found = []

    def visit(node, wiring: bool):
        for child in ast.iter_child_nodes(node):
            inner = wiring or (isinstance(child, ast.FunctionDef) and child.name == "init_app")
            if isinstance(child, ast.Import):
                found.extend((alias.name, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                for alias in child.names:
                    full = f"{child.module}.{alias.name}"
                    found.append((full if full in modules else child.module, inner))
            visit(child, inner)

    visit(ast.parse(source), False)
    return [(name, wiring) for name, wiring in found if name.split(".")[0] in LAYERS]


def arrows_back(modules: dict[str, str]) -> list[str]:
    """Every import from a package to one at its own level or to its right (other than itself)."""
    wrong = []
    for name, source in modules.items():
        importer = name.split(".")[0]
        for imported, _wiring in imports_of(source, set(modules)):
            used = imported.split(".")[0]
            if used != importer and LAYERS[used] >= LAYERS[importer]:
                wrong.append(f"{name} imports {imported}")
    return wrong


def circles(modules: dict[str, str]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan's strongly connected
    components); the wiring inside `init_app`, which runs once every module is loaded, does not count."""
    graph = {name: sorted({m for m, wiring in imports_of(source, set(modules)) if not wiring and m in modules
                           and m != name}) for name, source in modules.items()}
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def connect(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            connect(node)
    return groups


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    return {name: path.read_text(encoding="utf-8") for name, path in our_modules().items()}


def test_imports_point_one_way_between_the_packages(sources):
    assert arrows_back(sources) == []


def test_no_modules_import_each_other_in_a_circle(sources):
    assert circles(sources) == []


def test_an_arrow_back_is_caught():
    modules = {"kb.views": "from improvement import service\n", "improvement.service": "from kb import service\n",
               "kb.service": "", "core.db": "import accounts.auth\n", "accounts.auth": ""}
    assert arrows_back(modules) == ["kb.views imports improvement.service", "core.db imports accounts.auth"]


def test_onboarding_and_improvement_do_not_use_each_other():
    modules = {"onboarding.paths": "from improvement.models import Improvement\n", "improvement.models": ""}
    assert arrows_back(modules) == ["onboarding.paths imports improvement.models"]


def test_a_circle_is_caught_even_through_an_import_inside_a_function():
    modules = {"kb.a": "from kb import b\n", "kb.b": "def f():\n    from kb.c import x\n",
               "kb.c": "import kb.a\n", "kb.d": "def init_app(app):\n    from kb import a\n", }
    assert circles(modules) == [["kb.a", "kb.b", "kb.c"]]


def test_the_wiring_in_init_app_may_import_the_package_it_wires():
    modules = {"kb.search": "def init_app(app):\n    from kb.search import views\n",
               "kb.search.views": "from kb import search\n"}
    assert circles(modules) == []
    assert arrows_back(modules) == []


def test_every_package_is_listed_in_the_layers():
    """A new top-level package must be placed in the picture above before it can be imported."""
    top = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()} - {"tests"}
    assert top <= set(LAYERS), top - set(LAYERS)
