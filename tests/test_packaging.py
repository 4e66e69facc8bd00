"""An installed (non-editable) tuidl finds its presets and its app: they ship in the wheel."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tuidl.catalog import builtin_names
from tuidl.lesson import lesson_names

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_presets_and_finds_them_when_installed(tmp_path):
    pytest.importorskip("setuptools")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", str(ROOT), "-w", str(tmp_path)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("tuidl-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for preset in builtin_names():
        assert f"tuidl/presets/{preset}.toml" in names
    for lesson in lesson_names():
        assert f"tuidl/lesson_files/{lesson}.toml" in names
    # the app, its screens, widgets and stylesheet ship too
    for part in ("tuidl/ui/app.tcss", "tuidl/ui/screens/training.py",
                 "tuidl/ui/widgets/grad_panel.py", "tuidl/ui/widgets/views/boundary.py",
                 "tuidl/ui/screens/lesson.py"):
        assert part in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    code = ("import tuidl, tuidl.catalog as c, tuidl.lesson as l; print(tuidl.__file__); "
            "print(','.join(c.builtin_names())); print(','.join(l.lesson_names()))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, text=True,
                         capture_output=True, env={"PYTHONPATH": str(target)}).stdout.split()
    assert out[0].startswith(str(target))
    assert out[1].split(",") == builtin_names()
    assert out[2].split(",") == lesson_names()
