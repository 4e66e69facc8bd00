"""One-way imports: engine ← sinks/runner ← ui ← cli. The engine never loads UI code."""
import ast
from pathlib import Path

import tuidl

ROOT = Path(tuidl.__file__).parent
ENGINE_SIDE = ("engine", "tasks", "models", "data", "sinks", "specs")
ENGINE_FILES = ("config.py", "events.py", "catalog.py", "runner.py")
UI_MODULES = ("textual", "textual_plotext", "plotext", "tuidl.ui", "tuidl.cli", "typer")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_engine_side_never_imports_ui_code():
    files = [p for d in ENGINE_SIDE for p in (ROOT / d).rglob("*.py")]
    files += [ROOT / f for f in ENGINE_FILES]
    for path in files:
        bad = {m for m in _imports(path) if m.split(".")[0] in UI_MODULES or m in UI_MODULES
               or any(m.startswith(u + ".") for u in UI_MODULES)}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_specs_and_catalog_are_torch_free():
    for path in [*(ROOT / "specs").glob("*.py"), ROOT / "catalog.py", ROOT / "config.py",
                 ROOT / "events.py"]:
        assert not {m for m in _imports(path) if m.split(".")[0] in ("torch", "numpy")}, path
