"""Training on several processes with torch.distributed and DistributedDataParallel.

`torchrun` (or `tuidl run --nproc N`, which calls it) starts one process per device and tells
each its place through the environment: WORLD_SIZE, RANK, LOCAL_RANK. tuidl reads them here;
without them a run is a single process and nothing in this module does anything.

How a distributed run divides the work:
- every rank draws the same shuffled order (same seed) and the same global batch of
  `batch_size` indices; rank r trains on its r-th slice of it (`shard`), so the slices are
  disjoint and an epoch still visits every example once. A batch that does not divide evenly
  is padded with its own first indices (DistributedSampler's rule), so every rank does the
  same amount of work and DDP's average is the global batch's mean;
- DistributedDataParallel averages the gradients during `backward()`, so every rank holds the
  same gradients and takes the same optimizer step: the gradient statistics are those of the
  global batch, read on rank 0;
- step figures (loss, accuracy) are summed across ranks once per log interval (`mean`), and
  evaluation splits the validation set and sums its confusion matrix and loss (`sum_`), so
  what is emitted covers every rank's data;
- rank 0 alone writes the run directory (events, checkpoints, summary); the others load the
  same checkpoint when a run resumes;
- a stop (a signal on any rank) is agreed at a log step (`any_`), so every rank stops after
  the same step and rank 0's checkpoint is the position of all of them.

Backend: nccl for CUDA, gloo otherwise. A family trains distributed when its spec says so
(`distributed`: one model's forward and backward per step); the others (a GAN's two models in
turn, word2vec's sparse gradients, the perceptron's rule) train on one process only and say so.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from tuidl.config import TuidlError

@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def active(self) -> bool:
        return self.size > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


SINGLE = World()


def from_env(environ=os.environ) -> World:
    """The process's place as torchrun set it; a single process when WORLD_SIZE is absent."""
    try:
        size = int(environ.get("WORLD_SIZE", "1"))
        rank = int(environ.get("RANK", "0"))
        local = int(environ.get("LOCAL_RANK", str(rank)))
    except ValueError as e:
        raise TuidlError(f"WORLD_SIZE, RANK and LOCAL_RANK must be integers ({e}); start "
                         "distributed runs with torchrun or tuidl run --nproc N") from None
    if size < 1 or not 0 <= rank < size:
        raise TuidlError(f"RANK {rank} is not within WORLD_SIZE {size}")
    return World(rank, size, local)


def check_family(spec, world: World) -> None:
    """A family spec (tuidl.specs.Family) that cannot train on `world` is a TuidlError."""
    if world.active and not spec.distributed:
        from tuidl.specs import families
        covered = ", ".join(f.name for f in families() if f.distributed)
        raise TuidlError(f"the {spec.name} family trains on one process only; distributed "
                         f"training (torchrun, --nproc) covers {covered}")


def device_for(device: torch.device, world: World) -> torch.device:
    """Each rank on its own GPU: cuda means cuda:LOCAL_RANK in a distributed run."""
    if world.active and device.type == "cuda":
        if world.local_rank >= torch.cuda.device_count():
            raise TuidlError(f"LOCAL_RANK {world.local_rank} has no GPU: this machine has "
                             f"{torch.cuda.device_count()}; start at most that many processes "
                             "per node")
        device = torch.device("cuda", world.local_rank)
        torch.cuda.set_device(device)
    return device


def start(world: World, device: torch.device) -> None:
    """Join the process group (nccl on CUDA, gloo otherwise); torchrun's environment
    (MASTER_ADDR, MASTER_PORT) says where to meet."""
    if not world.active:
        return
    import torch.distributed as dist
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, rank=world.rank, world_size=world.size)


def stop(world: World) -> None:
    """Leave the process group while the interpreter is whole. DistributedDataParallel's
    reducer sits in reference cycles and holds the group: collected first, so the group's
    gloo threads are joined here, not during the interpreter's shutdown (where, now and
    then, a worker died with `terminate called without an active exception`)."""
    if not world.active:
        return
    import gc

    import torch.distributed as dist
    gc.collect()
    if dist.is_initialized():
        dist.destroy_process_group()


def wrap(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """The module every rank's training forward goes through: DDP's hooks average the
    gradients in backward(). The plain module stays the task's model (checkpoints, exports and
    evaluation use it)."""
    from torch.nn.parallel import DistributedDataParallel
    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def shard(idx: torch.Tensor, world: World) -> torch.Tensor:
    """This rank's slice of a global batch of indices, padded with its own first indices up
    to a multiple of the world size."""
    if not world.active:
        return idx
    n = len(idx)
    per = -(-n // world.size)
    if per * world.size != n:
        idx = idx[torch.arange(per * world.size, device=idx.device) % n]
    return idx[world.rank * per:(world.rank + 1) * per]


def split(n: int, world: World) -> slice:
    """This rank's contiguous part of n evaluation rows (sizes differ by at most one)."""
    if not world.active:
        return slice(0, n)
    lo = n * world.rank // world.size
    return slice(lo, n * (world.rank + 1) // world.size)


def sum_(t: torch.Tensor, world: World) -> torch.Tensor:
    """The element-wise sum of t over every rank (t itself on one process)."""
    if world.active:
        import torch.distributed as dist
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def mean(t: torch.Tensor, world: World) -> torch.Tensor:
    return sum_(t, world) / world.size if world.active else t


def any_(flag: bool, world: World, device: torch.device) -> bool:
    """True on every rank when it is true on any (a host sync: call it at log steps only)."""
    if not world.active:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    return bool(sum_(t, world).item() > 0)
