"""The word2vec-vs-gensim benchmark runs end to end on a tiny corpus (opt-in: -m benchmark)."""
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("gensim")

SCRIPT = Path(__file__).parent.parent / "benchmarks" / "word2vec_vs_gensim.py"


@pytest.mark.benchmark
def test_quick_run_prints_a_row_per_trainer_with_precision():
    out = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--no-record", "--repeats",
                          "1", "--cases", "world"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = [line.split(" | ") for line in out.stdout.splitlines() if line.startswith("world |")]
    assert [r[1] for r in rows] == ["tuidl cpu threads=1 share_negatives=16", "gensim workers=1",
                                    "gensim workers=2", "gensim workers=1 shrink"]
    for r in rows:
        assert float(r[3].replace(",", "")) > 0  # words/s
        assert 0.0 <= float(r[5]) <= 1.0  # precision@5
        assert r[6].startswith("fox → ")
