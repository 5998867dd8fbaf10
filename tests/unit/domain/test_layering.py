"""domain/ stays pure: it imports the standard library and itself, nothing else."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import invite_tracker.domain

DOMAIN = Path(invite_tracker.domain.__file__).parent


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module)
    return roots


def test_domain_imports_only_stdlib_and_itself() -> None:
    files = sorted(DOMAIN.glob("*.py"))
    assert len(files) > 5
    for path in files:
        for module in imported_roots(path):
            top = module.split(".")[0]
            allowed = top in sys.stdlib_module_names or module.startswith("invite_tracker.domain")
            assert allowed, f"{path.name} imports {module}"
