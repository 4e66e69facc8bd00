"""rnn on one's own text: a review folder (pos/ neg/ under train/ and test/) or a CSV/TSV of
text and label columns trains; tokens, vocabulary (training rows only), truncation and padding
behave as documented; every malformed input is one line naming the file, with exit code 2."""
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from tuidl.cli import app
from tuidl.config import ConfigError
from tuidl.data import reviews
from tuidl.data.reviews import build_vocab, encode, tokenize
from inputs import write_input

runner = CliRunner()

WORDS = {"pos": ("great", "wonderful", "superb", "loved", "brilliant"),
         "neg": ("awful", "boring", "terrible", "hated", "dull"),
         "meh": ("okay", "average", "mediocre", "forgettable", "passable")}
FILLER = ("the", "movie", "film", "was", "really", "plot", "acting", "i", "it", "and", "this",
          "quite", "story", "cast")


def review(rng, label: str) -> str:
    """A short review: filler words around two words of its class, ending in a full stop."""
    words = [*rng.choice(FILLER, rng.integers(3, 9)), *rng.choice(WORDS[label], 2)]
    rng.shuffle(words)
    return " ".join(words).capitalize() + "."


def write_folder(root, n_train=60, n_test=20, seed=0):
    """root/train/{pos,neg}/*.txt and root/test/{pos,neg}/*.txt, plus what must be ignored:
    an unlabelled train/unsup/, a .txt beside the class folders and a non-.txt file."""
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("test", n_test)):
        for label in ("pos", "neg"):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(n):
                (folder / f"{i}_{label}.txt").write_text(review(rng, label) + " <br /><br />")
            (folder / "notes.md").write_text("not a review")
    (root / "train" / "unsup").mkdir()
    (root / "train" / "unsup" / "0.txt").write_text("an unlabelled review")
    (root / "train" / "urls_pos.txt").write_text("http://example.com")
    return root


def test_an_lstm_trains_on_a_review_folder_and_scores_its_test_split(train, tmp_path):
    root = write_folder(tmp_path / "reviews")
    summary, _, events = train("lstm-sentiment", f"dataset={root}", "max_len=16", "epochs=15")
    m = summary["metrics"]
    assert m["val_accuracy"] >= 0.9 and m["test_accuracy"] >= 0.9  # chance: 0.5
    confusion = [e for e in events if e["type"] == "confusion"][-1]
    assert confusion["labels"] == ["neg", "pos"]  # unsup/ is no class
    assert sum(map(sum, confusion["matrix"])) == 24  # 20 % of the 120 train/ reviews
    view = [e for e in events if e["type"] == "task_view"][-1]
    examples = view["data"]["examples"]
    assert view["kind"] == "sentences" and len(examples) == 8
    assert {e["true"] for e in examples} == {0, 1}  # validation rows are shuffled
    assert all(0 <= e["p_positive"] <= 1 and e["pred"] in (0, 1) for e in examples)
    assert all(e["text"].endswith(".") and "<pad>" not in e["text"] for e in examples)


