"""Hyperparameters shared by several families (each family picks the ones that apply), and the
declarations every classifier family shares."""
from __future__ import annotations

from dataclasses import replace

from tuidl.config import Param
from tuidl.specs import TRAIN, VAL, Chart, Curve

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "softsign", "softplus", "linear")
INITS = ("default", "xavier", "xavier_gain", "he", "normal")
# lr schedules (tuidl.engine.schedule), per optimizer step; every family picks SCHEDULE_PARAMS
SCHEDULES = ("constant", "step", "cosine", "warmup_cosine", "one_cycle")
SCHEDULE_PARAMS = ("schedule", "warmup", "min_lr", "lr_step_every", "lr_gamma")

_COMMON = {p.name: p for p in (
    Param("epochs", int, 20, "passes over the training data", min=1, max=100_000),
    Param("lr", float, 0.01, "learning rate", min=0, max=100, min_inclusive=False),
    Param("optimizer", str, "adam", "update rule", choices=OPTIMIZERS),
    Param("schedule", str, "constant", "the lr over the run's steps, lr the peak: step "
          "(x lr_gamma every lr_step_every steps), cosine down to min_lr, warmup_cosine "
          "(linear rise, then cosine), one_cycle (up from lr/25, then down)",
          choices=SCHEDULES),
    Param("warmup", float, 0.1, "warmup_cosine, one_cycle: the share of the run's steps the "
          "lr rises over", min=0, max=0.9),
    Param("min_lr", float, 0.0, "cosine, warmup_cosine, one_cycle: the lr at the end, as a "
          "share of the peak (0.01 = lr/100)", min=0, max=1),
    Param("lr_step_every", int, 1000, "step: optimizer steps between two drops of the lr",
          min=1, max=1_000_000_000),
    Param("lr_gamma", float, 0.1, "step: each drop multiplies the lr by this", min=0, max=1,
          min_inclusive=False),
    Param("momentum", float, 0.9, "momentum for momentum/nesterov (and rmsprop)", min=0, max=0.999),
    Param("batch_size", int, 64, "samples per gradient step", min=1, max=1_000_000),
    Param("weight_decay", float, 0.0, "L2 penalty (decoupled for adamw)", min=0, max=10),
    Param("l1", float, 0.0, "L1 penalty on weights, added to the loss", min=0, max=10),
    Param("dropout", float, 0.0, "dropout probability after each hidden layer", min=0, max=0.95),
    Param("grad_clip", float, 0.0, "clip the global gradient L2 norm to this (0 = off)", min=0),
    Param("init", str, "default", "weight initialisation: xavier is Glorot & Bengio's (unit "
          "gain), xavier_gain scales it by torch's gain for the activation (5/3 for tanh), "
          "he is Kaiming's (fan_in, ReLU)", choices=INITS),
    Param("init_scale", float, 1.0, "std of the weights for init=normal", min=0, max=100,
          min_inclusive=False),
    Param("seed", int, 0, "random seed for data, initialisation and batching", min=0, max=2**31 - 1),
    Param("device", str, "auto", "auto, cpu, cuda, cuda:N or mps",
          pattern=r"auto|cpu|cuda(:\d+)?|mps"),
    Param("early_stopping", int, 0, "stop after this many evals without a better val loss, "
          "back on the best eval's weights (0 = off)",
          min=0, max=10_000),
    Param("train_fraction", float, 0.8, "share of the data used for training; the rest validates",
          min=0.05, max=0.95),
    Param("stratify", bool, True, "split each class in the same proportions (train, val, "
          "test), so a rare class has its share of every split", before=False),
    Param("class_weight", str, "none", "balanced: weight each class's loss by n / (classes x "
          "its count in the training split), so rare classes weigh as much as common ones",
          choices=("none", "balanced")),
    Param("activation", str, "relu", "hidden-layer nonlinearity", choices=ACTIVATIONS),
    Param("hidden", "ints", "16,16", "hidden layer widths, input to output"),
    Param("loss", str, "cross_entropy", "training loss", choices=("cross_entropy", "mse")),
    Param("noise", float, 0.1, "noise level of the generated data", min=0, max=5),
    Param("log_every", int, 10, "steps between logged scalars and gradient statistics",
          min=1, max=100_000),
    Param("threads", int, 1, "CPU threads for torch; 0 = torch's default (every core), a "
          "little faster on an idle machine, far slower when other work shares it",
          min=0, max=1024),
    Param("data_root", str, "", "folder holding the named image sets (mnist/, "
          "fashion_mnist/, cifar10/); empty = $TUIDL_DATA or ~/.cache/tuidl/datasets"),
    Param("download", bool, False, "fetch a named image set's official archives into "
          "data_root when its files are missing (needs internet)"),
    Param("max_samples", int, 0, "image sets: train on a seeded random subset of this many "
          "training images (0 = all)", min=0, max=100_000_000),
    Param("diagnostics", bool, True, "gradient statistics, activation health and the "
          "diagnosis (false: losses and metrics only)"),
)}


def common(*names: str, **defaults) -> tuple[Param, ...]:
    """The named common params, with family-specific defaults where given."""
    out = []
    for name in names:
        p = _COMMON[name]
        if name in defaults:
            p = replace(p, default=p.validate(defaults.pop(name)))
        out.append(p)
    if defaults:
        raise KeyError(f"defaults for params not picked: {sorted(defaults)}")
    return tuple(out)


# A classifier's runs: train and val loss, val and train accuracy, a confusion matrix.
CLASSIFIER = dict(
    val_losses=(Curve("val_loss", "val", VAL),),
    main_metrics=("val_accuracy", "accuracy"),
    metric_chart=Chart("accuracy", (Curve("val_accuracy", "val", VAL),
                                    Curve("train_accuracy", "train", TRAIN))),
    confusion=True,
)
