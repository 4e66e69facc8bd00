"""benchmarks/gpu.sh, the GPU session's prepared script, runs here too: on a machine without
CUDA it skips the CUDA parts (one line each) and runs every other step tiny on the CPU, so
its commands are checked in CI between the sessions that have a GPU."""
import os
import subprocess
import sys
from pathlib import Path

import torch

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu.sh"


def test_gpu_script_runs_every_step_or_skips_it_cleanly():
    done = subprocess.run(["bash", str(SCRIPT), "--quick"], capture_output=True, text=True,
                          timeout=400, env={**os.environ, "PYTHON": sys.executable,
                                            "OMP_NUM_THREADS": "1"})
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert "Traceback" not in out and "0 step(s) failed" in out
    if not torch.cuda.is_available():
        assert "CUDA test paths: skipped (no CUDA device)" in out
        assert out.count("-- ") == out.count(": done") == 3  # the three CPU steps, each done
        assert "cudagraph | skipped" in out  # a mode this machine cannot run, said as such
