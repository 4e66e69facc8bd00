"""word2vec: skip-gram or CBOW word embeddings trained with negative sampling."""
from tuidl.config import ANY_FILE, DIRS, Param
from tuidl.specs import Chart, Curve, Family
from tuidl.specs.common import SCHEDULE_PARAMS, common

FAMILY = Family(
    name="word2vec",
    about="word embeddings from co-occurrence: skip-gram / CBOW with negative sampling",
    task="tuidl.tasks.word2vec:Word2VecTask",
    main_metrics=("precision_at_5",),
    metric_chart=Chart("precision@5", (Curve("precision_at_5", "precision@5", "cyan+"),)),
    title_metrics=("precision_at_5",),
    lesson_panel="task_view",
    params=(
        Param("corpus", str, "world", "world: generated sentences over 8 word "
              "categories; pydoc: Python's help topics; or a UTF-8 text file of any name "
              "(told by its content) or a folder of .txt files",
              choices=("world", "pydoc"), files=(".txt", ANY_FILE, DIRS)),
        Param("n_sentences", int, 3000, "sentences generated for corpus=world",
              min=10, max=1_000_000),
        Param("mode", str, "skip_gram", "skip_gram: a word predicts its neighbours; cbow: "
              "they predict it", choices=("skip_gram", "cbow")),
        Param("window", int, 2, "context words taken on each side of a word", min=1, max=20),
        Param("dim", int, 32, "embedding size", min=2, max=1024),
        Param("negatives", int, 5, "noise words per example, drawn from unigram^0.75",
              min=1, max=100),
        Param("share_negatives", int, 1, "examples in a group that share their noise "
              "words (each still meets `negatives` of them): fewer rows gathered and a "
              "batched matrix product, much faster; 1 = every example draws its own",
              min=1, max=4096),
        Param("by_window", bool, False, "skip_gram: an example is a word and its whole "
              "window, whose pairs share its noise words (pWord2Vec's batching, ~1.4x faster; "
              "batch_size counts words; needs share_negatives = 1)"),
        Param("subsample", float, 1e-3, "Mikolov's t: keep a word of share f with p = "
              "sqrt(t/f) + t/f, once at the start (0 = off)", min=0, max=1),
        Param("min_count", int, 5, "words seen fewer times are left out of the vocabulary",
              min=1, max=1_000_000),
        *common("epochs", "lr", "optimizer", "momentum", "batch_size", "grad_clip",
                epochs=5, lr=0.01, optimizer="adam", batch_size=256),
        *common(*SCHEDULE_PARAMS),
        *common("seed", "device", "threads", "log_every", "diagnostics"),
    ),
)
