"""A run's figures, read back from its run directory, and a lesson's verdict over them.

Torch-free: the headless lesson and the app's lesson screen both call `figures_of(run_dir)`
once the runs end, so they judge alike. The figures a lesson may name (`variant.figure`):

    every numeric metric of the summary   val_accuracy, test_accuracy, modes, precision_at_5 …
    status, gradients                     "completed" / "diverged"; the last diagnosis's verdict
    diverged                              1 when the run went NaN/inf, else 0
    seconds, steps, epochs, params        wall time, optimizer steps, epochs, parameter count
    loss, loss_start                      the last and the first logged training loss
    best_val_loss                         the lowest validation loss of any eval
    first_grad                            the first layer's share of the largest layer's
                                          gradient norm, the median of the last third of the
                                          readings (a vanishing stack: ~1e-9; healthy: ~0.1-1)
    peak_grad                             the largest finite layer gradient norm of the run
    memory                                dL/dh at the first time step over the last's
                                          (recurrent runs, the last reading)
    min_recall                            the lowest per-class validation recall
"""
from __future__ import annotations

import ast
import math
import operator
import statistics
from pathlib import Path
from typing import Any

from tuidl.lesson import REF, Lesson, check_expression
from tuidl.rundir import EVENTS

Figures = dict[str, Any]


def figures_of(run_dir: str | Path) -> Figures:
    """The figures of one run (what is missing, e.g. before its summary, is left out)."""
    from tuidl.events import (DiagnosisEvent, EvalMetrics, GradStats, RunStart, Scalars,
                              Summary, TimeGrads)
    from tuidl.sinks.jsonl import read_events
    path = Path(run_dir) / EVENTS
    out: Figures = {}
    ratios, peak, losses, val_losses, memory = [], 0.0, [], [], None
    loss_key, summary, metrics = "loss", None, {}
    if not path.is_file():
        return out
    for e in read_events(path):
        if isinstance(e, RunStart):
            out["params"] = e.total_params
            loss_key = _loss_key(e.family)
        elif isinstance(e, Scalars) and _finite(e.values.get(loss_key)):
            losses.append(e.values[loss_key])
        elif isinstance(e, GradStats) and e.norm:
            finite = [n for n in e.norm if _finite(n)]
            if len(finite) == len(e.norm) and max(finite) > 0:
                ratios.append(finite[0] / max(finite))
            peak = max([peak, *finite])
        elif isinstance(e, TimeGrads) and len(e.norm) > 1 and _finite(e.norm[-1]) and e.norm[-1]:
            memory = e.norm[0] / e.norm[-1]
        elif isinstance(e, EvalMetrics):
            metrics = e.metrics
            if _finite(e.metrics.get("val_loss")):
                val_losses.append(e.metrics["val_loss"])
        elif isinstance(e, DiagnosisEvent):
            out["gradients"] = e.verdict
        elif isinstance(e, Summary):
            summary = e
    if summary is not None:
        metrics = summary.metrics
        out.update(status=summary.status, steps=summary.steps, epochs=summary.epochs,
                   seconds=summary.seconds)
        if summary.diagnosis:
            out["gradients"] = summary.diagnosis.get("verdict", out.get("gradients", ""))
    out.setdefault("gradients", "")
    out["diverged"] = int(out.get("status") == "diverged")
    for key, value in metrics.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = value
        elif key == "val_recall" and isinstance(value, dict) and value:
            out["min_recall"] = min(v for v in value.values() if isinstance(v, (int, float)))
    if losses:
        out.update(loss=losses[-1], loss_start=losses[0])
    if val_losses:
        out["best_val_loss"] = min(val_losses)
    if ratios:
        out["first_grad"] = statistics.median(ratios[-max(1, len(ratios) // 3):])
    if peak:
        out["peak_grad"] = peak
    if memory is not None:
        out["memory"] = memory
    return out


def _loss_key(family: str) -> str:
    from tuidl.specs import spec_of
    spec = spec_of(family)
    return spec.loss_key if spec.losses else "loss"


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


class Unknown(Exception):
    """A figure the verdict names is not among a run's figures."""


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Eq: operator.eq, ast.NotEq: operator.ne,
        ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}
_CALLS = {"min": min, "max": max, "abs": abs}


def evaluate(lesson: Lesson, figures: dict[str, Figures]) -> bool:
    """Whether the lesson's figure holds over the variants' figures; Unknown when one it
    names is missing (a run that failed to start, or stopped before an eval)."""
    tree = check_expression(lesson.holds, list(figures), f"lesson {lesson.name}")
    return bool(_eval(tree.body, figures))


def _eval(node: ast.AST, figures: dict[str, Figures]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Attribute):
        run = figures[node.value.id]
        if node.attr not in run:
            raise Unknown(f"{node.value.id}.{node.attr}")
        return run[node.attr]
    if isinstance(node, ast.BoolOp):
        values = (_eval(v, figures) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, figures)
        return (not value) if isinstance(node.op, ast.Not) else -value
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, figures), _eval(node.right, figures)
        if isinstance(node.op, ast.Div) and right == 0:
            return math.inf if left else math.nan
        return _OPS[type(node.op)](left, right)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, figures)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, figures)
            if not _OPS[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Call):
        return _CALLS[node.func.id](*(_eval(a, figures) for a in node.args))
    raise Unknown(type(node).__name__)  # check_expression lets nothing else through


def figure_line(lesson: Lesson, figures: dict[str, Figures]) -> str:
    """The lesson's figure line with the runs' figures in it ("?" for one missing)."""
    def one(match) -> str:
        value = figures.get(match[1], {}).get(match[2])
        if value is None:
            return "?"
        try:
            return format(value, match[3] or "")
        except (ValueError, TypeError):
            return str(value)
    return REF.sub(one, lesson.figure)


def verdict(lesson: Lesson, figures: dict[str, Figures]) -> tuple[bool | None, str]:
    """(holds, the verdict line): None where a named figure is missing."""
    line = figure_line(lesson, figures)
    try:
        holds = evaluate(lesson, figures)
    except Unknown as e:
        return None, f"cannot tell ({e} is missing): {line}"
    except (TypeError, ZeroDivisionError, OverflowError) as e:
        return None, f"cannot tell ({e}): {line}"
    return holds, ("holds: " if holds else "does not hold: ") + line
