"""The layers of bot/ as ARCHITECTURE.md draws them, read from the source with ast (no import side effects):
the domain imports neither rich nor telegram nor anything above it, and no two modules import each other,
directly or round a longer circle. Imports inside functions count: a lazy import hides a circle, it does
not remove it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"
DOMAIN = ("bot.kb", "bot.coach", "bot.store")
# What the domain may never reach: the presentation libraries, the faces, the wiring and the tooling above it.
FORBIDDEN_IN_DOMAIN = ("rich", "telegram", "bot.chat", "bot.telegram", "bot.terminal", "bot.cli",
                       "bot.services", "bot.tools")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(BOT.rglob("*.py"))}


def imported_names(path: Path) -> set[str]:
    """Every dotted name a module imports, anywhere in it; `from a import b` yields a.b (b may be a module of
    package a or a name inside module a: internal_module tells which)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                here = module_name(path).split(".")
                anchor = here[: len(here) - node.level + (path.name == "__init__.py")]
                base = ".".join([*anchor, *([base] if base else [])])
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def internal_module(name: str) -> str | None:
    """The module of bot/ an imported name lands in (a name inside a module lands in that module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        targets = {internal_module(n) for n in imported_names(path)}
        graph[name] = {t for t in targets if t is not None and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path that returns to its start, or None (depth-first, white/grey/black)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _under(m, DOMAIN)))
def test_the_domain_imports_no_presentation_and_nothing_above_it(module: str) -> None:
    wrong = sorted(n for n in imported_names(MODULES[module]) if _under(n, FORBIDDEN_IN_DOMAIN))
    assert not wrong, f"{module} imports {', '.join(wrong)}"


def test_bot_has_no_import_circles() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_the_checks_see_what_they_look_for(tmp_path: Path) -> None:
    """The walkers themselves: a lazy import of rich is found, and a two-module circle is a circle."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from rich.table import Table\n    import telegram.ext\n", encoding="utf-8")
    assert {"rich.table.Table", "telegram.ext"} <= imported_names(module)
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
