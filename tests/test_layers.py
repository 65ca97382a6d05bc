"""The layout shows the design (../shared/DESIGN.md, "Layers"): imports point downwards only, with nothing
hidden in a function body. Every execdesk module's imports are read with ast, the ones inside functions
and `if TYPE_CHECKING:` included."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "execdesk"

# The design's layers, bottom first: a module imports packages of its own rank or lower, never higher.
# market/ and venues/ share a rank: neither imports the other (their Bybit code shares execdesk/bybit/,
# below both). A new top-level package has no rank until it is placed here.
RANKS = {
    "domain": 0,  # pure Python: orders, state machine, strategies, risk gate, TCA
    "env": 1,  # the EXECDESK_* readers
    "bybit": 2,  # Bybit code shared by market data and execution: config, HTTP, sockets, parsing, errors
    "market": 3,
    "venues": 3,
    "advisors": 4,
    "engine": 5,  # the one step loop, used by the desk and the backtest
    "backtest": 6,
    "desk": 7,  # the Django app
    "celery": 7,  # its Celery app
    "settings": 8,  # the Django project around it
    "urls": 8,
    "asgi": 8,
    "": 8,  # execdesk/__init__.py
}
DOMAIN_THIRD_PARTY = {"numpy"}

# Import cycles still to break (none: the venue gateway removed the last one, child_orders ⇄ live_orders).
KNOWN_CYCLES: list[list[str]] = []


@cache
def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if "migrations" in parts:  # Django's history, not code that runs beside the rest
            continue
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _module_of(name: str) -> str:
    """The execdesk module a dotted import name lands in (`a.b.func` → `a.b`)."""
    while name not in modules():
        name = name.rpartition(".")[0]
    return name


def imported_names(module: str) -> Iterator[tuple[str, int]]:
    """(absolute dotted name, line) of every import in the module; for `from a import b`, `a.b`."""
    path = modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


@cache
def graph() -> dict[str, dict[str, int]]:
    """module -> {execdesk module it imports: first line}."""
    edges: dict[str, dict[str, int]] = {}
    for module in modules():
        out: dict[str, int] = {}
        for name, line in imported_names(module):
            if name == "execdesk" or name.startswith("execdesk."):
                target = _module_of(name)
                if target != module:
                    out.setdefault(target, line)
        edges[module] = out
    return edges


def cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    edges, index, low, stack, on_stack, found = graph(), {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
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
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(edges)))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


def cycle_path(component: list[str]) -> str:
    """One concrete loop through the component, with the line of each import, for the failure message."""
    edges, members = graph(), set(component)
    start = component[0]
    path, seen = [start], {start}
    while True:
        here = path[-1]
        nxt = sorted(w for w in edges[here] if w in members)
        back = [w for w in nxt if w in seen]
        step = back[0] if back else next(w for w in nxt if w not in seen)
        path.append(step)
        if step in seen:
            loop = path[path.index(step):]
            return " -> ".join(f"{a} (line {edges[a][b]})" for a, b in zip(loop, loop[1:], strict=False)) + \
                f" -> {loop[-1]}"
        seen.add(step)


def top(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def violations(rule) -> list[str]:
    return [f"{m} imports {t} (line {line})" for m, out in sorted(graph().items()) for t, line in out.items()
            if rule(m, t)]


def test_no_import_cycle_among_modules():
    found = cycles()
    unexpected = [c for c in found if c not in KNOWN_CYCLES]
    assert unexpected == [], "import cycles:\n" + "\n".join(
        f"{len(c)} modules {c}\n  one loop: {cycle_path(c)}" for c in unexpected)
    gone = [c for c in KNOWN_CYCLES if c not in found]
    assert gone == [], f"no longer a cycle, remove it from KNOWN_CYCLES: {gone}"


def test_every_top_level_package_has_a_layer():
    assert sorted({top(m) for m in modules()} - RANKS.keys()) == []


def test_imports_point_downwards_only():
    def upwards(m: str, t: str) -> bool:
        a, b = top(m), top(t)
        return a != b and RANKS.get(b, 99) > RANKS.get(a, -1)

    assert violations(upwards) == []


def test_domain_imports_only_the_domain_the_standard_library_and_numpy():
    bad = []
    for module in modules():
        if top(module) != "domain":
            continue
        for name, line in imported_names(module):
            root = name.split(".")[0]
            if name.startswith("execdesk.domain") or root in sys.stdlib_module_names or root in DOMAIN_THIRD_PARTY:
                continue
            if name == "__future__.annotations":
                continue
            bad.append(f"{module} imports {name} (line {line})")
    assert bad == []


def test_adapters_never_import_the_desk():
    assert violations(lambda m, t: top(m) in {"market", "venues", "advisors", "bybit"} and top(t) == "desk") == []


def test_market_and_venues_never_import_each_other():
    assert violations(lambda m, t: {top(m), top(t)} == {"market", "venues"}) == []


def test_services_never_import_tasks_or_their_callers():
    # views, the API, consumers, tasks and commands call services, never the other way round
    callers = ("execdesk.desk.tasks", "execdesk.desk.web", "execdesk.desk.api", "execdesk.desk.realtime.consumers",
               "execdesk.desk.realtime.routing", "execdesk.desk.management")
    assert violations(lambda m, t: m.startswith("execdesk.desk.services.")
                      and any(t == c or t.startswith(c + ".") for c in callers)) == []


def test_the_graph_sees_imports_inside_functions():
    # DeskConfig.ready() imports the tasks inside its body: a reader of top-level imports alone misses it
    assert "execdesk.desk.tasks" in graph()["execdesk.desk.apps"]
