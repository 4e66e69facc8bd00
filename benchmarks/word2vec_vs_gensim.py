"""word2vec against gensim: words/s and neighbour quality on the same corpus (opt-in).

    .venv/bin/python benchmarks/word2vec_vs_gensim.py [--device cpu] [--quick] [--no-record]
        [--repeats 3] [--tuidl-threads 1,2]

Needs gensim (`pip install -e .[bench]`). For each corpus both train with the same dim, window,
negatives, epochs, min_count, subsample and mode, on the same sentences:
- world: the generated sentences with an answer key; precision@5 of the category words,
  computed by `tuidl.models.word2vec.precision_at_k` from both models' exported vectors;
- pydoc: Python's help text, real English; no key, so the nearest words of a few probes;
- world-big: 200k generated sentences (1.6M words), the throughput case.
tuidl runs a preset through `tuidl.runner.execute` with threads=1 (`--tuidl-threads 1,2`
adds rows; on a busy 2-core machine two torch threads spin against each other) and its own
defaults otherwise (diagnostics on; world-big with batch_size=4096, as 256 is for the small
presets); gensim runs `Word2Vec.train` with workers=1 and workers=2. Both see every pair
within the window: gensim with shrink_windows=False, as tuidl takes the whole window (gensim's
default shrinks it at random, ~(W+1)/2 on average: fewer pairs, the rows marked "shrink").

words/s = in-vocabulary corpus words (before subsampling, as the C tool counts) × epochs,
divided by the seconds of training alone: gensim's `train()`, tuidl's engine from its first
event to its summary (per-epoch evaluation included; corpus loading, vocabulary and the
example tables excluded). Each row is recorded in benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from results import record  # noqa: E402

from tuidl.data.corpus import CATEGORIES, PYDOC_PROBES, WORLD_PROBES, load_corpus  # noqa: E402
from tuidl.events import RunStart, Summary  # noqa: E402
from tuidl.models.word2vec import nearest, precision_at_k  # noqa: E402
from tuidl.runner import execute, prepare  # noqa: E402

# name: preset, corpus overrides, shared hyper-parameters (both tools), probe words
CASES = {
    "world": ("word2vec", {"corpus": "world", "n_sentences": 3000}, WORLD_PROBES),
    "pydoc": ("word2vec-pydoc", {"corpus": "pydoc"}, PYDOC_PROBES),
    "world-big": ("word2vec", {"corpus": "world", "n_sentences": 200_000}, WORLD_PROBES),
}
TUIDL_ONLY = {  # tuidl's own knobs, not shared with gensim
    "world-big": {"batch_size": 4096},
}
OWN_KNOBS = {"share_negatives": 1, "by_window": False}  # shown when a preset sets them
SHARED = ("mode", "dim", "window", "negatives", "epochs", "min_count", "subsample", "seed")


def settings(preset: str, overrides: dict, extra: dict) -> dict:
    """The preset's resolved config with the overrides: what both tools are given."""
    items = [f"{k}={v}" for k, v in {**overrides, **extra}.items()]
    return prepare(preset, items).config


def sentences_of(cfg: dict) -> list[list[str]]:
    return load_corpus(cfg["corpus"], cfg["n_sentences"], cfg["seed"]).sentences


def corpus_words(sentences, min_count: int) -> int:
    counts: dict[str, int] = {}
    for s in sentences:
        for w in s:
            counts[w] = counts.get(w, 0) + 1
    return sum(n for n in counts.values() if n >= min_count)


def quality(words: list[str], vectors: torch.Tensor, probes) -> tuple[float | None, str]:
    """precision@5 over the category words present (None without a key) and the probes'
    three nearest words."""
    index = {w: i for i, w in enumerate(words)}
    cats = [(w, c) for c, ws in CATEGORIES.items() for w in ws if w in index]
    p = None
    if len(cats) > 5 and probes == WORLD_PROBES:
        names = list(CATEGORIES)
        ids = torch.tensor([index[w] for w, _ in cats])
        labels = torch.tensor([names.index(c) for _, c in cats])
        p = float(precision_at_k(vectors[ids], labels, 5))
    shown = [w for w in probes if w in index][:3]
    _, nn_idx = nearest(vectors, torch.tensor([index[w] for w in shown]), 3)
    text = "; ".join(f"{w} → {', '.join(words[i] for i in row)}"
                     for w, row in zip(shown, nn_idx.tolist()))
    return p, text


