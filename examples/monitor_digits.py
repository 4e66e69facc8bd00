"""Your own model and training loop, watched by tuidl: a small residual CNN on the 8x8 digits.

    python examples/monitor_digits.py --out runs          # trains, writes runs/<time>-resnet-digits
    tuidl watch runs/<time>-resnet-digits                 # live while it trains, or afterwards

Nothing here is a tuidl preset: the model, the data loading and the loop are plain PyTorch;
four lines (marked `tuidl:`) record the run. `--depth 12 --plain` removes the residual
connections and the normalization from a deeper stack of sigmoid blocks: the gradient panel
flags the early layers as vanishing.
"""
from __future__ import annotations

import argparse

import torch
from torch import nn
from torch.nn import functional as F

import tuidl


class Block(nn.Module):
    """conv-norm-act-conv-norm, plus the input (a residual block); `plain`: no skip, no norm."""

    def __init__(self, channels: int, plain: bool):
        super().__init__()
        self.plain = plain
        # in the order the input meets them: the gradient panel lists layers so
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=plain)
        self.norm1 = nn.Identity() if plain else nn.BatchNorm2d(channels)
        self.act1 = nn.Sigmoid() if plain else nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=plain)
        self.norm2 = nn.Identity() if plain else nn.BatchNorm2d(channels)
        self.act2 = nn.Sigmoid() if plain else nn.ReLU()

    def forward(self, x):
        y = self.norm2(self.conv2(self.act1(self.norm1(self.conv1(x)))))
        return self.act2(y if self.plain else x + y)


class ResNet(nn.Module):
    def __init__(self, depth: int = 2, channels: int = 16, classes: int = 10, plain: bool = False):
        super().__init__()
        self.stem = nn.Conv2d(1, channels, 3, padding=1)
        self.blocks = nn.Sequential(*(Block(channels, plain) for _ in range(depth)))
        self.head = nn.Linear(channels, classes)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x)))
        return self.head(x.mean(dim=(2, 3)))


def digits(device):
    """scikit-learn's 8x8 digits (shipped with it: nothing is downloaded), split 80/20."""
    from sklearn.datasets import load_digits
    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(d.target)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    cut = int(0.8 * len(y))
    return [t.to(device) for t in (x[perm[:cut]], y[perm[:cut]], x[perm[cut:]], y[perm[cut:]])]


def main(argv=None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--plain", action="store_true", help="no skips, no norm, sigmoid")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--out", default="runs")
    args = ap.parse_args(argv)
    torch.manual_seed(args.seed)
    xt, yt, xv, yv = digits(args.device)
    model = ResNet(args.depth, plain=args.plain).to(args.device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps = args.epochs * -(-len(yt) // args.batch_size)
    name = f"{'plain' if args.plain else 'resnet'}-digits"
    # tuidl: record this loop as a run directory that `tuidl watch` shows
    with tuidl.Monitor(model, opt, out=args.out, name=name, config=vars(args),
                       total_steps=steps, log_every=5) as mon:
        for _ in range(args.epochs):
            model.train()
            for idx in torch.randperm(len(yt), device=args.device).split(args.batch_size):
                loss = F.cross_entropy(model(xt[idx]), yt[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                mon.step(loss=loss)  # tuidl: the loss stays on the device
            model.eval()
            with torch.no_grad():
                logits = model(xv)
                pred = logits.argmax(1)
                confusion = torch.zeros(10, 10, dtype=torch.long, device=pred.device)
                confusion.index_put_((yv, pred), torch.ones_like(pred), accumulate=True)
                mon.eval({"val_loss": F.cross_entropy(logits, yv),  # tuidl: one evaluation
                          "val_accuracy": (pred == yv).float().mean()}, confusion=confusion)
    print(mon.run_dir)
    return mon.run_dir


if __name__ == "__main__":
    main()
