"""cnn family: a convolutional classifier on the 8x8 digits, MNIST-style IDX files or CIFAR-10.

Image sets (tuidl.data.images) stay uint8 on the device and the model's first layer
(ScalePixels) scales and standardises each batch with the training images' channel statistics.
When the files hold a test set it is the test split; the training files are split into train
and validation by train_fraction.

Task view: the first layer's filters (what the network learned to look for) and a few
validation images with their predicted and true class.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from tuidl.config import ConfigError, parse_ints
from tuidl.data.digits import load_digits_arrays
from tuidl.data.images import ImageSet, load_images
from tuidl.data.split import Split, split
from tuidl.engine.optim import init_weights
from tuidl.models.cnn import build_cnn
from tuidl.models.layers import ScalePixels
from tuidl.tasks.classify import ClassifierTask

N_EXAMPLES = 16
VIEW_SIZE = 14  # images are shown at most this many pixels on a side


def subset(images: ImageSet, n: int, seed: int) -> ImageSet:
    """A seeded random `n` of the training images (all when n is 0 or more than there are)."""
    if 0 < n < len(images.y_train):
        keep = np.sort(np.random.default_rng(seed + 31).permutation(len(images.y_train))[:n])
        images.x_train, images.y_train = images.x_train[keep], images.y_train[keep]
    return images


def split_images(images: ImageSet, c: dict, device: torch.device) -> Split:
    test = 0.0 if images.x_test is not None else c["test_fraction"]
    data = split(images.x_train, images.y_train, c["train_fraction"], test, c["seed"], device,
                 stratify=c["stratify"])
    if images.x_test is not None:
        data.x_test = torch.as_tensor(images.x_test).to(device)
        data.y_test = torch.as_tensor(images.y_test).to(device)
    return data


def pixel_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std of byte images [n, c, h, w], in units of 1/255."""
    x = x.transpose(0, 1).reshape(x.shape[1], -1).float() / 255.0
    return x.mean(1), x.std(1).clamp_min(1e-3)


class CNNTask(ClassifierTask):
    family = "cnn"

    def __init__(self, config, device):
        super().__init__(config, device)
        c = config
        if c["dataset"] == "digits":
            x, y = load_digits_arrays()
            data = split(x.reshape(-1, 1, 8, 8), y, c["train_fraction"], c["test_fraction"],
                         c["seed"], device, stratify=c["stratify"])
            shape, labels, inputs = (1, 8, 8), [str(i) for i in range(10)], None
        else:
            images = subset(load_images(c["dataset"], c["data_root"], c["download"]),
                            c["max_samples"], c["seed"])
            data = split_images(images, c, device)
            shape, labels = images.shape, images.classes
            inputs = ScalePixels(*pixel_stats(data.x_train))
        try:
            model = build_cnn(shape, parse_ints(c["channels"]), c["kernel_size"], c["padding"],
                              c["stride"], c["pool"], parse_ints(c["fc"]), len(labels),
                              c["activation"], c["dropout"], inputs)
        except RuntimeError as e:  # the image shrank to nothing
            size = "x".join(map(str, shape[1:]))
            raise ConfigError(f"these conv settings do not fit {size} images: {e}") from None
        init_weights(model, c["init"], c["init_scale"], c["activation"])
        self.setup(data, model, labels)

    def view(self):
        w = self.model.conv1.weight.detach().mean(1)  # [C, k, k], averaged over colours
        x, y = self.data.x_val[:N_EXAMPLES], self.data.y_val[:N_EXAMPLES]
        prob = torch.softmax(self.predict(x), dim=1)
        conf, pred = prob.max(1)
        img = x.float().mean(1, keepdim=True)  # grey
        if img.shape[-1] > VIEW_SIZE or img.shape[-2] > VIEW_SIZE:
            img = F.adaptive_avg_pool2d(img, VIEW_SIZE)
        if x.dtype == torch.uint8:
            img = img / 255.0
        return "filters", {
            "filters": [[[round(v, 3) for v in row] for row in f] for f in w.tolist()],
            "labels": self.labels,
            "examples": [{"image": [[round(v, 2) for v in row] for row in im[0]],
                          "true": int(t), "pred": int(p), "confidence": round(float(cf), 3)}
                         for im, t, p, cf in zip(img.tolist(), y.tolist(), pred.tolist(),
                                                 conf.tolist())],
        }
