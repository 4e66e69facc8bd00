"""Recurrent sequence classifier: sentiment whose labels depend on word order, a long-memory
task whose label is the first word of a long sequence, or labelled text of one's own."""
from tuidl.config import DIRS, Param
from tuidl.specs import Family
from tuidl.specs.common import CLASSIFIER, SCHEDULE_PARAMS, common

CELLS = ("rnn", "lstm", "gru", "bow")

FAMILY = Family(
    name="rnn",
    about="embedding + recurrent layers (rnn, lstm, gru) or an order-blind bag of words",
    task="tuidl.tasks.rnn:RNNTask",
    **CLASSIFIER,
    distributed=True,
    lesson_panel="time_grads",
    remedies={"vanishing": "use an LSTM or GRU (their gates carry the gradient through time), "
                           "or shorter sequences",
              **{f"vanishing:{cell}": "raise forget_bias, so the gate keeps the old state from "
                                      "the start (about log of the lag: 4 for 60 steps), or "
                                      "shorter sequences" for cell in ("lstm", "gru")}},
    remedy_key="cell",
    params=(
        Param("dataset", str, "generated",
              "generated: sentences with negation and contrast, where word order matters; "
              "first_word: the label is the first word of max_len, the rest noise (memory); "
              "or a CSV/TSV file of text and label columns, or a folder of pos/ neg/ .txt "
              "files (optionally under train/ and test/)",
              choices=("generated", "first_word"), files=(".csv", ".tsv", DIRS)),
        Param("text_column", str, "", "file data: the text column, by header name or 0-based "
              "index (empty = the first named text/review/sentence/content, else column 0)"),
        Param("label_column", str, "", "file data: the label column, by header name or "
              "0-based index (empty = the last column that is not the text column)"),
        Param("min_freq", int, 2, "file data: words seen fewer times in the training texts "
              "are <unk>", min=1, max=1_000_000),
        Param("max_vocab", int, 20_000, "file data: most vocabulary entries, <pad> and <unk> "
              "included, commonest words first (0 = no limit)", min=0, max=10_000_000),
        Param("lowercase", bool, True, "file data: lowercase the text before splitting it "
              "into words"),
        Param("truncate", str, "head", "file data: a text longer than max_len keeps its "
              "first (head) or last (tail) max_len tokens", choices=("head", "tail")),
        Param("n_samples", int, 6000, "sequences generated", min=20, max=200_000),
        Param("max_len", int, 20, "longest sentence in words (ids are padded to this); "
              "first_word: the length of every sequence; file data: texts are cut (see "
              "truncate) or padded to this many tokens", min=6, max=2048),
        Param("embed_dim", int, 32, "size of each word vector", min=1, max=1024),
        Param("hidden_size", int, 64, "recurrent state size (hidden width for bow)",
              min=1, max=2048),
        Param("cell", str, "lstm",
              "recurrent cell, or bow: the mean of the word vectors, blind to order",
              choices=CELLS),
        Param("forget_bias", float, 1.0, "initial bias of the gate that keeps the old state "
              "(lstm: forget gate, gru: update gate): 1 keeps memory from the start, ~log(lag) "
              "carries it across a lag; 0 is PyTorch's default", min=-10, max=10),
        Param("layers", int, 1, "stacked recurrent layers (ignored by bow)", min=1, max=8),
        Param("bidirectional", bool, False,
              "also read each sentence backwards (ignored by bow)"),
        *common("epochs", "lr", "optimizer", "momentum", "batch_size", "weight_decay", "l1",
                "dropout", "grad_clip", "init", "init_scale", "early_stopping",
                "train_fraction", epochs=10, lr=0.005, batch_size=64, grad_clip=1.0),
        *common(*SCHEDULE_PARAMS),
        *common("stratify", "class_weight"),
        *common("seed", "device", "threads", "log_every", "diagnostics"),
        Param("time_grads_every", int, 100, "steps between readings of dL/dh_t through time "
              "(that logged step runs the recurrent layer one time step at a time, a few "
              "times slower than the fused layer; 0 = never)", min=0, max=1_000_000),
        Param("view_every", int, 5, "evals between views of example sentences",
              min=1, max=10_000),
    ),
)