def run_tuidl(preset: str, overrides: dict, device: str, threads: int) -> dict:
    marks = {}

    def timer(event):
        if isinstance(event, (RunStart, Summary)):
            marks[type(event).__name__] = time.perf_counter()

    prep = prepare(preset, [f"{k}={v}" for k, v in overrides.items()] + [f"threads={threads}"],
                   device=device)
    with tempfile.TemporaryDirectory() as root:
        s = execute(prep, out_root=root, sinks=[timer])
        lines = (Path(s.run_dir) / "vectors.txt").read_text().splitlines()[1:]
    words = [ln.split(" ", 1)[0] for ln in lines]
    vectors = torch.tensor([[float(x) for x in ln.split(" ")[1:]] for ln in lines])
    return {"seconds": marks["Summary"] - marks["RunStart"], "words": words,
            "vectors": vectors, "device": s.device}


def run_gensim(cfg: dict, sentences, workers: int, shrink: bool = False) -> dict:
    from gensim.models import Word2Vec
    m = Word2Vec(vector_size=cfg["dim"], window=cfg["window"], negative=cfg["negatives"],
                 hs=0, sg=int(cfg["mode"] == "skip_gram"), min_count=cfg["min_count"],
                 sample=cfg["subsample"], workers=workers, seed=cfg["seed"],
                 shrink_windows=shrink)
    m.build_vocab(sentences)
    t0 = time.perf_counter()
    m.train(sentences, total_examples=len(sentences), epochs=cfg["epochs"])
    seconds = time.perf_counter() - t0
    words = list(m.wv.index_to_key)
    return {"seconds": seconds, "words": words, "vectors": torch.tensor(m.wv.vectors)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu", help="tuidl's device (gensim is CPU only)")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--quick", action="store_true", help="small corpora, one epoch: a smoke run")
    ap.add_argument("--no-record", action="store_true", help="print only")
    ap.add_argument("--tuidl-threads", default="1", help="comma-separated torch threads")
    ap.add_argument("--tag", default="", help="added to tuidl's rows (e.g. a version)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="runs of each trainer; the fastest is reported")
    args = ap.parse_args()
    logging.getLogger("gensim").setLevel(logging.WARNING)
    rows = []
    for name in args.cases.split(","):
        preset, overrides, probes = CASES[name]
        overrides = dict(overrides)
        if args.quick:
            overrides.update(epochs=1, n_sentences=min(overrides.get("n_sentences", 300), 300))
            if overrides["corpus"] == "pydoc":
                overrides.update(corpus="world", n_sentences=300)
                probes = WORLD_PROBES
        cfg = settings(preset, overrides, {})
        sentences = sentences_of(cfg)
        words = corpus_words(sentences, cfg["min_count"]) * cfg["epochs"]
        shared = ", ".join(f"{k}={cfg[k]}" for k in SHARED[:-1])
        own = {**overrides, **TUIDL_ONLY.get(name, {})}
        mine = {**{k: cfg[k] for k in OWN_KNOBS if cfg.get(k, OWN_KNOBS[k]) != OWN_KNOBS[k]},
                **TUIDL_ONLY.get(name, {})}
        knobs = " ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                         for k, v in mine.items())
        runs = [(f"tuidl{args.tag} {args.device} threads={n} {knobs}".strip(),
                 lambda n=n: run_tuidl(preset, own, args.device, n))
                for n in map(int, args.tuidl_threads.split(","))]
        runs += [(f"gensim workers={n}", lambda n=n: run_gensim(cfg, sentences, n))
                 for n in (1, 2)]
        runs.append(("gensim workers=1 shrink", lambda: run_gensim(cfg, sentences, 1, True)))
        for who, fn in runs:
            r = min((fn() for _ in range(max(1, args.repeats))), key=lambda r: r["seconds"])
            p, shown = quality(r["words"], r["vectors"], probes)
            row = [name, who, shared, f"{words / r['seconds']:,.0f}", f"{r['seconds']:.2f}",
                   "-" if p is None else f"{p:.2f}", shown]
            rows.append(row)
            print(" | ".join(row), flush=True)
    columns = ["corpus", "trainer", "settings (both)", "words/s", "train s", "precision@5",
               "nearest of probes"]
    if not args.no_record:
        record("word2vec vs gensim", columns, rows, device=args.device,
               note=f"words/s: in-vocabulary corpus words × epochs / training seconds, the "
                    f"fastest of {args.repeats} runs; gensim sees the whole window unless "
                    "marked shrink; tuidl's own knobs follow its threads.")


if __name__ == "__main__":
    main()
