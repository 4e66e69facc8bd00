"""One-way imports: engine ← sinks/runner ← ui ← cli. The engine never loads UI code."""
import ast
from pathlib import Path

import tuidl

ROOT = Path(tuidl.__file__).parent
ENGINE_SIDE = ("engine", "tasks", "models", "data", "sinks", "specs")
ENGINE_FILES = ("config.py", "events.py", "catalog.py", "runner.py", "rundir.py", "exports.py",
                "checkpoint_scan.py", "diagnose.py", "compare.py")
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


def test_the_engine_owns_the_task_contract_and_never_imports_the_families():
    """tuidl/engine/task.py defines what a task is; the families import it, never the reverse,
    and sinks/ holds only event consumers (run directories are written by tuidl.rundir)."""
    for path in (ROOT / "engine").rglob("*.py"):
        bad = {m for m in _imports(path) if m == "tuidl.tasks" or m.startswith("tuidl.tasks.")}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
    for path in (ROOT / "tasks").glob("*.py"):
        assert "tuidl.tasks.base" not in _imports(path)
    for path in (ROOT / "sinks").glob("*.py"):
        text = path.read_text()
        assert "def __call__" in text or path.name == "__init__.py", (
            f"{path.name} is not an event consumer")
