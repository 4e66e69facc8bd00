"""TensorBoard files (tuidl.tensorboard), read back with TensorBoard's own readers: a live
run's scalars, histograms and hparams; an old run directory converted by `tuidl export
tensorboard`; one `error:` line for bad input; a failing writer that training outlives."""
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("tensorboard")
pytest.importorskip("tensorboardX")

from cli_tools import call_entry  # noqa: E402

from tuidl import tensorboard as tb  # noqa: E402
from tuidl.cli import main  # noqa: E402
from tuidl.events import HIST_BINS  # noqa: E402
from tuidl.runner import execute, prepare, resume_prepared  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


def _events(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def _accumulator(folder: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0,
                                                       "tensors": 0})
    acc.Reload()
    return acc


def _same(a: float, b: float) -> bool:
    """A float32 (what TensorBoard keeps) against the float64 of events.jsonl."""
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-6, abs=1e-30)


def _check_scalars(acc, events: list[dict]) -> None:
    """Every Scalars, EvalMetrics and GradStats figure is there, at its step."""
    expected: dict[str, list[tuple[int, float]]] = {}
    for e in events:
        pairs = []
        if e["type"] == "scalars":
            pairs = [(f"train/{k}", v) for k, v in e["values"].items()]
        elif e["type"] == "eval":
            pairs = [(f"eval/{k}", v) for k, v in e["metrics"].items()
                     if not isinstance(v, dict)]
            pairs += [(f"eval/{k}_{c}", x) for k, v in e["metrics"].items()
                      if isinstance(v, dict) for c, x in v.items() if x is not None]
        elif e["type"] == "grad_stats":
            pairs = [(f"grad_norm/{n}", v) for n, v in zip(e["layers"], e["norm"])]
        for tag, value in pairs:
            expected.setdefault(tag, []).append((e["step"], value))
    assert expected and set(expected) <= set(acc.Tags()["scalars"])
    for tag, points in expected.items():
        got = [(s.step, s.value) for s in acc.Scalars(tag)]
        assert [s for s, _ in got] == [s for s, _ in points], tag
        assert all(_same(a, b) for (_, a), (_, b) in zip(got, points)), tag


