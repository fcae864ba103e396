"""The package's layout shows its architecture: no import cycles between its parts.

The import graph is built from the source with `ast`, counting the imports a module runs
when it is loaded (not those inside functions, which run later and are how the CLI and the
app factory reach the parts they wire together). Each subpackage of `partnership`
(referrals, dashboards, services, directory, sample …) is one node, and so is each
top-level module (access.py, clock.py, words.py …). A cycle between two nodes means
neither can be read, tested or changed without the other, so it fails here, listed with
the import lines that make it. The same holds for the modules themselves.
"""

import ast
from collections import defaultdict
from pathlib import Path

import partnership

PACKAGE = Path(partnership.__file__).parent

# Cycles allowed for now, each as the sorted tuple of its nodes. Keep this empty.
KNOWN_CYCLES: set[tuple[str, ...]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _run_at_load(tree: ast.Module):
    """The import statements that run when the module is loaded: outside any function."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            pending.extend(ast.iter_child_nodes(node))


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The partnership modules an import statement loads (a name imported from a package
    counts as its submodule when there is one)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = module if is_package else module.rpartition(".")[0]
    if node.level:
        base = ".".join(base.split(".")[: len(base.split(".")) - node.level + 1])
        source = f"{base}.{node.module}" if node.module else base
    else:
        source = node.module or ""
    return [source] + [f"{source}.{alias.name}" for alias in node.names]


def import_graph() -> dict[str, dict[str, list[str]]]:
    """{module: {imported module: [where, as "path:line"]}} for partnership's own modules."""
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path): path for path in paths}
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module, path in modules.items():
        graph[module]
        tree = ast.parse(path.read_text(), str(path))
        for node in _run_at_load(tree):
            for target in _imported(node, module, path.name == "__init__.py"):
                if target in modules and target != module:
                    where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                    graph[module][target].append(where)
    return graph


def part_of(module: str) -> str:
    """The node a module belongs to: its subpackage, or the top-level module itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "partnership (create_app)"


def parts_graph() -> dict[str, dict[str, list[str]]]:
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module, targets in import_graph().items():
        graph[part_of(module)]
        for target, where in targets.items():
            if part_of(target) != part_of(module):
                graph[part_of(module)][part_of(target)] += [f"{w} imports {target}" for w in where]
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
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


def explain(graph: dict[str, dict[str, list[str]]], component: list[str]) -> str:
    lines = [" <-> ".join(component)]
    for node in component:
        for target in sorted(graph[node]):
            if target in component:
                lines += [f"  {node} -> {target}: {where}" for where in graph[node][target]]
    return "\n".join(lines)


def test_the_graph_sees_the_imports_it_should():
    """A guard on the test itself: known imports are found, a function's import is not."""
    parts = parts_graph()
    assert "models" in parts["referrals"]
    assert "dashboards" in parts["main"]
    # The CLI imports the sample data inside its commands only.
    assert "sample" not in parts["cli"]
    assert "referrals" in parts["sample"]


def test_no_cycles_between_the_packages_parts():
    graph = parts_graph()
    found = [c for c in cycles(graph) if tuple(c) not in KNOWN_CYCLES]
    assert not found, "Import cycles between parts of partnership:\n" + "\n".join(
        explain(graph, c) for c in found
    )


def test_no_cycles_between_modules():
    """Within a part too, except a package's __init__ loading its own modules: that is how
    a Flask blueprint registers its routes (api/__init__.py), and the modules then import
    the blueprint from the package."""
    graph = {
        module: {
            target: where
            for target, where in targets.items()
            if target.rpartition(".")[0] != module
        }
        for module, targets in import_graph().items()
    }
    found = [c for c in cycles(graph) if tuple(c) not in KNOWN_CYCLES]
    assert not found, "Import cycles between modules of partnership:\n" + "\n".join(
        explain(graph, c) for c in found
    )


def test_the_known_exceptions_are_still_cycles():
    """An exception that no longer holds comes off the list."""
    graph = parts_graph()
    assert {tuple(c) for c in cycles(graph)} >= KNOWN_CYCLES
