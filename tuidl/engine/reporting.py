"""What the engine says at a logged step and at the start of a run: the run_start event, the
step scalars with the lrs in use and the throughput, the gradient statistics (copied from the
device once per logged step), histograms, the diagnosis when it changes and the hardware
readings. A part of `Engine` (tuidl.engine.loop), kept apart so the loop itself stays one
screen of training, as `Steering` is.
"""
from __future__ import annotations

import math

import torch

from tuidl.engine.gradstats import layer_table
from tuidl.events import (DiagnosisEvent, GradStats, Histograms, RunStart, Scalars, System,
                          TimeGrads)


class Reporting:
    """Mixed into Engine: uses its task, spec, updater, diagnoser, sampler, step and emit."""

    def _emit(self, cls, **kw) -> None:
        self.emit(cls(step=self.step, epoch=self.epoch, **kw))

    def _run_start(self) -> None:
        several = len(self.task.models) > 1
        layers = [row for name, model in self.task.models.items()
                  for row in layer_table(model, f"{name}." if several else "")]
        self._emit(RunStart, preset=self.preset, family=self.task.family, config=self.config,
                   device=str(self.task.device), layers=layers,
                   total_params=sum(layer["params"] for layer in layers),
                   steps_per_epoch=self.task.steps_per_epoch,
                   total_steps=self.task.steps_per_epoch * self.epochs, run_dir=self.run_dir,
                   lesson=self.lesson, warnings=list(self.task.warnings))

    def _log(self, sums: dict[str, float], count: int, rate: float) -> bool:
        captured, probes = self.updater.captured, self.updater.probes
        probed = [name for name in probes if name in captured]
        flat = [captured[name] for name in probed]
        time_grads, self.time_grads = self.time_grads, None  # dL/dh_t of a recurrent model
        if time_grads is not None:
            flat.append(time_grads)
        host = [t.detach().cpu().tolist() for t in flat]  # statistics: computed on the device
        if time_grads is not None:
            self._emit(TimeGrads, norm=(through_time := host.pop()))
            self.diagnoser.through_time(through_time)
        values = {k: v / count for k, v in sums.items()}
        values.update(self._lrs())
        values[f"{self.task.unit}_per_s"] = rate
        self._emit(Scalars, values=values)
        reading = self.sampler.take() if self.sampler is not None else None
        if reading is not None:  # at most one a second, made in the sampler's thread
            self._emit(System, **reading)
        if host:
            stats = [row for name, block in zip(probed, host)
                     for row in probes[name].layers(block)]
            names = [n for name in probed for n in probes[name].names]
            norms = [s[0] for s in stats]
            self._emit(GradStats, layers=names, norm=norms, mean_abs=[s[1] for s in stats],
                       max_abs=[s[2] for s in stats], weight_norm=[s[3] for s in stats],
                       update_ratio=[s[4] for s in stats])
            progress = self.spec.loss_shows_progress
            self._diagnose(names, norms, values.get(self.spec.loss_key) if progress else None)
        if hists := self.updater.histograms:
            self._emit_histograms(hists)
        self.updater.captured, self.updater.histograms = {}, {}
        return all(math.isfinite(v) for v in values.values())

    def _emit_histograms(self, hists: dict[str, torch.Tensor]) -> None:
        """One Histograms event for every model's layers (one copy to the host)."""
        probes = self.updater.probes
        names = [n for name in hists for n in probes[name].names]
        both = torch.cat(list(hists.values()), dim=1).tolist()  # [2, layers, bins]
        self._emit(Histograms, layers=names, grad=both[0], weight=both[1])

    def _diagnose(self, names: list[str], norms: list[float], loss: float | None) -> None:
        """Fold a reading into the diagnosis; emit it when a layer's state changes."""
        if (d := self.diagnoser.changed(names, norms, loss)) is not None:
            self._emit(DiagnosisEvent, **d.as_dict())

    def _lrs(self) -> dict[str, float]:
        """Each optimizer's lr in use, under the key its family's spec names (lr, lr_g…)."""
        return {self.spec.lr_of(name): opt.param_groups[0]["lr"]
                for name, opt in self.task.optimizers.items()}
