"""mlp family: a fully connected classifier on generated 2-D sets, the 8x8 digits, image sets
(MNIST-style IDX files, CIFAR-10 batches) or a CSV.

Image sets are read as the cnn family reads them (tuidl.data.images, tuidl.tasks.cnn): bytes
on the device, their own test files as the test split, `max_samples` a seeded subset. The
model's first layers scale the bytes as the cnn's do (x / 255, then the training images'
per-channel mean and std, saved with the weights) and flatten each image to one vector of its
C*H*W pixels: the same inputs as the cnn, so the two compare fairly, and 4x less device memory
than float32. Not the per-feature standardisation of a CSV: it would divide the border pixels
that (nearly) no digit touches by a spread of almost nothing.

For 2-D data the task view is the decision boundary: class probabilities on a grid over the
data's bounding box, plus a sample of the points. For image sets it is the cnn's view: the
first layer's weights drawn as images (the templates the units match) and a few validation
images with their predicted class. CSV and digits data have no view beyond the confusion
matrix.
"""
from __future__ import annotations

import math
import os
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tuidl.config import ConfigError, parse_ints
from tuidl.data import toy2d
from tuidl.data.digits import load_digits_arrays
from tuidl.data.images import load_images
from tuidl.data.split import split, standardize
from tuidl.data.tabular import load_table
from tuidl.engine.optim import init_weights
from tuidl.models.layers import ScalePixels
from tuidl.models.mlp import build_mlp
from tuidl.specs.mlp import DATASETS_2D
from tuidl.tasks.classify import ClassifierTask
from tuidl.tasks.cnn import N_EXAMPLES, VIEW_SIZE, pixel_stats, split_images, subset

GRID = 48  # decision-boundary resolution (GRID x GRID cells)
MAX_POINTS = 300
N_TEMPLATES = 16  # first-layer units drawn as images in the view of an image set
MAX_FIRST_LAYER = 64_000_000  # weights of the first layer on image data (256 MB as float32)


class MLPTask(ClassifierTask):
    family = "mlp"

    def __init__(self, config, device):
        super().__init__(config, device)
        c = config
        name = c["dataset"]
        from_file = name.lower().endswith((".csv", ".tsv")) and not os.path.isdir(name)
        self.image_shape: tuple[int, int, int] | None = None
        if from_file:
            table = load_table(name, c["label_column"])
            x, y, labels = table.x, table.y, table.classes
        elif name == "digits":
            x, y = load_digits_arrays()
            labels = [str(i) for i in range(10)]
        elif name in DATASETS_2D:
            x, y = toy2d.make(name, c["n_samples"], c["noise"], c["seed"], c["minority"],
                              c["input_scale"])
            labels = ["0", "1"]
        else:
            self._setup_images(c, device)
            return
        data = split(x, y, c["train_fraction"], c["test_fraction"], c["seed"], device,
                     stratify=c["stratify"])
        scaled = name in DATASETS_2D and c["input_scale"] != 1
        if (from_file or scaled) and c["standardize"]:
            x, warning = standardize(data, x, table.features if from_file else None)
            self.warnings += [warning] if warning else []
        model = build_mlp(x.shape[1], parse_ints(c["hidden"]), len(labels), c["activation"],
                          c["dropout"])
        init_weights(model, c["init"], c["init_scale"], c["activation"])
        self.setup(data, model, labels)
        self.is_2d = x.shape[1] == 2
        if self.is_2d:
            self._grid = self._make_grid(x)

    def _setup_images(self, c, device) -> None:
        """An image set: bytes [n, c, h, w] on the device; ScalePixels and a flatten in front
        of the fully connected layers."""
        images = subset(load_images(c["dataset"], c["data_root"], c["download"]),
                        c["max_samples"], c["seed"])
        hidden = parse_ints(c["hidden"])
        features = math.prod(images.shape)
        width = hidden[0] if hidden else len(images.classes)
        if features * width > MAX_FIRST_LAYER:  # checked before anything is allocated
            size = "x".join(map(str, images.shape))
            raise ConfigError(f"{images.name}: {size} images are {features:,} inputs; a first "
                              f"layer of {width} units would hold {features * width:,} weights, "
                              f"more than {MAX_FIRST_LAYER:,}; use fewer hidden units or the "
                              "cnn family")
        data = split_images(images, c, device)  # the cnn's split
        mlp = build_mlp(features, hidden, len(images.classes), c["activation"], c["dropout"])
        model = nn.Sequential(OrderedDict([("inputs", ScalePixels(*pixel_stats(data.x_train))),
                                           ("flatten", nn.Flatten()),
                                           *mlp.named_children()]))
        init_weights(model, c["init"], c["init_scale"], c["activation"])
        self.setup(data, model, images.classes)
        self.image_shape, self.is_2d = images.shape, False

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
        if self.image_shape is not None:
            return self._image_view()
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

    def _image_view(self):
        """The cnn's "filters" view: the first layer's weights of a few units, each drawn as
        an image (averaged over colours), and validation images with their prediction."""
        first = next(m for m in self.model if isinstance(m, nn.Linear))
        w = first.weight.detach()[:N_TEMPLATES].view(-1, *self.image_shape).mean(1, True)
        x, y = self.data.x_val[:N_EXAMPLES], self.data.y_val[:N_EXAMPLES]
        prob = torch.softmax(self.predict(x), dim=1)
        conf, pred = prob.max(1)
        img = x.float().mean(1, keepdim=True) / 255.0  # grey
        if img.shape[-1] > VIEW_SIZE or img.shape[-2] > VIEW_SIZE:
            img, w = F.adaptive_avg_pool2d(img, VIEW_SIZE), F.adaptive_avg_pool2d(w, VIEW_SIZE)
        return "filters", {
            "filters": [[[round(v, 3) for v in row] for row in f[0]] for f in w.tolist()],
            "labels": self.labels,
            "examples": [{"image": [[round(v, 2) for v in row] for row in im[0]],
                          "true": int(t), "pred": int(p), "confidence": round(float(cf), 3)}
                         for im, t, p, cf in zip(img.tolist(), y.tolist(), pred.tolist(),
                                                 conf.tolist())],
        }
