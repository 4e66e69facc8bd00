"""The Lightning callback (optional extra `lightning`: skipped without it)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn import functional as F

L = pytest.importorskip("lightning")

from tuidl.lightning import TuidlCallback  # noqa: E402
from tuidl.sinks.jsonl import read_events  # noqa: E402


class Deep(L.LightningModule):
    """A classifier of random points; `sigmoid`: eight sigmoid layers, whose gradients vanish."""

    def __init__(self, sigmoid: bool, lr: float = 0.1):
        super().__init__()
        self.save_hyperparameters()
        act = nn.Sigmoid if sigmoid else nn.ReLU
        layers = []
        for _ in range(8 if sigmoid else 2):
            layers += [nn.Linear(16, 16), act()]
        self.net = nn.Sequential(*layers, nn.Linear(16, 2))

    def training_step(self, batch, _):
        x, y = batch
        return F.cross_entropy(self.net(x), y)

    def validation_step(self, batch, _):
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", F.cross_entropy(logits, y))
        self.log("val_accuracy", (logits.argmax(1) == y).float().mean())

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def loader(seed: int):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(512, 16, generator=gen)
    y = (x[:, 0] > 0).long()
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32)


@pytest.mark.parametrize("sigmoid", [False, True])
def test_the_callback_records_a_lightning_run(tmp_path, sigmoid):
    torch.manual_seed(0)
    trainer = L.Trainer(max_epochs=4, accelerator="cpu", logger=False,
                        enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, log_every_n_steps=8,
                        callbacks=[TuidlCallback(out=str(tmp_path), name="deep")])
    trainer.fit(Deep(sigmoid), loader(0), loader(1))
    run = next(tmp_path.iterdir())
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["steps"] == 64
    assert summary["diagnosis"]["verdict"] == ("vanishing" if sigmoid else "healthy")
    assert "val_accuracy" in summary["metrics"]
    kinds = [e.type for e in read_events(Path(run) / "events.jsonl")]
    assert kinds.count("scalars") == 8 and kinds.count("grad_stats") == 8
    assert kinds.count("eval") == 4
