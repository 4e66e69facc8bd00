"""Single-layer perceptron with a threshold output and Rosenblatt's learning rule."""
from tuidl.config import Param
from tuidl.specs import Family
from tuidl.specs.common import CLASSIFIER, SCHEDULE_PARAMS, common

FAMILY = Family(
    name="perceptron",
    about="one threshold unit learning a logic gate with the perceptron rule Δw = η(t−o)x",
    task="tuidl.tasks.perceptron:PerceptronTask",
    **CLASSIFIER,
    lesson_panel="task_view",
    params=(
        Param("gate", str, "and", "logic gate to learn from its 4-row truth table",
              choices=("and", "or", "nand", "nor", "xor", "xnor")),
        Param("output", str, "step", "threshold unit: step (0/1 targets) or sign (±1 targets)",
              choices=("step", "sign")),
        *common("epochs", "lr", "seed", "device", "threads", epochs=20, lr=0.1),
        *common(*SCHEDULE_PARAMS),
        Param("init", str, "zeros", "initial weights and bias", choices=("zeros", "normal")),
        Param("batch_size", int, 1, "patterns per update (1 = classic online rule)", min=1, max=4),
        *common("log_every", "diagnostics", log_every=1),
    ),
)
