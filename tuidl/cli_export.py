"""`tuidl export [KIND] RUN_DIR`: a run's weights (vectors, samples) from its checkpoint, or
its events as TensorBoard files. Its own module, as the other long commands are."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from tuidl.cli_io import fail, out
from tuidl.config import TuidlError
from tuidl.text import visible

EXPORT_KINDS = ("weights", "tensorboard")


def export_cmd(
    kind: Annotated[Optional[str], typer.Argument(
        metavar="KIND", show_default=False,
        help="weights (the default): weights, word vectors, samples from the run's "
             "checkpoint; tensorboard: TensorBoard event files from its events.jsonl, into "
             "RUN_DIR/tensorboard/ (needs pip install 'tuidl[tensorboard]').")] = None,
    run_dir: Annotated[Optional[str], typer.Argument(
        metavar="RUN_DIR", show_default=False, help="A run directory.")] = None,
) -> None:
    """Write a run's exports: `tuidl export RUN_DIR` (weights), `tuidl export tensorboard
    RUN_DIR`."""
    from pathlib import Path
    if kind is None:
        fail("export needs a run directory: tuidl export [KIND] RUN_DIR")
    if run_dir is None:  # one argument: the run directory (what `export` always took)
        if kind in EXPORT_KINDS and not Path(kind).is_dir():
            fail(f"export {kind} needs a run directory: tuidl export {kind} RUN_DIR")
        kind, run_dir = "weights", kind
    if kind not in EXPORT_KINDS:
        fail(f"unknown export kind '{visible(kind)}'; give one of {', '.join(EXPORT_KINDS)} "
             "(or only a RUN_DIR, for weights)")
    if kind == "tensorboard":
        _export_tensorboard(run_dir)
        return
    from tuidl.runner import export_run
    try:
        files = export_run(run_dir)
    except TuidlError as e:
        fail(str(e))
    wrote = ", ".join(files) or "nothing new"
    out.print(visible(f"{run_dir}: wrote {wrote}"), highlight=False, markup=False,
              soft_wrap=True)


def _export_tensorboard(run_dir: str) -> None:
    """`tuidl export tensorboard RUN_DIR`: convert events.jsonl, say where it went."""
    from tuidl.tensorboard import export_tensorboard
    try:
        done = export_tensorboard(run_dir)
    except TuidlError as e:
        fail(str(e))
    counts = ", ".join(f"{n} {what}" for what, n in done.written.items()) or "no figures"
    out.print(visible(f"{run_dir}: wrote {done.file.relative_to(done.folder.parent)} "
                      f"({counts}); view it with: tensorboard --logdir {done.folder}"),
              highlight=False, markup=False, soft_wrap=True)
