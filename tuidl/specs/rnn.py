"""Recurrent sequence classifier: sentiment whose labels depend on word order, or a long-memory
task whose label is the first word of a long sequence."""
from tuidl.config import Param
from tuidl.specs import Family
from tuidl.specs.common import common

CELLS = ("rnn", "lstm", "gru", "bow")

FAMILY = Family(
    name="rnn",
    about="embedding + recurrent layers (rnn, lstm, gru) or an order-blind bag of words",
    task="tuidl.tasks.rnn:RNNTask",
    params=(
        Param("dataset", str, "generated",
              "generated: sentences with negation and contrast, where word order matters; "
              "first_word: the label is the first word of max_len, the rest noise (memory)",
              choices=("generated", "first_word")),
        Param("n_samples", int, 6000, "sequences generated", min=20, max=200_000),
        Param("max_len", int, 20, "longest sentence in words (ids are padded to this); "
              "first_word: the length of every sequence", min=6, max=256),
        Param("embed_dim", int, 32, "size of each word vector", min=1, max=1024),
        Param("hidden_size", int, 64, "recurrent state size (hidden width for bow)",
              min=1, max=2048),
        Param("cell", str, "lstm",
              "recurrent cell, or bow: the mean of the word vectors, blind to order",
              choices=CELLS),
        Param("forget_bias", float, 1.0, "lstm: initial bias of the forget gate (1 keeps the "
              "cell's memory from the start; 0 is PyTorch's default)", min=-10, max=10),
        Param("layers", int, 1, "stacked recurrent layers (ignored by bow)", min=1, max=8),
        Param("bidirectional", bool, False,
              "also read each sentence backwards (ignored by bow)"),
        *common("epochs", "lr", "optimizer", "momentum", "batch_size", "weight_decay", "l1",
                "dropout", "grad_clip", "init", "init_scale", "early_stopping",
                "train_fraction", epochs=10, lr=0.005, batch_size=64, grad_clip=1.0),
        *common("seed", "device", "threads", "log_every", "diagnostics"),
        Param("view_every", int, 5, "evals between views of example sentences",
              min=1, max=10_000),
    ),
)
