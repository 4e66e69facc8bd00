"""Eager against torch.compile against CUDA graphs, on the bare training loop of a preset.

    .venv/bin/python benchmarks/compile_modes.py [--presets mlp-digits,cnn-digits]
        [--modes eager,compile,cudagraph] [--device auto] [--steps 600] [--repeats 3]
        [--no-record]

Tiny models on a GPU are launch-bound: a step of mlp-digits is a few dozen kernels of a few
microseconds each, so the host's Python and the launches, not the GPU, set the pace. The
modes, on the same model, data and fused optimizer as `benchmarks/bare_loops.py` builds
(fixed-shape batches: the last partial batch of each epoch is dropped in every mode):

- eager: the loop as written;
- compile: `torch.compile` of the whole step (forward, loss, backward), the optimizer's
  fused step beside it; the first steps (compilation) are not timed;
- cudagraph (CUDA only): the whole step (forward, backward and a capturable fused Adam step)
  captured once into a CUDA graph and replayed, each batch copied into static inputs: one
  launch per step.

samples/s is the best of `--repeats` timed rounds of `--steps` steps, after warm-up steps that
are not timed. A mode that cannot run here (compile without a C++ compiler, cudagraph on a
CPU) is reported as skipped with its reason, never as a failure of the whole script.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
import bare_loops  # noqa: E402
from results import record  # noqa: E402

WARMUP = 20  # steps before timing (compilation, graph capture, allocator)


def batches(s: bare_loops.Setup, steps: int, gen: torch.Generator):
    """`steps` fixed-size batches by index, a new order each epoch (partial batches dropped)."""
    n, bs = len(s.y), s.batch_size
    per_epoch = max(1, n // bs)
    done = 0
    while done < steps:
        perm = torch.randperm(n, device=s.x.device, generator=gen)
        for b in range(min(per_epoch, steps - done)):
            idx = perm[b * bs:(b + 1) * bs]
            yield s.x[idx], s.y[idx]
        done += per_epoch


def eager_step(s: bare_loops.Setup):
    def step(x, y):
        loss = F.cross_entropy(s.model(x), y)
        loss.backward()
        s.opt.step()
        s.opt.zero_grad(set_to_none=True)
    return step


def compile_step(s: bare_loops.Setup):
    def forward_backward(x, y):
        loss = F.cross_entropy(s.model(x), y)
        loss.backward()
    compiled = torch.compile(forward_backward)

    def step(x, y):
        compiled(x, y)
        s.opt.step()
        s.opt.zero_grad(set_to_none=True)
    return step


def cudagraph_step(s: bare_loops.Setup):
    """The recipe of PyTorch's CUDA graphs notes (whole-network capture): warm up on a side
    stream, capture forward, backward and a capturable optimizer step, replay per batch."""
    if s.x.device.type != "cuda":
        raise RuntimeError("CUDA graphs need a CUDA device")
    lr = s.opt.param_groups[0]["lr"]
    s.opt = torch.optim.Adam(s.model.parameters(), lr=lr, fused=True, capturable=True)
    static_x = s.x[:s.batch_size].clone()
    static_y = s.y[:s.batch_size].clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            s.opt.zero_grad(set_to_none=True)
            F.cross_entropy(s.model(static_x), static_y).backward()
            s.opt.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    s.opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        F.cross_entropy(s.model(static_x), static_y).backward()
        s.opt.step()

    def step(x, y):
        static_x.copy_(x)
        static_y.copy_(y)
        graph.replay()
    return step


MODES = {"eager": eager_step, "compile": compile_step, "cudagraph": cudagraph_step}


def measure(preset: str, mode: str, device: torch.device, steps: int,
            repeats: int) -> float:
    """samples/s of `mode`, the best of `repeats` rounds of `steps` steps."""
    s = bare_loops.build(preset, device, fused=True)
    s.model.train()
    step = MODES[mode](s)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    gen = torch.Generator(device=device).manual_seed(0)
    for x, y in batches(s, WARMUP, gen):
        step(x, y)
    best = 0.0
    for _ in range(repeats):
        sync()
        t0 = time.perf_counter()
        for x, y in batches(s, steps, gen):
            step(x, y)
        sync()
        best = max(best, steps * s.batch_size / (time.perf_counter() - t0))
    return best


def main(argv: list[str] | None = None) -> list[list]:
    from tuidl.engine.device import resolve_device
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", default="mlp-digits,cnn-digits")
    ap.add_argument("--modes", default="eager,compile,cudagraph")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    device = resolve_device(args.device)
    rows = []
    for preset in args.presets.split(","):
        eager = None
        for mode in args.modes.split(","):
            try:
                rate = measure(preset, mode, device, args.steps, args.repeats)
            except Exception as e:  # noqa: BLE001 - a mode this machine cannot run
                reason = str(e).strip().splitlines()[0][:120] if str(e).strip() else ""
                rows.append([preset, mode, "skipped", "", f"{type(e).__name__}: {reason}"])
                print(" | ".join(rows[-1]), flush=True)
                continue
            eager = rate if mode == "eager" else eager
            ratio = f"{rate / eager:.2f}" if eager else ""
            rows.append([preset, mode, f"{rate:,.0f}", ratio, ""])
            print(" | ".join(rows[-1]), flush=True)
    columns = ["preset", "mode", "samples/s (best)", "/ eager", "note"]
    if not args.no_record:
        record("eager vs compile vs CUDA graphs", columns, rows, device=str(device),
               note=f"bare training loop, fused Adam, fixed-size batches; best of "
                    f"{args.repeats} rounds of {args.steps} steps after {WARMUP} warm-up steps.")
    return rows


if __name__ == "__main__":
    main()
