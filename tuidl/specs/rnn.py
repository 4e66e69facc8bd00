"""Recurrent sentiment classifier on a generated set whose labels depend on word order."""
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
              "sentences with negation and contrast, generated so that word order matters",
              choices=("generated",)),
        Param("n_samples", int, 6000, "sentences generated", min=20, max=200_000),
        Param("max_len", int, 20, "longest sentence in words (ids are padded to this)",
              min=6, max=256),
        Param("embed_dim", int, 32, "size of each word vector", min=1, max=1024),
        Param("hidden_size", int, 64, "recurrent state size (hidden width for bow)",
              min=1, max=2048),
        Param("cell", str, "lstm",
              "recurrent cell, or bow: the mean of the word vectors, blind to order",
              choices=CELLS),
        Param("layers", int, 1, "stacked recurrent layers (ignored by bow)", min=1, max=8),
        Param("bidirectional", bool, False,
              "also read each sentence backwards (ignored by bow)"),
        *common("epochs", "lr", "optimizer", "momentum", "batch_size", "weight_decay", "l1",
                "dropout", "grad_clip", "init", "init_scale", "early_stopping",
                "train_fraction", epochs=10, lr=0.005, batch_size=64, grad_clip=1.0),
        *common("seed", "device", "log_every"),
        Param("view_every", int, 5, "evals between views of example sentences",
              min=1, max=10_000),
    ),
)
