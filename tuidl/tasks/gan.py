"""gan family: a generator G and a discriminator D play for a 2-D mixture of Gaussians, or
for a set of images (tuidl.tasks.gan_targets: what is sampled, scored and shown).

A step is one generator update preceded by `d_steps` discriminator updates, each on a fresh
batch of real points and of noise, all drawn on the device (the engine's batch indices only
give the batch size). Fakes are detached for the D step; during the G step D's parameters are
frozen so G's loss leaves no gradient on D. With gan_loss=wgan, D is a critic whose weights are
clipped to [-clip, clip] after each of its steps.

Each eval generates `eval_samples` samples from a fixed noise batch (views are comparable over
time) and scores them against a fixed real batch: modes covered and the share of high-quality
points (within 3 std of a mode) for a mixture, distance to the nearest real image and diversity
for images. Cost per step: (d_steps + 1) forward/backward passes of two MLPs.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from tuidl.config import ConfigError, parse_ints
from tuidl.engine.optim import build_optimizer
from tuidl.models.gan import discriminator, generator
from tuidl.engine.task import Evaluation, Finish, Step, Task
from tuidl.tasks.gan_targets import make_target


class GANTask(Task):
    family = "gan"

    def __init__(self, config, device):
        super().__init__(config, device)
        c = config
        self.loss_kind = c["gan_loss"]
        self.z_dim = int(c["z_dim"])
        self.d_steps = int(c["d_steps"])
        self.target = t = make_target(c, device)
        self.G = generator(self.z_dim, parse_ints(c["hidden_g"]), c["activation"], t.dim,
                           t.squash).to(device)
        self.pack = int(c["pack"])
        if self.batch_size % self.pack:
            raise ConfigError(f"batch_size {self.batch_size} is not a multiple of pack {self.pack}")
        self.D = discriminator(parse_ints(c["hidden_d"]), c["activation"], self.pack,
                               t.dim).to(device)
        self.models = {"G": self.G, "D": self.D}
        self.optimizers = {name: self._optimizer(name.lower(), model)
                           for name, model in self.models.items()}
        self.n_train = int(c["steps_per_epoch"]) * self.batch_size
        # Fixed evaluation batches from their own generator: the same noise at every eval.
        gen = torch.Generator(device=device)
        gen.manual_seed(int(c["seed"]) + 1)
        n = int(c["eval_samples"]) // self.pack * self.pack
        self.z_eval = torch.randn(n, self.z_dim, device=device, generator=gen)
        self.real_eval = t.sample(n, gen)
        self.last: dict[str, float] = {}
        self.total_steps = int(c["epochs"]) * int(c["steps_per_epoch"])
        # the steps G has trained, counted on the device (no sync) in its weights, as
        # checkpoints of earlier tuidl (which read it back for the lr decay) hold it too
        self.G.register_buffer("steps_done", torch.zeros((), dtype=torch.long, device=device))

    def _optimizer(self, who: str, model) -> torch.optim.Optimizer:
        c = self.config
        name = c[f"optimizer_{who}"]
        # the default (not fused) kernels: a GAN's outcome hangs on its exact trajectory, and
        # the presets' figures (modes covered) were set on this one; rounding the fused kernels'
        # way, gan-grid fell below its 18 of 25 modes. Two small MLPs: little speed is lost.
        opt = build_optimizer(name, model.parameters(), c[f"lr_{who}"], c["momentum"],
                              fused=False)
        for group in opt.param_groups:
            if "betas" in group:
                group["betas"] = (c["beta1"], group["betas"][1])
        return opt

    # -- losses (on logits / critic values) ------------------------------------------------
    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        if self.loss_kind == "wgan":
            return fake.mean() - real.mean()
        # -log D(x) - log(1 - D(G(z))) with D = sigmoid(logit)
        return F.softplus(-real).mean() + F.softplus(fake).mean()

    def g_loss(self, fake: torch.Tensor) -> torch.Tensor:
        if self.loss_kind == "wgan":
            return -fake.mean()
        if self.loss_kind == "minimax":
            return -F.softplus(fake).mean()  # log(1 - D(G(z))), saturates when D wins
        return F.softplus(-fake).mean()  # -log D(G(z))

    def score(self, logits: torch.Tensor) -> torch.Tensor:
        """What d_real / d_fake report: D's probability, or the critic's raw value."""
        return logits.mean() if self.loss_kind == "wgan" else torch.sigmoid(logits).mean()

    def disc(self, points: torch.Tensor) -> torch.Tensor:
        """D on packs of `pack` samples each (PacGAN): [n, dim] -> [n / pack, 1]."""
        return self.D(points.reshape(-1, self.target.dim * self.pack))

    # -- training --------------------------------------------------------------------------
    def train_step(self, idx, update, step=Step()):
        self.G.steps_done.add_(1)
        n = len(idx)
        for _ in range(self.d_steps):
            real = self.target.sample(n)
            with torch.no_grad():
                fake = self.G(torch.randn(n, self.z_dim, device=self.device))
            d_real, d_fake = self.disc(real), self.disc(fake)
            d_loss = self.d_loss(d_real, d_fake)
            d_loss.backward()
            update("D")
            if self.loss_kind == "wgan":
                self._clip_critic()
        self.D.requires_grad_(False)
        try:
            g_fake = self.disc(self.G(torch.randn(n, self.z_dim, device=self.device)))
            g_loss = self.g_loss(g_fake)
            g_loss.backward()
        finally:
            self.D.requires_grad_(True)
        update("G")
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(),
                "d_real": self.score(d_real.detach()), "d_fake": self.score(d_fake.detach())}

    def lr_decay(self):
        """Both learning rates fall linearly to lr_end x their base over the run (the engine's
        schedulers apply it, times the run's `schedule`)."""
        end, total = float(self.config["lr_end"]), max(1, self.total_steps)
        if end == 1.0:
            return None
        return lambda s: 1.0 - (1.0 - end) * min(1.0, s / total)

    @torch.no_grad()
    def _clip_critic(self) -> None:
        c = float(self.config["clip"])
        for p in self.D.parameters():
            p.clamp_(-c, c)

    # -- evaluation ------------------------------------------------------------------------
    def generate(self) -> torch.Tensor:
        self.G.eval()
        with torch.no_grad():
            out = self.G(self.z_eval)
        self.G.train()
        return out

    def evaluate(self, view: bool = True) -> Evaluation:
        fake = self.generate()
        d_real, d_fake = self.disc(self.real_eval), self.disc(fake)
        scores = self.target.scores(fake, self.real_eval)
        values = torch.stack([self.d_loss(d_real, d_fake), self.g_loss(d_fake),
                              self.score(d_real), self.score(d_fake), *scores.values()])
        d_loss, g_loss, s_real, s_fake, *rest = values.tolist()
        metrics = {"d_loss": d_loss, "g_loss": g_loss, "d_real": s_real, "d_fake": s_fake,
                   **self.target.metrics(dict(zip(scores, rest)))}
        self.last = metrics
        return Evaluation(metrics, None, self.target.view(self.real_eval, fake) if view else None)

    def export(self, run_dir) -> None:
        super().export(run_dir)
        self.target.export(self.generate().cpu(), run_dir)  # the fixed-noise eval samples

    def finish(self, metrics) -> Finish:
        return Finish({}, self.target.verdict(self.last)) if self.last else Finish()
