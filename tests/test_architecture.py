"""The layout's rules (docs/architecture.md), checked on the source as it stands.

Imports are read with `ast`, including those inside functions: a cycle hidden in a
lazy import is still a cycle in the design, and it is how the first one grew.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sautidesk", "integration", "agents")
MAX_LINES = 400


def project_modules():
    """Module name → path, for every Python file of the project's packages except migrations."""
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imports_of(name, path, modules):
    """The project modules that module `name` imports."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name.split(".") if is_package else name.split(".")[:-1]
                here = here[:len(here) - node.level + 1]
                base = ".".join(here + ([base] if base else []))
            # `from pkg import x` imports the module pkg.x when there is one, else a name of pkg.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph():
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_anywhere_in_the_project():
    assert cycles(import_graph()) == []


def test_the_cycle_check_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    assert cycles(graph) == [["a", "b", "c"]]


def test_clients_know_nothing_of_models_or_the_database():
    graph = import_graph()
    offenders = {
        module: sorted(target for target in targets if "models" in target.split("."))
        for module, targets in graph.items() if module.startswith("integration.clients")
    }
    assert {module: found for module, found in offenders.items() if found} == {}
    for path in (ROOT / "integration" / "clients").glob("*.py"):
        assert "django.db" not in path.read_text(), path


def test_the_admin_makes_no_freshdesk_call():
    graph = import_graph()
    reaching = {module: sorted(t for t in targets if t.startswith("integration.clients"))
                for module, targets in graph.items() if module.startswith("integration.admin")}

    assert {module: found for module, found in reaching.items() if found} == {}


def test_no_module_is_over_400_lines():
    long = {str(path.relative_to(ROOT)): n for path in project_modules().values()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}

    assert long == {}
