"""cnn family: a convolutional classifier on the 8x8 digits.

Task view: the first layer's filters (what the network learned to look for) and a few
validation images with their predicted and true class.
"""
from __future__ import annotations

import torch

from tuidl.config import ConfigError, parse_ints
from tuidl.data.digits import load_digits_arrays
from tuidl.data.split import split
from tuidl.engine.optim import init_weights
from tuidl.models.cnn import build_cnn
from tuidl.tasks.classify import ClassifierTask

N_EXAMPLES = 8


class CNNTask(ClassifierTask):
    family = "cnn"

    def __init__(self, config, device):
        super().__init__(config, device)
        c = config
        x, y = load_digits_arrays()
        x = x.reshape(-1, 1, 8, 8)
        data = split(x, y, c["train_fraction"], c["test_fraction"], c["seed"], device)
        try:
            model = build_cnn((1, 8, 8), parse_ints(c["channels"]), c["kernel_size"],
                              c["padding"], c["stride"], c["pool"], parse_ints(c["fc"]), 10,
                              c["activation"], c["dropout"])
        except RuntimeError as e:  # the image shrank to nothing
            raise ConfigError(f"these conv settings do not fit 8x8 images: {e}") from None
        init_weights(model, c["init"], c["init_scale"], c["activation"])
        self.setup(data, model, [str(i) for i in range(10)])

    def view(self):
        w = self.model.conv1.weight.detach()[:, 0]  # [C, k, k]
        x, y = self.data.x_val[:N_EXAMPLES], self.data.y_val[:N_EXAMPLES]
        prob = torch.softmax(self.predict(x), dim=1)
        conf, pred = prob.max(1)
        return "filters", {
            "filters": [[[round(v, 3) for v in row] for row in f] for f in w.tolist()],
            "examples": [{"image": [[round(v, 2) for v in row] for row in img[0]],
                          "true": int(t), "pred": int(p), "confidence": round(float(cf), 3)}
                         for img, t, p, cf in zip(x.tolist(), y.tolist(), pred.tolist(),
                                                  conf.tolist())],
        }
