"""Fully connected feed-forward classifier on generated 2-D sets, the 8x8 digits, image sets
(their pixels as one vector) or a CSV/TSV table."""
from tuidl.config import DIRS, Param
from tuidl.specs import Family
from tuidl.specs.cnn import IMAGE_SETS
from tuidl.specs.common import CLASSIFIER, SCHEDULE_PARAMS, common

DATASETS_2D = ("xor", "circle", "gauss", "spiral", "moons")

FAMILY = Family(
    name="mlp",
    about="multilayer perceptron trained by backpropagation",
    task="tuidl.tasks.mlp:MLPTask",
    **CLASSIFIER,
    distributed=True,
    lesson_panel="task_view",
    params=(
        Param("dataset", str, "moons", "a generated 2-D set, the 8x8 digits, an image set "
              "(a named one from data_root, or a folder of IDX or CIFAR-10 files; each image "
              "one vector of its pixels) or a CSV/TSV file of numbers and a label column",
              choices=(*DATASETS_2D, "digits", *IMAGE_SETS), files=(".csv", ".tsv", DIRS)),
        Param("label_column", str, "", "CSV: the label column, by header name or 0-based "
              "index (empty = the last column)"),
        Param("standardize", bool, True, "CSV, and 2-D sets given an input_scale: scale each "
              "feature to zero mean and unit variance, with statistics from the training split "
              "only"),
        *common("data_root", "download", "max_samples"),
        Param("n_samples", int, 1000, "points generated for 2-D data sets", min=4, max=1_000_000),
        Param("minority", float, 0.0, "2-D sets: the share of samples in class 1, a rare class "
              "(0.05: 1 in 20); 0 = as generated (balanced)", min=0, max=0.5),
        Param("input_scale", float, 1.0, "2-D sets: the first input in other units, as raw "
              "measurements come: multiplied by this and offset by 3x this (1 = as generated)",
              min=1e-3, max=1e4),
        *common("noise", "hidden", "activation", "loss", "epochs", "lr", "optimizer", "momentum",
                "batch_size", "weight_decay", "l1", "dropout", "grad_clip", "init", "init_scale",
                "early_stopping", "train_fraction", epochs=50, lr=0.01, batch_size=32),
        *common(*SCHEDULE_PARAMS),
        Param("test_fraction", float, 0.0,
              "share held out as a test set, scored once at the end (0 = none; an image set "
              "with its own test files uses those instead)", min=0, max=0.5),
        *common("stratify", "class_weight"),
        *common("seed", "device", "threads", "log_every", "diagnostics"),
        Param("view_every", int, 5, "evals between task views (the decision boundary of 2-D "
              "data; the first layer's weights as images and example predictions of image "
              "sets)", min=1, max=10_000),
    ),
)
