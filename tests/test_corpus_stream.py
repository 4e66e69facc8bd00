"""word2vec streams user text: pieces of a file give what the whole-file reader gives, the
examples computed per batch are the ones the lists define, and memory stays bounded."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tuidl.config import ConfigError
from tuidl.data.corpus import (build_vocab, cbow_examples, encode, skipgram_pairs,
                               stream_text, text_sentences)
from tuidl.tasks.word2vec import Windows

WORDS = ("the", "cat", "sat", "on", "mat", "ünïcode", "wörds", "ΟΔΟΣ", "straße", "日本語")


def _assert_same_as_the_simple_reader(path, chunk_bytes, min_count=1):
    sentences = text_sentences(path)
    vocab = build_vocab(sentences, min_count)
    ids, sid = encode(sentences, vocab)
    got, got_ids, got_sid = stream_text(path, min_count, chunk_bytes)
    assert got.words == vocab.words and got.counts.tolist() == vocab.counts.tolist()
    assert got_ids.dtype == np.int32 and got_ids.tolist() == ids.tolist()
    assert got_sid.tolist() == sid.tolist()
    return got_ids


@pytest.mark.parametrize("chunk_bytes", [1, 5, 64, 1 << 20])
def test_one_line_without_a_newline_streams_as_one_sentence(tmp_path, chunk_bytes):
    rng = np.random.default_rng(0)
    f = tmp_path / "one-line.txt"
    f.write_text(" ".join(rng.choice(WORDS, 3000)), encoding="utf-8")
    ids = _assert_same_as_the_simple_reader(f, chunk_bytes, min_count=2)
    assert len(ids) == 3000
    _, _, sid = stream_text(f, 2, chunk_bytes)
    assert set(sid.tolist()) == {0}


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 7, 64])
def test_pieces_split_anywhere_give_the_simple_readers_vocab_and_ids(tmp_path, chunk_bytes):
    rng = np.random.default_rng(1)
    parts = list(WORDS) + [" ", "  ", "\n", "\r\n", "\r", "\n\n", ", ", "42", "it's", "\u2028",
                           "\x85", "\t", "Σ", "İ"]
    folder = tmp_path / "corpus"
    (folder / "more").mkdir(parents=True)
    for k, name in enumerate(["a.txt", "more/b.txt"]):
        text = "".join(rng.choice(parts, 400 + 100 * k))
        (folder / name).write_bytes(text.encode("utf-8"))  # \r and \r\n kept as written
    (folder / "c.txt").write_text("single\nwords\nonly\n", encoding="utf-8")  # no sentences
    _assert_same_as_the_simple_reader(folder, chunk_bytes)


def test_a_bad_byte_is_named_by_its_offset_in_the_file(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_bytes("ünïcode words ".encode("utf-8") * 100 + b"caf\xe9 au lait\n")
    bad = len("ünïcode words ".encode("utf-8")) * 100 + 3
    message = "^" + re.escape(f"{f}: not UTF-8 text (byte {bad})") + "$"
    with pytest.raises(ConfigError, match=message):
        text_sentences(f)
    for chunk_bytes in (1, 7, 64, 1 << 20):
        with pytest.raises(ConfigError, match=message):
            stream_text(f, 1, chunk_bytes)


@pytest.mark.parametrize("table", [True, False], ids=["left-table", "binary-search"])
def test_windows_compute_the_examples_the_lists_define(monkeypatch, table):
    from tuidl.tasks import word2vec
    monkeypatch.setattr(word2vec, "LEFT_TABLE_MAX", 1 << 24 if table else 0)
    rng = np.random.default_rng(2)
    lengths = rng.integers(1, 14, size=300)
    lengths[:3] = 1  # sentences of one word (e.g. after subsampling) have no context
    sid = np.repeat(np.arange(300), lengths).astype(np.int32)
    ids = rng.integers(0, 40, size=len(sid)).astype(np.int32)
    for window in (1, 3, 20):
        w = Windows(ids, sid, window, torch.device("cpu"), pairs=True)
        assert (w.left is not None) == table
        pairs = skipgram_pairs(ids, sid, window)
        k = torch.randperm(w.n_pairs)
        center, context = w.skipgram(k)
        assert w.n_pairs == len(pairs)
        assert torch.stack([center, context], 1).tolist() == pairs[k.numpy()].tolist()
        centers, ctx, mask = cbow_examples(ids, sid, window)
        c, x, m = w.cbow(torch.arange(w.n_rows))
        assert w.n_rows == len(centers) and c.tolist() == centers.tolist()
        assert x.tolist() == ctx.tolist() and m.tolist() == mask.tolist()


def test_one_long_sentence_has_every_window():
    ids = np.arange(10_000, dtype=np.int32) % 97
    w = Windows(ids, np.zeros(10_000, np.int32), 5, torch.device("cpu"), pairs=True)
    assert w.n_pairs == 2 * sum(10_000 - d for d in range(1, 6))
    center, context = w.skipgram(torch.arange(w.n_pairs))
    gap = (context - center) % 97
    assert sorted(set(gap.tolist())) == [1, 2, 3, 4, 5, 92, 93, 94, 95, 96]
    _, _, mask = w.cbow(torch.tensor([0, 5000, 9999]))
    assert mask.sum(1).tolist() == [5, 10, 5]


MEASURE = """
import re, sys, torch
from tuidl.runner import prepare
from tuidl.tasks.word2vec import Word2VecTask
def peak_kb():  # this process's own peak (ru_maxrss would count the parent's, from the fork)
    return int(re.search(r"VmHWM:\\s*(\\d+)", open("/proc/self/status").read()).group(1))
