"""gan: a generator and a discriminator (both MLPs) play for a 2-D mixture of Gaussians."""
from tuidl.config import DIRS, Param
from tuidl.specs import Chart, Curve, Family
from tuidl.specs.cnn import IMAGE_SETS
from tuidl.specs.common import OPTIMIZERS, SCHEDULE_PARAMS, common

FAMILY = Family(
    name="gan",
    about="generative adversarial network on 2-D mixtures of Gaussians (mode collapse made visible)",
    task="tuidl.tasks.gan:GANTask",
    losses=(Curve("d_loss", "D loss", "cyan+"), Curve("g_loss", "G loss", "orange+")),
    loss_shows_progress=False,
    loss_title="loss: D discriminator, G generator",
    main_metrics=("modes", "high_quality", "diversity"),
    # modes covered is drawn last: where the two curves share a cell, it shows
    metric_chart=Chart("modes covered, high quality",
                       (Curve("high_quality", "high quality", "magenta+"),
                        Curve("modes", "modes covered", "green+", per="modes_total")),
                       ylim=(0.0, 1.0)),
    title_metrics=("modes", "modes_total", "high_quality"),
    lr_keys=(("lr_g", "G"), ("lr_d", "D")),
    lesson_panel="task_view",
    remedies={"vanishing": "use the non-saturating generator loss, or weaken D (fewer "
                           "d_steps, a lower lr_d)"},
    params=(
        Param("target", str, "ring", "ring: 8 Gaussians on a circle of radius 2; grid: 5x5 "
              "Gaussians at -4, -2, 0, 2, 4; mnist, fashion_mnist, cifar10 (from data_root) "
              "or a folder of IDX files / CIFAR-10 batches: images",
              choices=("ring", "grid", *IMAGE_SETS), files=(DIRS,)),
        *common("data_root", "download", "max_samples"),
        Param("std", float, 0.02, "mixtures: standard deviation of each Gaussian", min=0.001,
              max=1),
        Param("gan_loss", str, "non_saturating", "minimax: G minimises log(1 - D(G(z))); "
              "non_saturating: G maximises log D(G(z)); wgan: Wasserstein critic with "
              "weight clipping", choices=("minimax", "non_saturating", "wgan")),
        Param("clip", float, 0.01, "wgan: clip every critic weight to [-clip, clip] after each "
              "D step", min=0, max=100, min_inclusive=False),
        Param("pack", int, 2, "PacGAN: D judges this many points at once, which makes a "
              "collapsed G easy to spot (batch_size must be a multiple)", min=1, max=64),
        Param("z_dim", int, 2, "size of the noise vector z ~ N(0, I)", min=1, max=1024),
        Param("hidden_g", "ints", "128,128,128", "generator hidden widths, z to output"),
        Param("hidden_d", "ints", "128,128,128", "discriminator hidden widths, input to output"),
        *common("activation", activation="leaky_relu"),
        Param("lr_g", float, 1e-3, "generator learning rate", min=0, max=100,
              min_inclusive=False),
        Param("lr_d", float, 1e-3, "discriminator learning rate", min=0, max=100,
              min_inclusive=False),
        Param("lr_end", float, 0.1, "both learning rates fall linearly to this fraction of "
              "their start over the run (1 = constant), times `schedule`", min=0, max=1),
        *common(*SCHEDULE_PARAMS),
        Param("optimizer_g", str, "adam", "generator update rule", choices=OPTIMIZERS),
        Param("optimizer_d", str, "adam", "discriminator update rule", choices=OPTIMIZERS),
        Param("beta1", float, 0.5, "Adam's first-moment decay (beta2 stays 0.999)", min=0,
              max=0.999),
        *common("momentum"),
        Param("d_steps", int, 1, "discriminator steps per generator step", min=1, max=100),
        *common("batch_size", batch_size=256),
        Param("steps_per_epoch", int, 200, "generator steps between evaluations", min=1,
              max=1_000_000),
        *common("epochs", "grad_clip", epochs=20),
        Param("eval_samples", int, 2500, "generated points scored at each eval (fixed noise)",
              min=100, max=1_000_000),
        *common("seed", "device", "threads", "log_every", "diagnostics"),
    ),
)