def test_a_csv_with_string_labels_and_quoted_fields_trains(tmp_path):
    rng = np.random.default_rng(1)
    lines = ["id,text,label"]
    for i in range(180):
        label = ("pos", "neg", "meh")[i % 3]
        text = review(rng, label)
        if i % 10 == 0:
            text = f'"{text[:-1]}, honestly,\nsaid ""me""."'  # a comma, a newline, quotes
        lines.append(f"{i},{text},{dict(pos='liked', neg='disliked', meh='so-so')[label]}")
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["run", "lstm-sentiment", "--set", f"dataset={path}",
                                 "--set", "max_len=24", "--epochs", "25",
                                 "--out", str(tmp_path / "runs"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["metrics"]["val_accuracy"] >= 0.85  # chance: 1/3
    events = [json.loads(line) for line in
              open(f"{summary['run_dir']}/events.jsonl").read().splitlines()]
    confusion = [e for e in events if e["type"] == "confusion"][-1]
    assert confusion["labels"] == ["disliked", "liked", "so-so"]
    examples = [e for e in events if e["type"] == "task_view"][-1]["data"]["examples"]
    assert all("p_positive" not in e and 1 / 3 <= e["p_pred"] <= 1 for e in examples)


def test_tokens_are_words_and_single_punctuation_marks():
    assert tokenize("Not good,<br />I DON'T like it... 10/10!") == [
        "not", "good", ",", "i", "don't", "like", "it", ".", ".", ".", "10", "/", "10", "!"]
    assert tokenize("Not GOOD", lowercase=False) == ["Not", "GOOD"]
    assert tokenize("'Quoted' students' foo_bar") == [
        "'", "quoted", "'", "students", "'", "foo", "_", "bar"]
    # other scripts; Devanagari's vowel signs and nukta are marks that stay in their words
    assert tokenize("Очень хорошо! हिन्दी फ़िल्म") == ["очень", "хорошо", "!", "हिन्दी", "फ़िल्म"]
    assert tokenize("") == [] and tokenize("<BR/>  <br>") == []


def test_vocabulary_by_count_then_alphabet_with_min_freq_and_max_vocab():
    docs = [["b", "a", "c", "a"], ["b", "d", "a", "e", "e"]]
    assert build_vocab(docs) == ["<pad>", "<unk>", "a", "b", "e", "c", "d"]
    assert build_vocab(docs, min_freq=2) == ["<pad>", "<unk>", "a", "b", "e"]
    assert build_vocab(docs, max_vocab=4) == ["<pad>", "<unk>", "a", "b"]  # pad, unk counted
    assert build_vocab(docs, min_freq=3, max_vocab=0) == ["<pad>", "<unk>", "a"]


def test_truncation_padding_and_unknown_words():
    vocab = ["<pad>", "<unk>", "a", "b", "c"]
    docs = [["a", "b", "c", "a", "zzz"], ["b"], []]
    assert encode(docs, vocab, 3, "head").tolist() == [[2, 3, 4], [3, 0, 0], [1, 0, 0]]
    assert encode(docs, vocab, 3, "tail").tolist() == [[4, 2, 1], [3, 0, 0], [1, 0, 0]]
    assert encode(docs, vocab, 6).dtype == np.int64


def test_the_vocabulary_comes_from_the_training_rows_only(tmp_path):
    path = tmp_path / "d.tsv"
    rows = [f"word{i} common\t{'ab'[i % 2]}" for i in range(40)]
    path.write_text("\ufefftext\tlabel\n" + "\n".join(rows) + "\n")  # a BOM, tabs
    data = reviews.load(path, max_len=4, min_freq=1, train_fraction=0.75, seed=3)
    assert len(data.train) == 30 and len(data.val) == 10 and len(data.test) == 0
    seen = {f"word{i}" for i in data.train}
    assert set(data.vocab) == {"<pad>", "<unk>", "common", *seen}  # no val word leaks in
    assert (data.ids[data.val, 0] == 1).all() and (data.ids[data.train, 0] > 1).all()
    assert data.classes == ["a", "b"] and data.labels.tolist() == [i % 2 for i in range(40)]
    again = reviews.load(path, max_len=4, min_freq=1, train_fraction=0.75, seed=3)
    assert np.array_equal(again.ids, data.ids) and np.array_equal(again.val, data.val)


def test_columns_by_name_or_index_and_folders_without_train_test(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("stars,body,note\n5,fine film,x\n1,bad film,y\n10,\"ok, film\",x\n")
    texts = reviews.read(path, text_column="body", label_column="0")
    assert texts.texts == ["fine film", "bad film", "ok, film"]
    assert texts.classes == ["1", "5", "10"]  # numbers sort by value
    assert reviews.read(path).texts == ["5", "1", "10"]  # no text-like name: column 0
    path.write_text("label,Review\npos,nice\nneg,bad\n")  # the text last: the label before it
    texts = reviews.read(path)
    assert texts.texts == ["nice", "bad"] and texts.classes == ["neg", "pos"]
    flat = tmp_path / "flat"
    for label in ("b", "a", "c"):
        (flat / label).mkdir(parents=True)
        (flat / label / "1.txt").write_text(f"text of {label}")
    texts = reviews.read(flat)
    assert texts.classes == ["a", "b", "c"] and not texts.test.any()
    assert texts.texts[texts.labels.tolist().index(1)] == "text of b"


def _run(tmp_path, path, *sets):
    args = ["run", "lstm-sentiment", "--set", f"dataset={path}", "--out", str(tmp_path / "runs")]
    for s in sets:
        args += ["--set", s]
    return runner.invoke(app, args)


@pytest.mark.parametrize("name, content, sets, message", [
    ("missing.csv", None, (), "no such file or folder"),
    ("empty.csv", "", (), "the file is empty"),
    ("one.csv", "just some text\nmore text\n", (), "needs a header row"),
    ("blank.csv", ",label\nnice,pos\n", (), "column 0 has no name"),
    ("head.csv", "text,label\n", (), "a header but no data rows"),
    ("cols.csv", "text,label\nnice,pos\nbad,neg\n", ("text_column=body",),
     "no text column 'body' (columns: text, label)"),
    ("cols.tsv", "text\tlabel\nnice\tpos\nbad\tneg\n", ("label_column=stars",),
     "no label column 'stars' (columns: text, label)"),
    ("ragged.csv", "text,label\nnice,pos\nbad,neg,extra\n", (), "row 3 has 3 cells, expected 2"),
    ("latin1.csv", b"text,label\ncaf\xe9,pos\nbad,neg\n", (), "not UTF-8 text (byte 14)"),
    ("single.csv", "text,label\nnice,pos\ngood,pos\n", (),
     "the label column has a single class ('pos')"),
    ("nowords.csv", "text,label\n\" \",pos\n<br />,neg\n", (), "no words in any text"),
])
def test_malformed_files_are_one_line_errors_with_exit_2(tmp_path, name, content, sets, message):
    path = tmp_path / name
    write_input(path, content)
    result = _run(tmp_path, path, *sets)
    assert result.exit_code == 2
    out = result.output.strip()
    assert out.startswith(f"error: {path}: ") and message in out and "\n" not in out
    assert not (tmp_path / "runs").exists()  # nothing half-made


def test_malformed_folders_are_one_line_errors_with_exit_2(tmp_path):
    empty = tmp_path / "empty"
    (empty / "train" / "unsup").mkdir(parents=True)
    (empty / "train" / "unsup" / "1.txt").write_text("unlabelled")
    (empty / "readme.txt").write_text("not a class")
    result = _run(tmp_path, empty)
    assert result.exit_code == 2
    assert result.output.strip() == (f"error: {empty}: no class sub-folders of .txt files "
                                     f"(expected e.g. pos/ and neg/, optionally under train/ "
                                     f"and test/)")
    one = tmp_path / "one"
    (one / "pos").mkdir(parents=True)
    (one / "pos" / "1.txt").write_text("nice")
    result = _run(tmp_path, one)
    assert result.exit_code == 2 and "the folder has a single class ('pos')" in result.output
    bad = write_folder(tmp_path / "bad", n_train=3, n_test=1)
    (bad / "train" / "neg" / "9.txt").write_bytes(b"caf\xe9")
    result = _run(tmp_path, bad)
    assert result.exit_code == 2
    bad_file = bad / "train" / "neg" / "9.txt"
    assert result.output.strip() == f"error: {bad_file}: not UTF-8 text (byte 3)"
    (bad / "test" / "meh").mkdir()
    (bad / "test" / "meh" / "1.txt").write_text("so-so")
    (bad / "train" / "neg" / "9.txt").write_text("fine")
    result = _run(tmp_path, bad)
    assert result.exit_code == 2 and "class 'meh' is not in" in result.output
    assert not (tmp_path / "runs").exists()


def test_a_vocabulary_left_empty_by_min_freq_is_an_error(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,label\n" + "\n".join(f"w{i},{'ab'[i % 2]}" for i in range(10)) + "\n")
    with pytest.raises(ConfigError, match=r"d\.csv: no word of the training texts is kept"):
        reviews.load(path, max_len=8, min_freq=2)


def test_texts_cut_to_max_len_are_one_warning_on_stderr(tmp_path):
    """12 of 40 texts have 60 tokens, the rest 8: at max_len=20 (the default) the run says so
    once, counting every row, and texts that fit say nothing."""
    rng = np.random.default_rng(2)
    lines = ["text,label"]
    for i in range(40):
        label = ("pos", "neg")[i % 2]
        words = [*rng.choice(FILLER, 59 if i < 12 else 7), WORDS[label][0]]
        lines.append(f"{' '.join(words)},{label}")
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n")

    def warnings(*sets):
        result = runner.invoke(app, ["run", "lstm-sentiment", "--set", f"dataset={path}",
                                     *[a for s in sets for a in ("--set", s)], "--epochs",
                                     "1", "--out", str(tmp_path / "runs"), "--json"])
        assert result.exit_code == 0, result.output
        return [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings() == ["warning: 12 of 40 texts are longer than max_len=20 tokens (longest "
                          "60) and are cut to their first 20 (truncate=head); raise max_len "
                          "to read them whole"]
    assert warnings("truncate=tail")[0].startswith(
        "warning: 12 of 40 texts are longer than max_len=20 tokens (longest 60) and are cut "
        "to their last 20 (truncate=tail)")
    assert warnings("max_len=60") == []
