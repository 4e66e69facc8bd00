"""A family declares itself: every consumer reads the family's spec, none keeps a list of
family names. A made-up family, known only through its spec module, is read right by each."""
from __future__ import annotations

import ast
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

import tuidl
import tuidl.specs as specs
from tuidl.config import TuidlError
from tuidl.events import EvalMetrics, RunStart, Scalars, TaskView
from tuidl.specs import Chart, Curve, Family, families, get_family
from tuidl.ui.state import RunState

ROOT = Path(tuidl.__file__).parent
FAMILY_OWNED = ("specs", "tasks", "models", "data")  # code that belongs to the families

TOY = Family(
    name="toy", about="a family only its spec knows", params=(), task="",
    losses=(Curve("hinge", "hinge"), Curve("aux", "aux")),
    loss_title="loss: hinge, aux",
    val_losses=(Curve("val_hinge", "val"),),
    main_metrics=("score", "backup"),
    metric_chart=Chart("score", (Curve("score", "score"), Curve("hits", "hit rate", per="n")),
                       ylim=(0.0, 1.0)),
    title_metrics=("score",),
    confusion=True, distributed=True,
    lr_keys=(("lr_a", "A"), ("lr_b", "B")),
    remedies={"vanishing": "feed the toy"},
)


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setattr(specs, "FAMILY_NAMES", (*specs.FAMILY_NAMES, "toy"))
    monkeypatch.setitem(sys.modules, "tuidl.specs.toy", SimpleNamespace(FAMILY=TOY))
    return TOY


def _state(*events) -> RunState:
    state = RunState()
    for e in (RunStart(family="toy", config={"epochs": 3}, steps_per_epoch=10), *events):
        state.apply(e)
    return state


EVENTS = (Scalars(step=10, values={"hinge": 0.5, "aux": 0.1, "lr_a": 0.1, "samples_per_s": 1}),
          EvalMetrics(step=10, epoch=1, metrics={"score": 0.75, "backup": 0.1, "hits": 3,
                                                  "n": 4, "val_hinge": 0.4}),
          TaskView(step=10, epoch=1, kind="generic", data={"a": 1}))


def test_the_app_state_and_charts_read_the_spec(toy):
    from tuidl.ui.widgets.charts import loss_curves, loss_title, metric_curves
    s = _state(*EVENTS)
    assert s.loss_key == "hinge" and s.main_metric == "score" and s.has_confusion
    assert loss_title(s) == "loss: hinge, aux"
    assert [c[0] for c in loss_curves(s)] == ["hinge", "aux", "val"]
    assert loss_curves(s)[2][1] == [10]  # the eval's loss at its step: epoch x steps/epoch
    title, curves, ylim = metric_curves(s)
    assert title == "score" and ylim == (0.0, 1.0)
    assert [(c[0], c[2]) for c in curves] == [("score", [0.75]), ("hit rate", [0.75])]
    assert s.metrics["lr_a"] == 0.1


def test_the_console_reports_the_spec_s_loss_and_main_metric(toy):
    from tuidl.sinks.console import ConsoleProgress
    console = Console(record=True, width=200)
    progress = ConsoleProgress(console, live=False)
    progress(RunStart(family="toy", config={"epochs": 3}, preset="p"))
    for e in EVENTS[:2]:
        progress(e)
    assert progress.loss == 0.5 and progress.metric == "score=0.75"


def test_comparisons_rank_by_the_spec_s_main_metric(toy):
    from tuidl.compare import primary_metric
    from tuidl.ui.screens.compare import CompareScreen
    assert primary_metric(toy, {"backup": 1.0, "score": 0.5}) == ("score", 0.5)
    assert primary_metric(toy, {"backup": 1.0}) == ("backup", 1.0)
    screen = CompareScreen([])
    screen.runs = [("a", None, _state(*EVENTS))]
    table = screen.table()
    assert [c.header for c in table.columns][5] == "score"


def test_distributed_training_and_remedies_follow_the_spec(toy):
    from tuidl.diagnose import Diagnoser
    from tuidl.engine.distributed import World, check_family
    check_family(toy, World(0, 2))  # declared distributed: no error
    with pytest.raises(TuidlError, match="the gan family trains on one process only.*"
                                         "covers mlp, cnn, rnn, toy"):
        check_family(get_family("gan"), World(0, 2))
    d = Diagnoser(remedies=toy.remedies)
    assert d.remedy("vanishing") == "feed the toy" and d.remedy("exploding")
    rnn = get_family("rnn")  # a gated cell that fails through time needs its gate opened
    assert "LSTM or GRU" in rnn.remedies_for({"cell": "rnn"})["vanishing"]
    assert rnn.remedies_for({"cell": "lstm"})["vanishing"].startswith("raise forget_bias")


def test_the_task_view_title_shows_the_spec_s_metrics(toy):
    from tuidl.ui.widgets.task_view import TaskViewWidget
    widget = TaskViewWidget()
    widget.update_state(_state(*EVENTS))
    assert widget.metrics == {"score": 0.75}


def test_the_engine_names_each_optimizer_s_lr_by_the_spec():
    gan = get_family("gan")
    assert [gan.lr_of(m) for m in ("G", "D")] == ["lr_g", "lr_d"]
    assert get_family("mlp").lr_of("model") == "lr"
    assert all(key in {p.name for p in f.params} for f in families() for key, _ in f.lr_keys)


def test_every_spec_declares_what_its_runs_report():
    for f in families():
        assert f.main_metrics and f.losses, f.name
        assert f.lesson_panel in specs.LESSON_PANELS, f.name
        assert f.load_task().family == f.name  # the task names its spec


def test_no_code_outside_the_families_names_a_family():
    names = set(specs.FAMILY_NAMES)
    for path in ROOT.rglob("*.py"):
        if path.relative_to(ROOT).parts[0] in FAMILY_OWNED:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in names:
                raise AssertionError(f"{path.relative_to(ROOT)}:{node.lineno} names the "
                                     f"{node.value!r} family; read its spec instead")
