"""The map's rule that resources/store/ is the only code writing the application's tables: a
workflow in services/ that wants a row changed asks a store (DESIGN.md, layout)."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[1] / "services"
WRITES = {("sa", "update"), ("sa", "insert"), ("sa", "delete"), ("scope", "insert"),
          ("scope", "update_rows")}


def _writes(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and (node.func.value.id, node.func.attr) in WRITES):
            found.append(f"{path.relative_to(SERVICES.parent)}:{node.lineno} "
                         f"{node.func.value.id}.{node.func.attr}")
    return found


def test_services_write_tables_only_through_the_stores() -> None:
    modules = sorted(SERVICES.rglob("*.py"))
    assert len(modules) > 20
    assert [w for path in modules for w in _writes(path)] == []
