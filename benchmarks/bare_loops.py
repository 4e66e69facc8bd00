"""Reference training loops that tuidl is measured against (benchmarks/overhead.py).

Each builds the SAME model as a preset (tuidl's own builders, the preset's hyperparameters),
the SAME training split (tuidl's data modules and `split`), the same batch size and optimizer
(and gradient clipping where the preset clips), and then trains a given number of steps with
nothing else: no evaluation, no logging, no metrics.

- `bare`: what a competent user writes by hand for small in-memory data: the tensors on the
  device, a `torch.randperm` per epoch, batches by index.
- `dataloader`: the conventional `TensorDataset` + `DataLoader(shuffle=True)` loop, each batch
  moved to the device (a no-op on CPU).
- `bare_fused`: `bare` with the optimizer built as tuidl builds it (torch's fused kernels,
  `tuidl.engine.optim.build_optimizer`): tuidl's instrumentation cost alone.

`bare` and `dataloader` construct the optimizer as hand-written code does
(`torch.optim.Adam(params, lr=...)`, torch's default implementation).

`train(preset, kind, steps)` returns the seconds the loop took (the set-up excluded).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tuidl.config import parse_ints
from tuidl.data.split import split
from tuidl.engine.optim import build_optimizer, init_weights
from tuidl.runner import prepare

PRESETS = ("mlp-digits", "cnn-digits", "lstm-sentiment")


@dataclass
class Setup:
    model: nn.Module
    opt: torch.optim.Optimizer
    x: torch.Tensor  # training inputs on the device
    y: torch.Tensor
    batch_size: int
    grad_clip: float

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.y) / self.batch_size)


def textbook_optimizer(name: str, params, lr: float, momentum: float,
                       weight_decay: float) -> torch.optim.Optimizer:
    """The optimizer as a hand-written loop constructs it: `torch.optim.Adam(params, lr=...)`,
    torch's default implementation for the device."""
    O = torch.optim
    kw = dict(lr=lr, weight_decay=weight_decay)
    return {"sgd": lambda: O.SGD(params, **kw),
            "momentum": lambda: O.SGD(params, momentum=momentum, **kw),
            "nesterov": lambda: O.SGD(params, momentum=momentum, nesterov=True, **kw),
            "adagrad": lambda: O.Adagrad(params, **kw),
            "rmsprop": lambda: O.RMSprop(params, alpha=0.99, **kw),
            "adam": lambda: O.Adam(params, **kw),
            "adamw": lambda: O.AdamW(params, **kw)}[name]()


def build(preset: str, device: torch.device, overrides: list[str] = (),
          fused: bool = False) -> Setup:
    """Model, optimizer and training tensors of `preset`, as tuidl builds them; the optimizer
    as the textbook writes it, or (fused=True) as tuidl builds it (torch's fused kernels)."""
    from tuidl.data.digits import load_digits_arrays
    from tuidl.models.cnn import build_cnn
    from tuidl.models.mlp import build_mlp
    from tuidl.models.rnn import build_sequence_model
    c = prepare(preset, list(overrides)).config
    torch.manual_seed(c["seed"])
    if preset == "mlp-digits":
        x, y = load_digits_arrays()
        data = split(x, y, c["train_fraction"], c["test_fraction"], c["seed"], device)
        model = build_mlp(x.shape[1], parse_ints(c["hidden"]), 10, c["activation"],
                          c["dropout"])
        nonlinearity = c["activation"]
    elif preset == "cnn-digits":
        x, y = load_digits_arrays()
        data = split(x.reshape(-1, 1, 8, 8), y, c["train_fraction"], c["test_fraction"],
                     c["seed"], device)
        model = build_cnn((1, 8, 8), parse_ints(c["channels"]), c["kernel_size"], c["padding"],
                          c["stride"], c["pool"], parse_ints(c["fc"]), 10, c["activation"],
                          c["dropout"])
        nonlinearity = c["activation"]
    elif preset == "lstm-sentiment":
        from tuidl.data import sentiment
        s = sentiment.make(c["n_samples"], c["max_len"], c["seed"])
        data = split(s.ids, s.labels, c["train_fraction"], 0.0, c["seed"], device)
        model = build_sequence_model(len(s.vocab), c["embed_dim"], c["hidden_size"],
                                     len(sentiment.LABELS), c["cell"], c["layers"],
                                     c["bidirectional"], c["dropout"])
        nonlinearity = "tanh"
    else:
        raise ValueError(f"no reference loop for {preset!r}")
    init_weights(model, c["init"], c["init_scale"], nonlinearity)
    model = model.to(device)
    make = build_optimizer if fused else textbook_optimizer
    opt = make(c["optimizer"], model.parameters(), c["lr"], c["momentum"], c["weight_decay"])
    return Setup(model, opt, data.x_train, data.y_train, int(c["batch_size"]),
                 float(c["grad_clip"]))


def _step(s: Setup, params: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> None:
    loss = F.cross_entropy(s.model(x), y)
    loss.backward()
    if s.grad_clip > 0:
        nn.utils.clip_grad_norm_(params, s.grad_clip, foreach=True)
    s.opt.step()
    s.opt.zero_grad(set_to_none=True)


def bare(s: Setup, steps: int) -> None:
    """Index batching over device tensors: one randperm per epoch."""
    params = list(s.model.parameters())
    s.model.train()
    n, bs, done = len(s.y), s.batch_size, 0
    while done < steps:
        perm = torch.randperm(n, device=s.x.device)
        for b in range(min(s.steps_per_epoch, steps - done)):
            idx = perm[b * bs:(b + 1) * bs]
            _step(s, params, s.x[idx], s.y[idx])
        done += s.steps_per_epoch


def dataloader(s: Setup, steps: int) -> None:
    """The textbook loop: TensorDataset + DataLoader(shuffle=True), batches sent to the device."""
    from torch.utils.data import DataLoader, TensorDataset
    device = s.x.device
    loader = DataLoader(TensorDataset(s.x.cpu(), s.y.cpu()), batch_size=s.batch_size,
                        shuffle=True)
    params = list(s.model.parameters())
    s.model.train()
    done = 0
    while done < steps:
        for x, y in loader:
            if done == steps:
                break
            _step(s, params, x.to(device), y.to(device))
            done += 1


LOOPS = {"bare": bare, "bare_fused": bare, "dataloader": dataloader}


def train(preset: str, kind: str, steps: int, device: torch.device | str = "cpu",
          clock=time.perf_counter) -> float:
    """Seconds `kind` takes for `steps` training steps of `preset` (set-up excluded), by
    `clock` (wall by default; time.process_time for CPU seconds)."""
    device = torch.device(device)
    s = build(preset, device, fused=kind == "bare_fused")
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    t0 = clock()
    LOOPS[kind](s, steps)
    sync()
    return clock() - t0
