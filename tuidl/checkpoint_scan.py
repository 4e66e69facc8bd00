"""What a checkpoint file would import when unpickled, read without unpickling it (torch-free).

A checkpoint is a zip (torch.save's format) whose `data.pkl` rebuilds the state. tuidl's hold
tensors and plain values only, so their pickle names a handful of globals: torch's tensor
rebuilder, its storage classes and `collections.OrderedDict`. Any other global (os.system,
builtins.eval, a class of some package) means the file is not what tuidl wrote, and loading it
the old way would run that code. `tuidl watch` and `tuidl export` scan a run's checkpoint
before anything else; loading itself (`tuidl.engine.checkpoint`) uses
torch.load(weights_only=True), which refuses the same files. Cost: one pass over the pickle's
opcodes, not over the tensor data.
"""
from __future__ import annotations

import pickletools
import re
import zipfile
from pathlib import Path

from tuidl.config import TuidlError

ALLOWED = {"collections OrderedDict", "torch._utils _rebuild_tensor_v2",
           "torch._utils _rebuild_parameter", "torch._utils _rebuild_parameter_with_state"}
STORAGE = re.compile(r"torch [A-Z][A-Za-z0-9]*Storage")
FOREIGN_OPS = ("STACK_GLOBAL", "INST", "OBJ", "EXT1", "EXT2", "EXT4")  # names it cannot read
MAX_PICKLE = 64 << 20  # the structure of a checkpoint, tensors excluded: far below this
TRUST_OPTION = "--trust-checkpoint"


def refused(path: str | Path, why: str) -> TuidlError:
    """The one line for a checkpoint tuidl will not load, with the way to go on."""
    return TuidlError(f"{path}: {why}; it was not loaded and nothing in it ran. A checkpoint "
                      "of an older tuidl resumes with: tuidl run "
                      f"--resume {Path(path).parent} {TRUST_OPTION}")


def foreign_globals(path: str | Path) -> list[str]:
    """The globals the checkpoint's pickle names beyond tuidl's own few (empty: safe).
    A file that is not a torch.save zip is a TuidlError."""
    try:
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
            if len(names) != 1 or z.getinfo(names[0]).file_size > MAX_PICKLE:
                raise TuidlError(f"{path}: not a tuidl checkpoint (no single data.pkl)")
            data = z.read(names[0])
    except (zipfile.BadZipFile, OSError) as e:
        raise TuidlError(f"{path}: not a readable checkpoint ({type(e).__name__})") from None
    found: list[str] = []
    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name == "GLOBAL" and not (arg in ALLOWED or STORAGE.fullmatch(str(arg))):
                found.append(str(arg).replace(" ", "."))
            elif op.name in FOREIGN_OPS:
                found.append(f"<{op.name}>")
    except (ValueError, EOFError) as e:  # a torn or crafted opcode stream
        raise TuidlError(f"{path}: not a readable checkpoint ({e})") from None
    return sorted(set(found))


def check_checkpoint(path: str | Path) -> None:
    """Nothing when the checkpoint holds only tensors and plain values; else a TuidlError
    naming what it would have imported."""
    found = foreign_globals(path)
    if found:
        shown = ", ".join(found[:3]) + (" …" if len(found) > 3 else "")
        raise refused(path, f"holds more than tensors and plain values (it would import "
                            f"{shown})")
