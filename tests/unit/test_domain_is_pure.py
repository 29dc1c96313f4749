"""pandi/domain holds rules only: nothing there may import Django."""

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "pandi" / "domain"
FILES = sorted(DOMAIN.glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_has_modules():
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_domain_module_does_not_import_django(path):
    offending = {m for m in imported_modules(path) if m.split(".")[0] in {"django", "ninja", "pandi"}
                 and not m.startswith("pandi.domain")}
    assert not offending, f"{path.name} imports {offending}"
