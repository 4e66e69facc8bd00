"""Convolutional classifier on the 8x8 handwritten digits, MNIST-style IDX files or CIFAR-10."""
from tuidl.config import DIRS, Param
from tuidl.specs import Family
from tuidl.specs.common import CLASSIFIER, SCHEDULE_PARAMS, common

IMAGE_SETS = ("mnist", "fashion_mnist", "cifar10")

FAMILY = Family(
    name="cnn",
    about="convolution + pooling + fully connected classifier on images",
    task="tuidl.tasks.cnn:CNNTask",
    **CLASSIFIER,
    distributed=True,
    lesson_panel="task_view",
    params=(
        Param("dataset", str, "digits", "digits: the 8x8 handwritten digits; mnist, "
              "fashion_mnist, cifar10: those sets from data_root; or a folder of IDX files "
              "or CIFAR-10 python batches (their test files become the test set)",
              choices=("digits", *IMAGE_SETS), files=(DIRS,)),
        *common("data_root", "download", "max_samples"),
        Param("channels", "ints", "16,32", "output channels of each conv block"),
        Param("kernel_size", int, 3, "convolution kernel size", min=1, max=11),
        Param("padding", int, 1, "zero padding of each convolution", min=0, max=5),
        Param("stride", int, 1, "convolution stride", min=1, max=4),
        Param("pool", str, "max", "2x2 pooling after each conv block", choices=("max", "avg", "none")),
        Param("fc", "ints", "64", "hidden widths of the fully connected head"),
        *common("activation", "epochs", "lr", "optimizer", "momentum", "batch_size",
                "weight_decay", "l1", "dropout", "grad_clip", "init", "init_scale",
                "early_stopping", "train_fraction", epochs=30, lr=0.003, batch_size=64,
                train_fraction=0.6),
        *common(*SCHEDULE_PARAMS),
        Param("test_fraction", float, 0.2,
              "share held out as a test set, scored once at the end (0 = none; data with "
              "its own test files uses those instead)", min=0, max=0.5),
        *common("stratify", "class_weight"),
        *common("seed", "device", "threads", "log_every", "diagnostics"),
        Param("view_every", int, 1, "evals between views of the filters and example images",
              min=1, max=10_000),
    ),
)
