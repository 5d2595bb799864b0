"""The house's layers (docs/architecture.md, "Which app may import which").

Every module of every app is parsed (imports inside functions included) and each import
between two apps is checked against the layer list: an app imports only apps of a lower
layer, no domain app imports `overview`, and no import cycle joins modules of two apps.
A table is not a layer: importing another app's `models` to query it is allowed in any
direction (the schema is one graph already: `User.household`, `Household.micro_grid`,
`Community.village`, `Appeal.line`), but the cycle check covers models too.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. Apps of one layer do not import each other.
LAYERS = (
    ("pinghu_points",),  # infrastructure: parameters, months, exports, spreadsheets, jobs
    ("accounts",),  # users, roles, the scope module, the audit trail
    ("villages",),  # the register: villages, cooperatives, households, shares
    ("communities",),  # places, standards, the points ledger, reviews, months
    ("appeals", "matters", "banking"),
    ("dividends",),  # its notice shows the open appeals of its lines
    ("awards",),  # the dividend's policies, exports and notice
    ("overview",),  # pages that compose several apps; imported by none
)
# The project's wiring sits above every app: the URL configuration, settings, start-up.
PROJECT = {
    "pinghu_points.urls",
    "pinghu_points.api_urls",
    "pinghu_points.settings",
    "pinghu_points.celery",
    "pinghu_points.wsgi",
    "pinghu_points.asgi",
}
DOMAIN = {app for layer in LAYERS[1:-1] for app in layer}
LAYER_OF = {app: number for number, layer in enumerate(LAYERS) for app in layer}

# Imports against the layers that are known and named (docs/architecture.md, "Known
# exceptions"): (importing module, imported module) -> why it is still there.
ALLOWED = {
    ("accounts.views", "villages.selectors"): (
        "the login page opened from a card's QR code finds the card's household"
    ),
}


def _modules():
    """{module name: path} of every app's Python files."""
    modules = {}
    for app in LAYER_OF:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _imports(name, path, modules):
    """[(imported module, line)] of one module, relative imports resolved, every import
    in the file (at the top or inside a function)."""
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = name.split(".")
                keep = len(package) - node.level + (1 if is_package else 0)
                base = ".".join(package[:keep] + ([node.module] if node.module else []))
            else:
                base = node.module
            for alias in node.names:
                # `from communities import selectors` imports the module communities.selectors.
                full = f"{base}.{alias.name}"
                found.append((full if full in modules else base, node.lineno))
    return [(target, line) for target, line in found if target.split(".")[0] in LAYER_OF]


def _graph():
    modules = _modules()
    return modules, {name: _imports(name, path, modules) for name, path in modules.items()}


def _app(module):
    return module.split(".")[0]


def _is_table(module):
    return module.split(".")[-1] == "models" and _app(module) in DOMAIN


def test_every_app_has_a_layer():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps - set(LAYER_OF) == set(), "place the new app in LAYERS (docs/architecture.md)"


def test_no_app_imports_one_above_it_and_no_domain_app_imports_overview():
    _, graph = _graph()
    wrong = []
    used = set()
    for source, targets in graph.items():
        if source in PROJECT:
            continue
        for target, line in targets:
            source_app, target_app = _app(source), _app(target)
            if source_app == target_app:
                continue
            if target_app == "overview":
                wrong.append(f"{source}:{line} imports {target} (nothing imports overview)")
                continue
            if LAYER_OF[target_app] < LAYER_OF[source_app] or _is_table(target):
                continue
            if (source, target) in ALLOWED:
                used.add((source, target))
                continue
            wrong.append(f"{source}:{line} imports {target} (a layer above or beside it)")
    assert wrong == []
    assert set(ALLOWED) - used == set(), "an allowed exception is gone: remove it from ALLOWED"


def _strongly_connected(graph):
    """Tarjan's components of the module graph (iterative, so depth is no limit)."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def test_no_import_cycle_joins_modules_of_two_apps():
    modules, graph = _graph()
    edges = {
        source: sorted({target for target, _ in targets if target in modules and target != source})
        for source, targets in graph.items()
    }
    cycles = [
        sorted(component)
        for component in _strongly_connected(edges)
        if len({_app(module) for module in component}) > 1
    ]
    assert cycles == []
