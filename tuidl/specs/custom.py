"""Runs of a user's own model and loop, recorded by `tuidl.Monitor` (or the Lightning
callback): tuidl does not train them, it reads them. They chart the loss the loop reports, the
validation loss and accuracy when the loop's evaluations give them, and the gradient panel
carries the lesson; a classifier's confusion matrix shows when the loop passes one."""
from tuidl.specs import Family
from tuidl.specs.common import CLASSIFIER

FAMILY = Family(
    name="custom",
    about="your own model, trained by your own loop and recorded by tuidl.Monitor",
    params=(),
    task="",  # not trainable by tuidl: no presets, no form
    **{**CLASSIFIER, "main_metrics": ("val_accuracy", "accuracy", "val_loss")},
    remedies={
        "vanishing": "use ReLU-family activations with He init (Xavier for tanh), residual "
                     "connections or normalization layers, fewer layers",
        "exploding": "lower the learning rate, clip the gradient norm "
                     "(torch.nn.utils.clip_grad_norm_), or normalize the layers",
        "diverged": "lower the learning rate and clip the gradient norm",
    },
)