def _session_groups(logdir: Path):
    """What TensorBoard's HParams dashboard lists, through its own plugin."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider
    from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import (api_pb2, get_experiment, hparams_plugin,
                                             list_session_groups)
    mux = pem.EventMultiplexer()
    mux.AddRunsFromDirectory(str(logdir))
    mux.Reload()
    plugin = hparams_plugin.HParamsPlugin(base_plugin.TBContext(
        logdir=str(logdir), multiplexer=mux,
        data_provider=data_provider.MultiplexerDataProvider(mux, str(logdir))))
    experiment = get_experiment.Handler(context.RequestContext(), plugin._context, "",
                                        api_pb2.GetExperimentRequest(include_metrics=True)
                                        ).run()
    request = api_pb2.ListSessionGroupsRequest(
        start_index=0, slice_size=100, include_metrics=True,
        allowed_statuses=[api_pb2.STATUS_UNKNOWN, api_pb2.STATUS_SUCCESS,
                          api_pb2.STATUS_FAILURE, api_pb2.STATUS_RUNNING],
        col_params=[api_pb2.ColParams(metric=m.name) for m in experiment.metric_infos]
        + [api_pb2.ColParams(hparam=h.name) for h in experiment.hparam_infos])
    return list_session_groups.Handler(context.RequestContext(), plugin._context, "",
                                       request).run().session_groups


def _hparam(value):
    kind = value.WhichOneof("kind")
    return getattr(value, kind)


@pytest.fixture(scope="module")
def live_run(tmp_path_factory):
    """xor-mlp trained with TensorBoard files written as it goes (the `train` fixture's
    flags become config overrides, so execute is called directly)."""
    summary = execute(prepare("xor-mlp", ["epochs=3"]),
                      out_root=str(tmp_path_factory.mktemp("runs")), tensorboard=True)
    run_dir = Path(summary.run_dir)
    return summary, run_dir, _events(run_dir)


def test_a_live_run_writes_its_scalars(live_run):
    summary, run_dir, events = live_run
    assert summary.status == "completed"
    files = list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    assert len(files) == 1
    acc = _accumulator(run_dir / "tensorboard")
    _check_scalars(acc, events)
    final = {s.step: s.value for s in acc.Scalars("final/val_accuracy")}
    assert final == {summary.steps: pytest.approx(summary.metrics["val_accuracy"])}


def test_a_live_run_writes_histograms_of_every_layer(live_run):
    _, run_dir, events = live_run
    params = {layer["name"]: layer["params"]
              for layer in next(e for e in events if e["type"] == "run_start")["layers"]}
    logged = [e for e in events if e["type"] == "histograms"]
    assert logged, "the engine logs histograms"
    acc = _accumulator(run_dir / "tensorboard")
    for kind in ("grad", "weight"):
        for layer, count in params.items():
            hists = acc.Histograms(f"{kind}_hist/{layer}")
            assert [h.step for h in hists] == [e["step"] for e in logged]
            for h, e in zip(hists, logged):
                value = h.histogram_value
                assert value.num == count and sum(value.bucket) == count
                assert list(value.bucket) == e[kind][e["layers"].index(layer)]
                limits = list(value.bucket_limit)
                assert all(map(math.isfinite, limits)) and limits == sorted(set(limits))
                assert value.min < value.max
    # the histogram dashboard's own reading (it replaces the outer edges by min and max)
    from tensorboard import data_compat
    from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary
    h = acc.Histograms(f"weight_hist/{next(iter(params))}")[-1].histogram_value
    proto = HistogramProto(min=h.min, max=h.max, num=h.num, sum=h.sum,
                           sum_squares=h.sum_squares, bucket_limit=h.bucket_limit,
                           bucket=h.bucket)
    migrated = data_compat.migrate_value(Summary.Value(tag="w", histo=proto))
    from tensorboard.util import tensor_util
    buckets = tensor_util.make_ndarray(migrated.tensor)
    assert (buckets[:, 0] <= buckets[:, 1]).all() and buckets[:, 2].sum() == h.num


def test_a_live_run_writes_its_hparams_and_final_metrics(live_run):
    summary, run_dir, events = live_run
    config = next(e for e in events if e["type"] == "run_start")["config"]
    from tensorboard.plugins.hparams import metadata
    content = _accumulator(run_dir / "tensorboard").PluginTagToContent("hparams")
    start = metadata.parse_session_start_info_plugin_data(
        content["_hparams_/session_start_info"])
    assert {k for k, v in config.items() if isinstance(v, (str, int, float))} == \
        set(start.hparams)
    groups = _session_groups(run_dir)
    assert len(groups) == 1
    hparams = {k: _hparam(v) for k, v in groups[0].hparams.items()}
    assert hparams["lr"] == config["lr"] and hparams["optimizer"] == config["optimizer"]
    assert hparams["diagnostics"] is config["diagnostics"]
    metrics = {m.name.tag: m.value for m in groups[0].metric_values}
    assert metrics["final/val_accuracy"] == pytest.approx(summary.metrics["val_accuracy"])
    assert metrics["final/train_loss"] == pytest.approx(summary.metrics["train_loss"])
    from tensorboard.plugins.hparams import api_pb2
    assert [s.status for s in groups[0].sessions] == [api_pb2.STATUS_SUCCESS]


def test_a_resumed_run_goes_on_in_the_same_folder(tmp_path):
    first = execute(prepare("xor-mlp", ["epochs=2"]), out_root=str(tmp_path),
                    tensorboard=True)
    execute(resume_prepared(first.run_dir, ["epochs=3"]), run_dir=first.run_dir,
            tensorboard=True)
    run_dir = Path(first.run_dir)
    assert len(list((run_dir / "tensorboard").glob("*tfevents*"))) == 2
    _check_scalars(_accumulator(run_dir / "tensorboard"), _events(run_dir))


def test_a_resume_undoes_what_a_killed_run_wrote_past_its_checkpoint(tmp_path):
    from tuidl.events import RunStart, Scalars
    killed = tb.Converter(tmp_path)
    killed(RunStart(step=0))
    for step in (10, 20, 30):
        killed(Scalars(step=step, values={"loss": float(step)}))
    killed.close()
    resumed = tb.Converter(tmp_path)  # from the checkpoint at step 20
    resumed(RunStart(step=20))
    resumed(Scalars(step=30, values={"loss": 3.0}))
    resumed.close()
    got = [(s.step, s.value) for s in _accumulator(tmp_path).Scalars("train/loss")]
    assert got == [(10, 10.0), (20, 20.0), (30, 3.0)]


@pytest.mark.parametrize("fixture", ["digits", "diverged", "gan", "histograms"])
def test_export_converts_an_old_run_directory(fixture, tmp_path, monkeypatch, capsys):
    run_dir = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, run_dir)
    events = _events(run_dir)
    for _ in range(2):  # a second export replaces the first
        code, out, err = call_entry(main, ["export", "tensorboard", str(run_dir)],
                                    monkeypatch, capsys)
        assert code == 0, err
        assert out.startswith(f"{run_dir}: wrote tensorboard/events.out.tfevents.")
        assert "tensorboard --logdir" in out and not err
    assert len(list((run_dir / "tensorboard").iterdir())) == 1
    assert [p.name for p in run_dir.iterdir() if p.name.startswith(".tensorboard")] == []
    acc = _accumulator(run_dir / "tensorboard")
    _check_scalars(acc, events)
    logged = [e for e in events if e["type"] == "histograms"]  # none in older runs
    for e in logged:
        for i, layer in enumerate(e["layers"]):
            at = {h.step: h.histogram_value for h in acc.Histograms(f"grad_hist/{layer}")}
            assert list(at[e["step"]].bucket) == e["grad"][i]
    assert bool(logged) == bool(acc.Tags()["histograms"])
    summary = next(e for e in events if e["type"] == "summary")
    groups = _session_groups(tmp_path)
    assert len(groups) == 1
    config = next(e for e in events if e["type"] == "run_start")["config"]
    assert set(groups[0].hparams) == {k for k, v in config.items()
                                      if isinstance(v, (str, int, float))}
    metrics = {m.name.tag: m.value for m in groups[0].metric_values}
    for key, value in summary["metrics"].items():
        if isinstance(value, (int, float)) and math.isfinite(value):
            assert metrics[f"final/{key}"] == pytest.approx(value), key


def _one_error_line(code: int, out: str, err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert code == 2 and not out and len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and all(w in lines[0] for w in words), err


@pytest.mark.parametrize("argv, words", [
    (["export", "tensorboard", "{tmp}/missing"], ["no such directory"]),
    (["export", "tensorboard", "{tmp}/file"], ["a file, not a directory"]),
    (["export", "tensorboard", "{tmp}"], ["no events.jsonl"]),
    (["export", "tensorboard"], ["needs a run directory"]),
    (["export", "tensorbored", "{tmp}"], ["unknown export kind 'tensorbored'"]),
    (["export", "\x1b[31m", "{tmp}"], ["unknown export kind", "\\x1b"]),
    (["export"], ["needs a run directory"]),
])
def test_bad_input_is_one_error_line(argv, words, tmp_path, monkeypatch, capsys):
    (tmp_path / "file").write_text("not a run")
    argv = [a.format(tmp=tmp_path) for a in argv]
    _one_error_line(*call_entry(main, argv, monkeypatch, capsys), *words)
    assert not (tmp_path / "tensorboard").exists()


def test_a_run_directory_with_a_link_is_refused(tmp_path, monkeypatch, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(FIXTURES / "perceptron", run_dir)
    (tmp_path / "elsewhere").mkdir()
    (run_dir / "tensorboard").symlink_to(tmp_path / "elsewhere")
    code, out, err = call_entry(main, ["export", "tensorboard", str(run_dir)], monkeypatch,
                                capsys)
    _one_error_line(code, out, err, "symbolic links")
    assert not list((tmp_path / "elsewhere").iterdir())


def test_without_tensorboardx_one_line_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tb, "find_spec", lambda name: None)
    run_dir = tmp_path / "run"
    shutil.copytree(FIXTURES / "perceptron", run_dir)
    for argv in (["export", "tensorboard", str(run_dir)],
                 ["run", "xor-mlp", "--tensorboard", "--out", str(tmp_path / "runs")]):
        _one_error_line(*call_entry(main, argv, monkeypatch, capsys),
                        "pip install 'tuidl[tensorboard]'")
    assert not (run_dir / "tensorboard").exists() and not (tmp_path / "runs").exists()


def test_a_failing_writer_is_said_once_and_training_goes_on(tmp_path, monkeypatch, capsys):
    calls = []

    def full(self):
        calls.append(1)
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(tb.Converter, "flush", full)
    summary = execute(prepare("xor-mlp", ["epochs=2"]), out_root=str(tmp_path),
                      tensorboard=True)
    assert summary.status == "completed" and len(calls) == 1
    warnings = capsys.readouterr().err.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("warning: TensorBoard files in ")
    assert "No space left on device" in warnings[0] and "goes on" in warnings[0]


def test_a_sink_that_cannot_start_stays_quiet(tmp_path):
    said = []
    (tmp_path / "tensorboard").write_text("a file in the way")
    sink = tb.TensorBoardSink(tmp_path / "tensorboard", said.append)
    from tuidl.events import Scalars
    sink(Scalars(step=1, values={"loss": 1.0}))
    sink.close()
    assert len(said) == 1 and "TensorBoard files in" in said[0]


def test_histogram_edges_are_finite_and_estimates_come_from_the_bins():
    edges = tb.EDGES
    assert len(edges) == HIST_BINS + 1 and all(map(math.isfinite, edges))
    assert edges == sorted(set(edges)) and edges[0] == -1e3 and edges[-1] == 1e3
    counts = [0] * HIST_BINS
    middle = HIST_BINS // 2
    counts[middle] = 3  # exactly 0
    counts[middle + 1 + 10] = 2  # 0.1 <= v < 1: taken at sqrt(0.1)
    fields = tb.histogram_fields(counts)
    assert fields["num"] == 5 and fields["min"] == -1e-11 and fields["max"] == 1.0
    assert fields["sum"] == pytest.approx(2 * math.sqrt(0.1))
    assert fields["sum_squares"] == pytest.approx(2 * 0.1)
    assert tb.histogram_fields([0] * HIST_BINS) is None
    assert tb.histogram_fields([1] * 3) is None


def test_names_from_files_become_safe_bounded_tags():
    tags = tb.Tags()
    hostile = tags("grad_norm", "fc\x1b[2J/\u202eevil\n" * 40)
    assert hostile.startswith("grad_norm/") and hostile.count("/") == 1
    assert hostile.isprintable() and len(hostile) <= len("grad_norm/") + tb.MAX_PART
    assert tags("eval", "a b") == "eval/a_b" and tags("eval", "a_b") == "eval/a_b_2"
    assert tags("eval", "a b") == "eval/a_b"  # the same name, the same tag
    assert tags("eval", "") == "eval/_"


def test_help_imports_neither_torch_nor_tensorboardx():
    for argv in (["--help"], ["export", "--help"], ["run", "--help"]):
        code = (f"import sys; sys.argv=['tuidl', *{argv!r}]\nfrom tuidl.cli import main\n"
                "try:\n    main()\nexcept SystemExit:\n    pass\n"
                "print(' '.join(sys.modules), file=sys.stderr)")  # stdout: the help
        mods = set(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                  text=True, check=True).stderr.split())
        assert "tuidl.cli" in mods
        assert not {"torch", "tensorboardX", "tensorboard"} & mods, argv