config = prepare("word2vec", ["corpus=" + sys.argv[1], "window=5", "mode=" + sys.argv[2]]).config
before = peak_kb()
task = Word2VecTask(config, torch.device("cpu"))
print(task.n_train, peak_kb() - before)
"""


@pytest.mark.soak
@pytest.mark.parametrize("mode", ["skip_gram", "cbow"])
def test_a_ten_million_word_line_prepares_in_bounded_memory(tmp_path, mode):
    """10M words (Zipf over 50k words) on a single line: the task's constructor grows peak
    memory by under 40 bytes per word (the word lists and stored pairs took ~340)."""
    if not Path("/proc/self/status").is_file():
        pytest.skip("reads the peak memory of a process from /proc (Linux)")
    n_words, vocab = 10_000_000, 50_000
    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = np.unique(["".join(rng.choice(letters, 7)) for _ in range(vocab + 500)])[:vocab]
    cdf = np.cumsum(1.0 / np.arange(1, vocab + 1))
    f = tmp_path / "big.txt"
    with open(f, "w", encoding="utf-8") as out:
        for _ in range(n_words // 1_000_000):
            draw = np.searchsorted(cdf, rng.random(1_000_000) * cdf[-1])
            out.write(" ".join(words[np.minimum(draw, vocab - 1)]) + " ")
    run = subprocess.run([sys.executable, "-c", MEASURE, str(f), mode], capture_output=True,
                         text=True, check=True)
    n_train, grown_kb = map(int, run.stdout.split())
    assert n_train > n_words // 2
    assert grown_kb * 1024 < 40 * n_words, f"peak memory grew {grown_kb // 1024} MB"


def test_text_without_whitespace_is_read_in_linear_time(tmp_path):
    """A file with no whitespace is one piece, read block by block without copying what came
    before at every block (that was quadratic: 256 MB took 77 s)."""
    import time
    from tuidl.data.corpus import text_pieces
    f = tmp_path / "one-word.txt"
    f.write_bytes(b"a" * (8 << 20))
    t0 = time.perf_counter()
    pieces = list(text_pieces(f, chunk_bytes=1024))
    assert time.perf_counter() - t0 < 5.0
    assert len(pieces) == 1 and len(pieces[0]) == 8 << 20
