"""mlp family: a fully connected classifier on generated 2-D sets, the 8x8 digits, or a CSV.

For 2-D data the task view is the decision boundary: class probabilities on a grid over the
data's bounding box, plus a sample of the points.
"""
from __future__ import annotations

import numpy as np
import torch

from tuidl.config import parse_ints
from tuidl.data import toy2d
from tuidl.data.digits import load_digits_arrays
from tuidl.data.split import split, standardize
from tuidl.data.tabular import load_table
from tuidl.engine.optim import init_weights
from tuidl.models.mlp import build_mlp
from tuidl.tasks.classify import ClassifierTask

GRID = 48  # decision-boundary resolution (GRID x GRID cells)
MAX_POINTS = 300


class MLPTask(ClassifierTask):
    family = "mlp"

    def __init__(self, config, device):
        super().__init__(config, device)
        c = config
        from_file = c["dataset"].lower().endswith((".csv", ".tsv"))
        if from_file:
            table = load_table(c["dataset"], c["label_column"])
            x, y, labels = table.x, table.y, table.classes
        elif c["dataset"] == "digits":
            x, y = load_digits_arrays()
            labels = [str(i) for i in range(10)]
        else:
            x, y = toy2d.make(c["dataset"], c["n_samples"], c["noise"], c["seed"])
            labels = ["0", "1"]
        data = split(x, y, c["train_fraction"], c["test_fraction"], c["seed"], device)
        if from_file and c["standardize"]:
            x, warning = standardize(data, x, table.features)
            self.warnings += [warning] if warning else []
        model = build_mlp(x.shape[1], parse_ints(c["hidden"]), len(labels), c["activation"],
                          c["dropout"])
        init_weights(model, c["init"], c["init_scale"], c["activation"])
        self.setup(data, model, labels)
        self.is_2d = x.shape[1] == 2
        if self.is_2d:
            self._grid = self._make_grid(x)

    def _make_grid(self, x: np.ndarray):
        lo, hi = x.min(0), x.max(0)
        pad = (hi - lo) * 0.05
        lo, hi = lo - pad, hi + pad
        xs = np.linspace(lo[0], hi[0], GRID, dtype=np.float32)
        ys = np.linspace(lo[1], hi[1], GRID, dtype=np.float32)
        gx, gy = np.meshgrid(xs, ys)  # row 0 is the lowest y
        pts = torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], 1)).to(self.device)
        return pts, [float(lo[0]), float(hi[0])], [float(lo[1]), float(hi[1])]

    def view(self):
        if not self.is_2d:
            return None
        pts, xr, yr = self._grid
        prob = torch.softmax(self.predict(pts), dim=1)[:, 1].view(GRID, GRID)
        d = self.data
        n = min(MAX_POINTS, len(d.y_val) + len(d.y_train))
        px = torch.cat([d.x_val, d.x_train])[:n]
        py = torch.cat([d.y_val, d.y_train])[:n]
        return "decision_boundary", {
            "x_range": xr, "y_range": yr,
            "prob": [[round(v, 3) for v in row] for row in prob.tolist()],
            "points": [[round(a, 3), round(b, 3), int(c)]
                       for (a, b), c in zip(px.tolist(), py.tolist())],
        }
