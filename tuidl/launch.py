"""`tuidl run … --nproc N`: the same run on N local processes through torch's elastic launcher.

It is what `torchrun --standalone --nproc-per-node N -m tuidl run …` does (a rendezvous on a
free local port, one worker process per rank, the environment each reads in
`tuidl.engine.distributed`), called as a library so that tuidl keeps its own exit codes: 0
when the run completed, the stopping signal's 128+N when a signal stopped it, the first worker's own code (2 bad input,
1 failed) when one failed. A signal to the launcher reaches every worker, which stop together
at a log step with a checkpoint; `--resume RUN_DIR --nproc N` goes on from there.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
import uuid
from pathlib import Path

from tuidl.cli_io import WORKER_ERRORS, say_error


def launch(nproc: int, args: list[str]) -> int:
    """Run `tuidl run ARGS` on nproc local worker processes; the exit code to return."""
    from torch.distributed.launcher.api import LaunchConfig

    for name in list(logging.root.manager.loggerDict):  # each sets its own level: WARNING
        if name.startswith("torch.distributed"):  # tuidl's own lines say what happened
            logging.getLogger(name).setLevel(logging.CRITICAL)
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc,
                          run_id=str(uuid.uuid4()), rdzv_backend="c10d",
                          rdzv_endpoint="localhost:0", max_restarts=0, monitor_interval=0.1)
    with tempfile.TemporaryDirectory(prefix="tuidl-errors-") as errors:
        os.environ[WORKER_ERRORS] = errors  # the workers inherit it
        try:
            return _launch(config, args)
        finally:
            del os.environ[WORKER_ERRORS]
            said = sorted(Path(errors).iterdir(), key=lambda p: int(p.name))
            if said:  # the lowest rank's error: all of them say the same, as a rule
                say_error(said[0].read_text(encoding="utf-8", errors="replace"))


def _launch(config, args: list[str]) -> int:
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import elastic_launch
    try:
        elastic_launch(config, sys.executable)("-m", "tuidl", "run", *args)
    except SignalException as e:  # the workers got it too and stopped at a checkpoint
        return 128 + int(e.sigval)
    except ChildFailedError as e:
        # a worker's own exit code (2: bad input, 1: failed) over the signal the launcher then
        # sent the others; -N: killed by signal N
        codes = [f.exitcode for _, f in sorted(e.failures.items())]
        own = [c for c in codes if c > 0]
        code = own[0] if own else codes[0]
        return code if code > 0 else 128 - code if code < 0 else 1
    return 0
