"""No import loops: neither between modules (counting imports inside functions too) nor between
the packages of ``bench_app`` (``report`` ↔ ``signing`` was one; the checklist action registry
was another: template → actions → context → template)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules() -> dict[str, Path]:
    out = {}
    for package in ("drivers", "bench_app"):
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _graph() -> dict[str, set[str]]:
    """Module → modules it imports (a parent package that is importing it is not an edge)."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    m = ".".join(parts[:i])
                    if m in mods and m != name and not name.startswith(m + "."):
                        edges.add(m)
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[v] = min(low[v], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_no_module_import_loops():
    assert _cycles(_graph()) == []


def test_no_loops_between_bench_app_packages():
    packages: dict[str, set[str]] = {}
    for name, edges in _graph().items():
        if not name.startswith("bench_app."):
            continue
        own = ".".join(name.split(".")[:2])
        packages.setdefault(own, set()).update(
            ".".join(e.split(".")[:2]) for e in edges if e.startswith("bench_app.")
        )
    for pkg in packages:
        packages[pkg].discard(pkg)
    assert _cycles(packages) == []


def test_the_detector_sees_a_loop():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_ui_holds_no_protocol_code_and_no_simulator_import():
    """The GUI decodes traces through drivers.dissect and starts the simulator through
    bench_app.simulator: it imports neither codecs (HDLC, A-XDR, APDU, IEC readout) nor
    drivers.sim."""
    forbidden = ("drivers.sim", "drivers.dlms", "drivers.iec62056_21")
    offenders = {}
    for path in (ROOT / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            bad = [n for n in names if n.startswith(forbidden)]
            if bad:
                offenders.setdefault(str(path.relative_to(ROOT)), []).extend(bad)
    assert offenders == {}
