"""Bad input anywhere: one `error:` line on stderr, exit code 2 (130 for an abort), no
traceback and no run directory left behind.

The table goes through the console-script entry point that pyproject's [project.scripts] names,
in-process; a few rows run it as a real subprocess too. Hypothesis fuzzes check that
`--set` values and preset files, whatever they hold, either load or raise a one-line
TuidlError.
"""
from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import warnings
import tomllib
from pathlib import Path

import pytest
import tomli_w
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli_tools import call_entry
from inputs import write_input
from tuidl.catalog import load_preset
from tuidl.config import TuidlError
from tuidl.runner import execute, prepare
from tuidl.specs import FAMILY_NAMES, get_family

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["tuidl"]
_module, _, _func = SCRIPT.partition(":")
ENTRY = getattr(importlib.import_module(_module), _func)

ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0  # root reads and writes anything
HAS_CUDA = "__import__('torch').cuda.is_available()"  # evaluated for its row only
DIR, CHMOD_000, CHMOD_555 = object(), object(), object()
SYNTAX = 'family = "mlp"\n[params]\nlr = 0.01\nepochs = \n'
FAMILIES = ", ".join(FAMILY_NAMES)


def row(argv, message, files=None, code=2, rundir=None, marks=(), setup=None, name=None):
    """argv; a substring of the message; files to write ({relative path: text, bytes, DIR,
    CHMOD_000 or CHMOD_555}); the exit code; a run directory to copy in and how to break it."""
    name = name or " ".join(argv)[:40] + (f" [{rundir}]" if rundir else "") + f": {message[:30]}"
    return pytest.param(argv, message, files or {}, code, rundir, setup, marks=marks, id=name)


def _raise_abort(monkeypatch):
    import tuidl.catalog

    def abort():
        raise typer.Abort()
    monkeypatch.setattr(tuidl.catalog, "list_presets", abort)


def _no_app(monkeypatch):  # were --out not checked, the test would open the app and wait
    def open_app(**kwargs):
        raise AssertionError("the app opened")
    monkeypatch.setattr("tuidl.cli._open_app", open_app)


def _deny_reading(monkeypatch):  # what chmod 000 does, for a root user too
    def read_text(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))
    monkeypatch.setattr(Path, "read_text", read_text)


