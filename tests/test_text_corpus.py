"""word2vec on text the user provides: a UTF-8 file of any name (told by its content) or a
folder of .txt files."""
import json

import pytest
from typer.testing import CliRunner

from tuidl.cli import app
from tuidl.config import ConfigError
from tuidl.data.corpus import SNIFF_BYTES, sniff, text_sentences

runner = CliRunner()
TEXT = ("the cat sat on the mat\nthe dog sat on the log\nthe cat and the dog ran\n"
        "a bird sat on the tree\nthe bird and the cat ran\n") * 20


def test_word2vec_trains_on_a_folder_of_text_files(tmp_path):
    (tmp_path / "corpus" / "more").mkdir(parents=True)
    (tmp_path / "corpus" / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "corpus" / "more" / "b.txt").write_text("Ünïcode wörds stay whole\n" * 5,
                                                        encoding="utf-8")
    result = runner.invoke(app, ["run", "word2vec", "--set", f"corpus={tmp_path / 'corpus'}",
                                 "--set", "min_count=1", "--epochs", "2", "--out",
                                 str(tmp_path / "runs"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed" and summary["metrics"]["vocab_size"] == 16
    words = open(f"{summary['run_dir']}/metadata.tsv", encoding="utf-8").read().split()
    assert "wörds" in words and "ünïcode" in words


def test_a_file_without_newlines_is_one_long_sentence(tmp_path):
    f = tmp_path / "one-line.txt"
    f.write_text(" ".join(TEXT.split()), encoding="utf-8")  # 600 words, no line break
    result = runner.invoke(app, ["run", "word2vec", "--set", f"corpus={f}", "--set",
                                 "min_count=1", "--set", "window=3", "--set", "subsample=0",
                                 "--epochs", "1", "--out", str(tmp_path / "runs"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed" and summary["metrics"]["vocab_size"] == 12
    # windows run along the whole line: 2 * (599 + 598 + 597) pairs, 256 a step
    assert summary["steps"] == 15


def test_sentences_are_lines_of_letters(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("Hello, World! 42 times\n\nsingle\nit's fine\n", encoding="utf-8")
    assert text_sentences(f) == [["hello", "world", "times"], ["it", "s", "fine"]]


@pytest.mark.parametrize("name, content, message", [
    ("missing.txt", None, "no such file or folder"),
    ("empty.txt", "", "no sentences of two or more words"),
    ("bad.txt", b"caf\xe9 au lait\n", "not UTF-8 text"),
    ("folder", "dir", "no .txt files in this folder"),
    ("corpus.cor", b"PK\x03\x04\x14\x00\x00\x00 a zip\n", "not text: it has a NUL byte at byte 5"),
    ("utf16.cor", "the cat sat\n".encode("utf-16"), "(UTF-16 text: save it as UTF-8)"),
    ("nul.txt", b"the cat\x00sat on the mat\n", "NUL byte at byte 7"),
])
def test_bad_text_is_one_line_with_exit_2(tmp_path, name, content, message):
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = runner.invoke(app, ["run", "word2vec", "--set", f"corpus={path}", "--out",
                                 str(tmp_path / "runs")])
    assert result.exit_code == 2
    out = result.output.strip()
    assert out.startswith("error: ") and str(path) in out and message in out and "\n" not in out


def test_a_corpus_of_any_name_is_read_as_text_by_its_content(tmp_path):
    f = tmp_path / "corpus.cor"
    f.write_text(TEXT, encoding="utf-8")
    result = runner.invoke(app, ["run", "word2vec", "--set", f"corpus={f}", "--set",
                                 "min_count=1", "--epochs", "1", "--out",
                                 str(tmp_path / "runs"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed" and summary["metrics"]["vocab_size"] == 12


def test_the_sniff_lets_a_character_cut_by_its_limit_pass(tmp_path):
    """The first 64 KiB may end inside a character (the rest of it follows); a whole file
    that ends inside one is not UTF-8."""
    head = ("a" + "é" * SNIFF_BYTES).encode("utf-8")[:SNIFF_BYTES]
    assert head[-1] == 0xC3  # the first byte of an é
    sniff(tmp_path / "big.cor", head)
    f = tmp_path / "cut.cor"
    f.write_bytes(("a " + "é" * 40_000 + " b c\n").encode("utf-8") * 2)
    assert text_sentences(f)[0][0] == "a"
    with pytest.raises(ConfigError, match=r"short.cor: not UTF-8 text \(byte 3\)$"):
        sniff(tmp_path / "short.cor", b"caf\xc3")


def test_a_corpus_that_subsampling_leaves_without_pairs_is_one_line(tmp_path):
    """Two words, each half the corpus: subsampling keeps about 5 % of them, no sentence keeps
    two, and the run says so instead of failing inside the pair table."""
    f = tmp_path / "tiny.cor"
    f.write_text("yes no\n" * 5, encoding="utf-8")
    result = runner.invoke(app, ["run", "word2vec", "--set", f"corpus={f}", "--set",
                                 "min_count=1", "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    assert result.output == ("error: the corpus yields no training pairs (too few words per "
                             "sentence)\n")
