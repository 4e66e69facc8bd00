"""What `tuidl.Monitor` adds to a training step of a model that is not a tuidl preset, two ways.

In place: one monitored run, every Monitor code path timed where it runs (the optimizer hooks,
`step()`, the activation hooks), as a share of the run's training time. Whole runs: the same
loop monitored and not, in alternating order, median step time of each; on a shared machine
their run-to-run noise is a few %, the size of the effect, so the in-place share is the figure
to read and the A/B ratio its check.

    .venv/bin/python benchmarks/monitor_overhead.py [--repeats 5] [--steps 60] [--device auto]
        [--models resnet,transformer] [--record]

Models, on random data (no download): a ResNet (4 residual blocks of 32 channels with batch
norm, 32x32 RGB inputs, batch 32, SGD with momentum) and a transformer encoder (4 layers,
d_model 128, 4 heads, 64 tokens, batch 32, AdamW). The Monitor runs with its defaults
(log_every=10, histograms every 5th log, activation health every 5th log).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "examples"))


def resnet(device):
    from monitor_digits import ResNet
    model = ResNet(depth=4, channels=32).to(device)
    model.stem = nn.Conv2d(3, 32, 3, padding=1).to(device)
    x = torch.randn(32, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (32,), device=device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return model, opt, x, y


class Encoder(nn.Module):
    def __init__(self, vocab=1000, d=128, layers=4, classes=10):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, 4, 4 * d, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)

    def forward(self, tokens):
        return self.head(self.encoder(self.embed(tokens)).mean(dim=1))


def transformer(device):
    model = Encoder().to(device)
    x = torch.randint(0, 1000, (32, 64), device=device)
    y = torch.randint(0, 10, (32,), device=device)
    return model, torch.optim.AdamW(model.parameters(), lr=1e-3), x, y


MODELS = {"resnet": resnet, "transformer": transformer}


def sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run(build, device, steps: int, monitored: bool, root: str) -> float:
    """Seconds per step of `steps` steps (after 5 warm-up steps), monitored or not."""
    import tuidl
    torch.manual_seed(0)
    model, opt, x, y = build(device)
    mon = tuidl.Monitor(model, opt, out=root, name="bench") if monitored else None
    for i in range(steps + 5):
        if i == 5:
            sync(device)
            t0 = time.perf_counter()
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if mon is not None:
            mon.step(loss=loss)
    sync(device)
    elapsed = time.perf_counter() - t0
    if mon is not None:
        mon.close()
    return elapsed / steps


def attributed(build, device, steps: int, root: str) -> float:
    """Seconds spent inside the Monitor per step, timed in place during a monitored run."""
    from tuidl.engine.activations import ActivationProbe
    from tuidl.monitor import Monitor
    from timing import Stopwatch
    watch = Stopwatch()
    timed = watch.wrap

    saved = [(Monitor, n, getattr(Monitor, n)) for n in ("step", "before_step", "after_step")]
    saved.append((ActivationProbe, "_hook", ActivationProbe._hook))
    for cls, name, fn in saved[:3]:
        setattr(cls, name, timed(fn))
    ActivationProbe._hook = lambda self, n, k: timed(saved[3][2](self, n, k))
    try:
        run(build, device, 5, True, root)  # warm-up
        watch.spent = 0.0
        run(build, device, steps, True, root)
    finally:
        for cls, name, fn in saved:
            setattr(cls, name, fn)
    return watch.spent / (steps + 5)


def main(argv: list[str] | None = None) -> list[list]:
    from tuidl.engine.device import resolve_device
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--models", default="resnet,transformer")
    ap.add_argument("--record", action="store_true", help="append the table to RESULTS.md")
    args = ap.parse_args(argv)
    device = resolve_device(args.device)
    rows = []
    with tempfile.TemporaryDirectory() as root:
        for name in args.models.split(","):
            build = MODELS[name]
            run(build, device, 5, False, root)  # warm-up
            plain, monitored = [], []
            for r in range(args.repeats):
                order = (False, True) if r % 2 == 0 else (True, False)
                for on in order:
                    (monitored if on else plain).append(run(build, device, args.steps, on, root))
            inside = attributed(build, device, args.steps, root)
            a, b = statistics.median(plain), statistics.median(monitored)
            params = sum(p.numel() for p in build(device)[0].parameters())
            rows.append([name, f"{params:,}", args.steps, f"{a * 1e3:.1f}", f"{b * 1e3:.1f}",
                         f"{(b / a - 1) * 100:+.1f} %", f"{inside * 1e3:.2f}",
                         f"{inside / a * 100:.2f} %"])
            print(" | ".join(str(c) for c in rows[-1]), flush=True)
    columns = ["model", "params", "steps", "ms/step plain (median)", "ms/step monitored (median)",
               "A/B", "ms/step inside Monitor", "inside / step"]
    if args.record:
        from results import record
        record("tuidl.Monitor overhead", columns, rows, device=str(device),
               note=f"{args.repeats} alternating runs of each; `inside`: time in the Monitor's "
                    "hooks and step(), measured in place in one more monitored run; target <= 3 %.")
    print(" | ".join(columns))
    return rows


if __name__ == "__main__":
    main()
