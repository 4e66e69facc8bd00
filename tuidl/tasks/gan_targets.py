"""What a GAN learns to imitate: a 2-D mixture of Gaussians, or a set of images.

A target samples real data on the device, scores a batch of generated samples against real
ones (0-d tensors, read back in one transfer by the task), draws its task view and exports the
evaluation samples.

- `Mixture` (target=ring|grid): modes covered and the high-quality share (tuidl.data.mixtures).
- `Images` (target=mnist|fashion_mnist|cifar10|FOLDER): real images scaled to [-1, 1], flat;
  G ends in tanh. Scores on up to SCORE_SAMPLES images: `nearest` = mean RMS pixel distance
  (pixels in [0, 1]) from each generated image to its nearest real one (lower = more like the
  data), `diversity` = the generated images' mean pairwise distance over the real images' (about
  1 when G spreads like the data, near 0 when it collapses onto a few images). Cost: two
  [SCORE_SAMPLES, SCORE_SAMPLES] distance matrices per eval.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch

from tuidl.data import mixtures

SCORE_SAMPLES = 500
VIEW_IMAGES = 12
VIEW_POINTS = 400


def _round(points: torch.Tensor) -> list[list[float]]:
    return [[round(a, 3), round(b, 3)] for a, b in points[:VIEW_POINTS].tolist()]


class Mixture:
    dim = 2
    squash = False

    def __init__(self, config: dict, device: torch.device):
        self.std = float(config["std"])
        self.mus = torch.as_tensor(mixtures.centres(config["target"])).to(device)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return mixtures.sample(self.mus, n, self.std, generator)

    def scores(self, fake: torch.Tensor, real: torch.Tensor) -> dict[str, torch.Tensor]:
        covered, quality = mixtures.coverage(fake, self.mus, self.std)
        return {"modes": covered.float(), "high_quality": quality}

    def metrics(self, values: dict[str, float]) -> dict[str, float]:
        return {"modes": int(values["modes"]), "modes_total": len(self.mus),
                "high_quality": values["high_quality"]}

    def verdict(self, m: dict) -> str:
        return f"{m['modes']}/{m['modes_total']} modes, {m['high_quality']:.0%} high quality"

    def view(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[str, dict]:
        reach = float(self.mus.abs().max()) + 0.75
        return "samples", {"real": _round(real), "generated": _round(fake),
                           "centres": _round(self.mus), "x_range": [-reach, reach],
                           "y_range": [-reach, reach], "std": self.std}

    def export(self, fake: torch.Tensor, run_dir: Path) -> None:
        from tuidl.exports import save_points
        save_points(fake, run_dir)


class Images:
    squash = True

    def __init__(self, config: dict, device: torch.device):
        from tuidl.data.images import load_images
        from tuidl.tasks.cnn import subset
        images = subset(load_images(config["target"], config["data_root"], config["download"]),
                        config["max_samples"], config["seed"])
        self.shape = images.shape
        self.dim = math.prod(self.shape)
        self.x = torch.as_tensor(images.x_train).to(device).flatten(1)  # uint8 [n, dim]

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        idx = torch.randint(len(self.x), (n,), device=self.x.device, generator=generator)
        return self.x[idx].float() / 127.5 - 1.0

    def scores(self, fake: torch.Tensor, real: torch.Tensor) -> dict[str, torch.Tensor]:
        f, r = fake[:SCORE_SAMPLES] / 2, real[:SCORE_SAMPLES] / 2  # pixels in [0, 1] units
        scale = math.sqrt(self.dim)
        nearest = torch.cdist(f, r).min(1).values.mean() / scale
        spread_f = torch.pdist(f).mean() if len(f) > 1 else f.new_zeros(())
        spread_r = torch.pdist(r).mean() if len(r) > 1 else r.new_ones(())
        return {"nearest": nearest, "diversity": spread_f / spread_r.clamp_min(1e-8)}

    def metrics(self, values: dict[str, float]) -> dict[str, float]:
        return values

    def verdict(self, m: dict) -> str:
        return (f"nearest real image {m['nearest']:.3f} RMS away, diversity "
                f"{m['diversity']:.2f} of the data's")

    def _images(self, t: torch.Tensor) -> list:
        c, h, w = self.shape
        grey = ((t[:VIEW_IMAGES] + 1) / 2).clamp(0, 1).view(-1, c, h, w).mean(1)
        if h > 14 or w > 14:
            grey = torch.nn.functional.adaptive_avg_pool2d(grey[:, None], 14)[:, 0]
        return [[[round(v, 2) for v in row] for row in img] for img in grey.tolist()]

    def view(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[str, dict]:
        return "gan_images", {"generated": self._images(fake), "real": self._images(real),
                              "shape": list(self.shape)}

    def export(self, fake: torch.Tensor, run_dir: Path) -> None:
        """The first SCORE_SAMPLES generated images, one row of byte pixels each."""
        from tuidl.rundir import write_atomic
        pixels = ((fake[:SCORE_SAMPLES] + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).tolist()
        head = ",".join(f"p{i}" for i in range(self.dim))
        write_atomic(run_dir / "samples.csv",
                     head + "\n" + "".join(",".join(map(str, row)) + "\n" for row in pixels))


def make_target(config: dict, device: torch.device) -> Mixture | Images:
    if config["target"] in mixtures.TARGETS:
        return Mixture(config, device)
    return Images(config, device)