def _deny_writing(monkeypatch):  # what a read-only folder does, for a root user too
    def mkdtemp(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("tempfile.mkdtemp", mkdtemp)


CASES = [
    # command line: arguments, options, their combinations
    row(["run"], "run needs a PRESET"),
    row(["run", "nosuch-preset"], "unknown preset 'nosuch-preset'; `tuidl list`"),
    row(["run", "mlp-spirl"], "(did you mean 'mlp-spiral'?)"),
    row(["run", "mlp", "--epochs", "abc"], "Invalid value for '--epochs'"),
    row(["run", "mlp", "--epochs", "0"], "epochs: 0 is out of range [1, 100000]"),
    row(["run", "mlp", "--seed", "-1"], "seed: -1 is out of range"),
    row(["run", "mlp", "--bogus-flag"], "No such option: --bogus-flag; see tuidl run --help"),
    row(["show"], "Missing argument 'preset'; see tuidl show --help"),
    row(["watch"], "see tuidl watch --help"),
    row(["compare", "mlp"], "Missing option '--vary'; see tuidl compare --help"),
    row(["bogus"], "No such command 'bogus'; see tuidl --help"),
    row(["run", "xor-mlp", "--resume", "rd"], "give a PRESET or --resume RUN_DIR, not both",
        rundir="as is"),
    row(["run", "--resume", "rd", "--seed", "3"], "--seed starts a new run", rundir="as is"),
    row(["compare", "mlp", "--vary", "lr"], "--vary expects key=value1,value2"),
    row(["compare", "mlp", "--vary", "lr=0.1", "--vary", "lr=0.2"], "--vary lr is given twice"),
    row(["compare", "mlp", "--vary", "lr=0.1,x"], "lr=x: lr: expected float, got 'x'"),
    row(["watch", "nowhere"], "nowhere: not a run directory (no events.jsonl)"),
    row(["run", "mlp", "--nproc", "0"], "--nproc 0: give a number of processes >= 1"),
    row(["run", "gan-ring", "--nproc", "2"], "the gan family trains on one process only"),
    row(["run", "word2vec", "--nproc", "2"], "the word2vec family trains on one process only"),
    row(["run", "word2vec", "--set", "by_window=true"],
        "by_window gives each window its own noise words: set share_negatives = 1"),
    row(["run", "perceptron-xor"], "the perceptron family trains on one process only",
        setup=lambda mp: [mp.setenv(k, v) for k, v in
                          (("WORLD_SIZE", "2"), ("RANK", "0"), ("LOCAL_RANK", "0"))],
        name="perceptron under torchrun"),
    row(["run", "mlp", "--nproc", "2"], "--nproc inside a distributed run",
        setup=lambda mp: mp.setenv("WORLD_SIZE", "2"), name="--nproc under torchrun"),
    row(["run", "mlp"], "RANK 3 is not within WORLD_SIZE 2",
        setup=lambda mp: [mp.setenv("WORLD_SIZE", "2"), mp.setenv("RANK", "3")],
        name="rank outside the world"),
    row(["list"], "error: aborted", code=130, setup=_raise_abort, name="abort at a prompt"),
    # --set: types, ranges, unknown keys, malformed items
    row(["run", "mlp", "--set", "lr=abc"], "lr: expected float, got 'abc'"),
    row(["run", "mlp", "--set", "lr=-1"], "lr: -1.0 is out of range (0, 100]"),
    row(["run", "mlp", "--set", "lr=nan"], "lr: expected a finite number, got nan"),
    row(["run", "mlp", "--set", "lr=1e999"], "lr: expected a finite number, got inf"),
    row(["run", "mlp", "--set", "lr=1\n2"], r"lr: expected float, got '1\n2'"),
    row(["run", "mlp", "--set", "epochs=1.5"], "epochs: expected int, got '1.5'"),
    row(["run", "mlp", "--set", "epochs=" + "9" * 30], "is out of range [1, 100000]"),
    row(["run", "mlp", "--set", "learning_rate=0.1"],
        "unknown hyperparameter 'learning_rate'; `tuidl show PRESET` lists them"),
    row(["run", "mlp", "--set", "optimzer=adam"], "(did you mean 'optimizer'?)"),
    row(["run", "mlp", "--set", "lr"], "--set expects key=value, got 'lr'"),
    row(["run", "mlp", "--set", "=5"], "--set expects key=value, got '=5'"),
    row(["run", "mlp", "--set", "activation=relux"], "(did you mean 'relu'?)"),
    row(["run", "mlp", "--set", "hidden=0,5"], "hidden: each value must be in 1..4096"),
    row(["run", "mlp", "--set", "standardize=maybe"], "standardize: expected true or false"),
    row(["run", "mlp", "--set", "dataset=no/such"], "dataset: no/such: no such file or folder"),
    # hints: a close name only where it is a likely typo; a key of another family says whose
    row(["run", "mlp", "--set", "dataset=mnst"], "(did you mean 'mnist'?)"),
    row(["run", "mlp", "--set", "dataset=cifar"], "(did you mean 'cifar10'?)"),
    row(["run", "lstm-sentiment", "--set", "dataset=mnist"], "dataset: 'mnist' is not one of "
        "generated, first_word, or a .csv / .tsv file or folder that exists"),
    row(["run", "mlp", "--set", "channels=8"], "unknown hyperparameter 'channels' (a setting "
        "of the cnn family, not of the mlp family; `tuidl show PRESET` lists its own)"),
    row(["run", "lstm-sentiment", "--set", "data_root=d"], "unknown hyperparameter 'data_root' "
        "(a setting of the mlp, cnn and gan families; the rnn family reads its data from "
        "dataset: generated | first_word | path.csv | path.tsv | folder/)"),
    row(["run", "word2vec", "--set", "dataset=a.txt"], "(a setting of the mlp, cnn and rnn "
        "families; the word2vec family reads its data from corpus: world | pydoc | file | "
        "folder/)"),
    # a corpus is read by its content, whatever its name
    row(["run", "word2vec", "--set", "corpus=c.cor"], "c.cor: not text: it has a NUL byte at "
        "byte 3 (a binary file?)", {"c.cor": b"\x1f\x8b\x08\x00 gzip, not text\n" * 9},
        name="a binary corpus"),
    row(["run", "word2vec", "--set", "corpus=/dev/zero"], "corpus: /dev/zero: not a regular file",
        marks=pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")),
    row(["run", "mlp", "--set", "dataset=missing.csv"], "missing.csv: no such file"),
    row(["run", "mlp", "--set", "dataset=long.csv"], "long.csv: row 2, column 'b': 'xxx",
        {"long.csv": "a,b,label\n1," + "x" * 200_000 + ",0\n" + "2,3,1\n" * 9},
        name="a CSV cell of 200,000 characters"),
    row(["run", "mlp", "--set", "dataset=ids.csv"], "ids.csv: the label column 'id': 500 "
        "different values in 500 rows, an identifier", {"ids.csv": "a,b,id\n" + "".join(
            f"{i % 7},{i % 5},{i}\n" for i in range(500))}, name="an ID as the label column"),
    row(["run", "mlp", "--set", "dataset=many.csv"], "1200 different values in 2400 rows",
        {"many.csv": "a,label\n" + "".join(f"{i},{i % 1200}\n" for i in range(2400))},
        name="more classes than a confusion matrix shows"),
    row(["run", "cnn-digits", "--set", "dataset=mnist"], "$TUIDL_DATA afile: a file, not a "
        "folder", {"afile": "x"}, setup=lambda mp: mp.setenv("TUIDL_DATA", "afile"),
        name="TUIDL_DATA naming a file"),
    row(["run", "mlp", "--set", "dataset=nan.csv"], "nan.csv: row 3 has no label ('NaN')",
        {"nan.csv": "a,label\n1,0\n2,NaN\n3,1\n"}, name="a NaN label"),
    row(["run", "mlp", "--set", "dataset=blank.csv"], "blank.csv: row 2 has no label ('')",
        {"blank.csv": "a,label\n1,\n2,0\n3,1\n"}, name="an empty label"),
    row(["run", "mlp", "--set", "dataset=huge.csv"], "huge.csv: row 2, column 'a': '1e39' is "
        "not a finite number of float32 range",
        {"huge.csv": "a,label\n1e39,0\n2,1\n3,0\n"}, name="a feature beyond float32"),
    row(["run", "mlp", "--set", "dataset=quote.csv"], "quote.csv: row 2 has 1 cells, expected 2",
        {"quote.csv": 'a,label\n"1,0\n'}, name="an unterminated quote"),
    row(["run", "mlp", "--set", "train_fraction=0.9", "--set", "test_fraction=0.3"],
        "train_fraction + test_fraction must be < 1"),
    # preset files
    row(["run", "p.toml"], "p.toml: invalid TOML: Invalid value (at line 4", {"p.toml": SYNTAX}),
    row(["run", "p.toml"], "unknown key 'foo'", {"p.toml": 'family = "mlp"\nfoo = 1\n'}),
    row(["run", "p.toml"], "p.toml: unknown hyperparameter 'learning_rate'",
        {"p.toml": 'family = "mlp"\n[params]\nlearning_rate = 0.1\n'}),
    row(["run", "p.toml"], "p.toml: lr: -1.0 is out of range",
        {"p.toml": 'family = "mlp"\n[params]\nlr = -1.0\n'}),
    row(["run", "p.toml"], "p.toml: lr: expected float, got 'fast'",
        {"p.toml": 'family = "mlp"\n[params]\nlr = "fast"\n'}),
    row(["run", "p.toml"], "p.toml: lr: expected a finite number",
        {"p.toml": 'family = "mlp"\n[params]\nlr = 1' + "0" * 400 + "\n"}),
    row(["run", "p.toml"], "p.toml: epochs: expected int, got inf",
        {"p.toml": 'family = "mlp"\n[params]\nepochs = 1e309\n'}),
    row(["run", "p.toml"], "invalid TOML: Cannot overwrite a value",
        {"p.toml": 'family = "mlp"\n[params]\nlr = 0.1\nlr = 0.2\n'}),
    row(["run", "p.toml"], "p.toml: [params] must be a table",
        {"p.toml": 'family = "mlp"\nparams = 5\n'}),
    row(["run", "p.toml"], "p.toml: not UTF-8 text", {"p.toml": b"\xff\xfe garbage"}),
    row(["show", "p.toml"], "p.toml: not UTF-8 text", {"p.toml": b'family = "ml\xe9"\n'}),
    row(["run", "p.toml"], "p.toml: is a directory, not a preset file", {"p.toml": DIR}),
    row(["run", "folder"], "folder: is a directory, not a preset file", {"folder": DIR}),
    row(["run", "rd"], "rd: is a run directory, not a preset; continue it with `tuidl run "
                       "--resume rd`", rundir="as is"),
    row(["run", "p.toml"], f"p.toml: missing 'family'; add a line like family = \"mlp\" "
                           f"(families: {FAMILIES})", {"p.toml": ""}),
    row(["run", "p.toml"], f"unknown family 'nosuch'; families: {FAMILIES}",
        {"p.toml": 'family = "nosuch"\n'}),
    row(["run", "missing.toml"], "preset file not found: missing.toml"),
    row(["run", "p.toml"], "p.toml: cannot read it (Permission denied)",
        {"p.toml": CHMOD_000}, marks=pytest.mark.skipif(ROOT_USER, reason="root reads it")),
    row(["show", "p.toml"], "p.toml: cannot read it (Permission denied); check its permissions",
        {"p.toml": 'family = "mlp"\n'}, setup=_deny_reading, name="unreadable preset"),
    # run directories to resume
    row(["run", "--resume", "nowhere"], "nowhere: not a run directory with a checkpoint to "
                                         "resume (no such directory)"),
    row(["run", "--resume", "folder"], "(it has no config.toml and checkpoint.pt)",
        {"folder": DIR}),
    row(["run", "--resume", "rd"], "rd: not a run directory with a checkpoint to resume (it "
                                   "has no checkpoint.pt)", rundir="no checkpoint"),
    row(["run", "--resume", "rd"], "(it has no config.toml)", rundir="no config"),
    row(["run", "--resume", "rd"], "rd/config.toml: invalid TOML", rundir="torn config"),
    row(["run", "--resume", "rd", "--set", "lr=abc"], "lr: expected float", rundir="as is"),
    row(["run", "--resume", "rd", "--epochs", "6"], "checkpoint.pt", rundir="garbage"),
    row(["run", "--resume", "rd", "--epochs", "6"], "checkpoint.pt", rundir="empty"),
    row(["run", "--resume", "rd", "--epochs", "6"], "checkpoint.pt", rundir="no keys"),
    row(["run", "--resume", "rd", "--epochs", "6"], "checkpoint.pt", rundir="other model"),
    # devices this machine lacks
    row(["run", "mlp", "--device", "cuda"], "CUDA is not available here; use --device cpu or "
        "auto", marks=pytest.mark.skipif(HAS_CUDA, reason="has CUDA")),
    row(["run", "mlp", "--device", "cuda:3"], "'cuda:3'"),
    row(["run", "mlp", "--device", "mps"], "MPS is not available here; use --device cpu or auto",
        marks=pytest.mark.skipif(sys.platform == "darwin", reason="may have MPS")),
    row(["run", "mlp", "--device", "tpu"], "device: 'tpu' is not valid"),
    # --out
    row(["run", "xor-mlp", "--out", "f"], "--out f: is not a directory", {"f": "x"}),
    row(["run", "xor-mlp", "--out", "f/sub"], "--out f/sub: is under f, which is not a "
                                               "directory", {"f": "x"}),
    row(["run", "xor-mlp", "--out", "/dev/null"], "--out /dev/null: is not a directory"),
    row(["run", "xor-mlp", "--out", "/proc/tuidl-out"], "cannot create folders in /proc",
        marks=pytest.mark.skipif(not os.path.isdir("/proc"), reason="no /proc")),
    row(["run", "xor-mlp", "--out", "ro/runs"], "--out ro/runs: cannot create folders in ro "
        "(Permission denied)", {"ro": CHMOD_555},
        marks=pytest.mark.skipif(ROOT_USER, reason="root writes anywhere")),
    row(["run", "xor-mlp", "--out", "ro"], "--out ro: cannot create folders in it (Permission "
        "denied); give a writable folder", {"ro": DIR}, setup=_deny_writing,
        name="read-only --out"),
    row(["run", "xor-mlp", "--out", ""], "--out '': not a usable folder name"),
    row(["compare", "xor-mlp", "--vary", "lr=0.1,0.2", "--out", "f"],
        "--out f: is not a directory", {"f": "x"}),
    row(["ui", "xor-mlp", "--out", "f"], "--out f: is not a directory", {"f": "x"},
        setup=_no_app),
]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """A finished xor-mlp run directory (one epoch) with its config.toml and checkpoint.pt."""
    summary = execute(prepare("xor-mlp", ["epochs=1"]),
                      out_root=str(tmp_path_factory.mktemp("runs")))
    return Path(summary.run_dir)


def _break_run_dir(rd: Path, how: str) -> None:
    config, checkpoint = rd / "config.toml", rd / "checkpoint.pt"
    if how == "no checkpoint":
        checkpoint.unlink()
    elif how == "no config":
        config.unlink()
    elif how == "torn config":  # cut inside a quoted string: a write that stopped half-way
        text = config.read_text()
        config.write_text(text[:text.index('"') + 3])
    elif how == "garbage":
        checkpoint.write_bytes(b"garbage\n")
    elif how == "empty":
        checkpoint.write_bytes(b"")
    elif how == "no keys":
        import torch
        torch.save({"hello": 1}, checkpoint)
    elif how == "other model":  # config.toml edited after the run: the weights no longer fit
        data = tomllib.loads(config.read_text())
        data["params"]["hidden"] = "5,5"
        config.write_text(tomli_w.dumps(data))


def _make_files(tmp_path: Path, files: dict) -> None:
    for name, content in files.items():
        path = tmp_path / name
        if content is DIR:
            path.mkdir()
        elif content is CHMOD_000:
            path.write_text('family = "mlp"\n')
            path.chmod(0)
        elif content is CHMOD_555:
            path.mkdir()
            path.chmod(0o555)
        else:
            write_input(path, content)


def _call_entry(argv, monkeypatch, capsys) -> tuple[int, str, str]:
    return call_entry(ENTRY, argv, monkeypatch, capsys)


@pytest.mark.parametrize("argv, message, files, code, rundir, setup", CASES)
def test_bad_input_is_one_error_line(argv, message, files, code, rundir, setup, tmp_path,
                                     monkeypatch, capsys, request):
    monkeypatch.chdir(tmp_path)
    _make_files(tmp_path, files)
    if rundir:
        shutil.copytree(request.getfixturevalue("trained_run"), tmp_path / "rd")
        _break_run_dir(tmp_path / "rd", rundir)
    if setup:
        setup(monkeypatch)
    if argv[0] in ("run", "compare") and "--out" not in argv:
        argv = [*argv, "--out", "out"]
    with warnings.catch_warnings(record=True) as warned:  # a warning prints beside the line
        warnings.simplefilter("always")
        exit_code, out, err = _call_entry(argv, monkeypatch, capsys)
    assert not warned, [f"{w.category.__name__}: {w.message}" for w in warned]
    lines = err.strip().splitlines()
    assert exit_code == code, err
    assert out == "" and len(lines) == 1, (out, err)
    assert lines[0].startswith("error: ") and message in lines[0], lines[0]
    assert "Traceback" not in err
    out_dir = tmp_path / "out"
    assert not out_dir.exists() or not list(out_dir.iterdir())  # no run directory made


def _script() -> list[str]:
    """The installed console script, or the same function through the interpreter."""
    exe = Path(sys.executable).with_name("tuidl")
    return [str(exe)] if exe.is_file() else [
        sys.executable, "-c", f"import sys; from {_module} import {_func}; sys.exit({_func}())"]


@pytest.mark.parametrize("argv, message", [
    (["run", "mlp", "--epochs", "abc"], "error: Invalid value for '--epochs'"),
    (["show", "bin.toml"], "error: bin.toml: not UTF-8 text (byte 0)"),
    (["run", "xor-mlp", "--resume", "elsewhere"], "error: give a PRESET or --resume RUN_DIR"),
    (["compare", "mlp"], "error: Missing option '--vary'; see tuidl compare --help"),
])
def test_console_script_prints_one_line(argv, message, tmp_path):
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe")
    result = subprocess.run([*_script(), *argv], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(message), result.stderr


@pytest.mark.parametrize("out", ["/dev/null", "f/sub"])
def test_bad_out_is_refused_before_torch_loads(out, tmp_path):
    (tmp_path / "f").write_text("x")
    code = (f"import sys; sys.argv = ['tuidl', 'run', 'xor-mlp', '--out', {out!r}]\n"
            f"from {_module} import {_func}\n"
            f"try:\n    {_func}()\nexcept SystemExit as e:\n"
            "    print(e.code, 'torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.split() == ["2", "False"], result.stderr
    assert result.stderr.startswith(f"error: --out {out}: ")


def test_help_and_list_still_exit_0(monkeypatch, capsys):
    for argv in (["--help"], ["list"], ["run", "--help"], ["--version"]):
        code, out, _ = _call_entry(argv, monkeypatch, capsys)
        assert code == 0 and out, argv


@pytest.mark.parametrize("argv", [
    ["run", "lstm-sentiment", "--set", "data_root=d"],  # 'dropout' shares half its letters
    ["run", "lstm-sentiment", "--set", "dataset=mnist"],  # as 'moons' does with 'mnist'
    ["run", "mlp", "--set", "dataset=minst.gz"],
    ["run", "mlp", "--set", "learning_rate=0.1"],
    ["run", "word2vec", "--set", "corpus=words"],  # not a typo of 'world'
])
def test_a_far_fetched_name_gets_no_suggestion(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = _call_entry([*argv, "--out", "out"], monkeypatch, capsys)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "did you mean" not in err, err


# --- fuzz: whatever --set and a preset file hold, it loads or is one line of TuidlError -----

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
PARAM_NAMES = sorted({p.name for f in FAMILY_NAMES for p in get_family(f).params})
NUMBERS = ["nan", "-inf", "inf", "1e999", "-1e-400", "9" * 5000, "1" + "0" * 400, "0x10",
           "1_000", " 7 ", "-0", "16,16", ",,,", "=", "", "true", "no", "1e3", "²"]
VALUES = st.one_of(st.text(max_size=30), st.sampled_from(NUMBERS),
                   st.integers().map(str), st.floats().map(repr))
KEYS = st.one_of(st.sampled_from(PARAM_NAMES), st.text(max_size=12))
SET_ITEMS = st.one_of(st.builds("{}={}".format, KEYS, VALUES), st.text(max_size=20))


def _one_line(error: TuidlError) -> None:
    message = str(error)
    assert message and len(message.splitlines()) == 1, repr(message)


@FUZZ
@given(items=st.lists(SET_ITEMS, max_size=4), epochs=st.none() | VALUES,
       device=st.none() | VALUES, preset=st.sampled_from(["mlp-spiral", "cnn-digits",
                                                          "lstm-sentiment", "word2vec"]))
def test_fuzz_set_values(items, epochs, device, preset):
    try:
        prep = prepare(preset, items, epochs=epochs, device=device)
    except TuidlError as e:
        _one_line(e)
    else:
        assert set(prep.config) == {p.name for p in prep.preset.spec.params}


SCALARS = st.one_of(st.booleans(), st.integers(), st.sampled_from([10**400, -10**400]),
                    st.floats(), st.text(max_size=12), st.datetimes(), st.dates())
TOML_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                           max_leaves=6)
PARAMS = st.dictionaries(KEYS, st.one_of(VALUES, TOML_VALUES), max_size=5)
ANY_DOCUMENT = st.fixed_dictionaries({}, optional={
    "family": st.one_of(st.sampled_from(FAMILY_NAMES), TOML_VALUES),
    "about": TOML_VALUES, "name": TOML_VALUES, "params": st.one_of(PARAMS, TOML_VALUES),
    "extra": TOML_VALUES})


def _family_document(family: str):
    """A document of this family whose [params] mostly names its real hyperparameters."""
    names = st.sampled_from([p.name for p in get_family(family).params])
    params = st.dictionaries(names, st.one_of(SCALARS, SCALARS, VALUES, TOML_VALUES),
                             min_size=1, max_size=3)
    return st.fixed_dictionaries({"family": st.just(family), "params": params},
                                 optional={"about": TOML_VALUES, "name": TOML_VALUES})


DOCUMENTS = st.one_of(ANY_DOCUMENT, st.sampled_from(FAMILY_NAMES).flatmap(_family_document),
                      st.sampled_from(FAMILY_NAMES).flatmap(_family_document))
FRAGMENTS = st.lists(st.sampled_from([
    'family = "mlp"\n', "[params]\n", "lr = ", "0.1", "epochs = 5\n", '"', "[", "]", "=",
    "\n", "hidden = [1, 2]\n", "x = {a = 1}\n", "# c\n", "'''", "1e309", "[[params]]\n"]),
    max_size=8).map("".join)


@pytest.fixture(scope="module")
def preset_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "fuzz.toml"


def _load(path: Path, content) -> None:
    write_input(path, content)
    try:
        preset = load_preset(str(path))
    except TuidlError as e:
        _one_line(e)
    else:
        preset.resolve()


@FUZZ
@given(content=st.one_of(st.text(max_size=200), st.binary(max_size=60), FRAGMENTS))
def test_fuzz_preset_text(content, preset_file):
    _load(preset_file, content)


@FUZZ
@given(document=DOCUMENTS)
def test_fuzz_preset_documents(document, preset_file):
    _load(preset_file, tomli_w.dumps(document))
