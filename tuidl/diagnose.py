"""Diagnosis of gradient health from the per-layer gradient norms a run logs.

Torch-free and pure: the engine feeds it each logged reading (layer names and gradient L2
norms, every `log_every` steps) and emits a `diagnosis` event when the verdict changes; `tuidl
watch` can replay it over an old run. The rules, applied per layer to the latest readings:

- **diverged**: a norm is NaN or infinite.
- **exploding**: a norm is at least `EXPLODE` (1e3), or at least 10 and 100x the median of the
  layer's last `WINDOW` readings (growing by orders of magnitude).
- **vanishing**: in each of the last `SUSTAIN` readings, the norm is below `FLOOR` (1e-4) and
  below `RATIO` (1e-3) times the largest norm among the layers of the same model (the output
  layer, usually); the layer stays flagged until the rule fails `SUSTAIN` readings in a row. Or a whole model's gradients are below `DEAD` (1e-10) while another model of
  the run still learns (a GAN generator against a saturated discriminator).
  Flagged at once, it clears after `SUSTAIN` calm readings in a row. With `grad_clip` set the
  raw gradients may still explode while every update is capped; the explanation says so.
- otherwise **healthy**.

A trained network's gradients shrink everywhere together, so the ratio rule does not mistake
convergence for vanishing; a single bad reading is not enough to flag vanishing.

The overall verdict is the worst layer state (diverged > exploding > vanishing > healthy), with
a one-line explanation naming the layers and figures and a remedy from the classic toolbox.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

EXPLODE, GROWTH, GROWTH_MIN = 1e3, 100.0, 10.0
FLOOR, RATIO, DEAD = 1e-4, 1e-3, 1e-10
SUSTAIN, WINDOW = 3, 5
ORDER = ("healthy", "vanishing", "exploding", "diverged")

REMEDIES = {
    "healthy": "",
    "vanishing": "use ReLU-family activations with He init (Xavier for tanh), fewer layers or "
                 "normalisation",
    "exploding": "clip gradients (--set grad_clip=1), lower the learning rate, or a smaller "
                 "init scale (init=he or xavier)",
    "diverged": "lower the learning rate, clip gradients (grad_clip), normalise the inputs",
}


@dataclass
class Diagnosis:
    verdict: str
    layers: list[str]
    states: list[str]
    explanation: str
    remedy: str

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "layers": self.layers, "states": self.states,
                "explanation": self.explanation, "remedy": self.remedy}


def _model(name: str) -> str:
    """'G.fc1' -> 'G'; single-model runs have unprefixed names and one group ''."""
    head, dot, _ = name.partition(".")
    return head if dot and head[:1].isupper() else ""


@dataclass
class Diagnoser:
    history: dict[str, deque] = field(default_factory=dict)
    low: dict[str, deque] = field(default_factory=dict)  # did the vanishing rule hold, per reading
    vanishing: set[str] = field(default_factory=set)
    calm: dict[str, int] = field(default_factory=dict)  # exploding layers: calm readings since
    grad_clip: float = 0.0
    # the family's own remedies by verdict (its spec's `remedies`: an LSTM for an RNN, not ReLU)
    remedies: dict[str, str] = field(default_factory=dict)
    last: Diagnosis | None = None

    def state_dict(self) -> dict:
        """The readings the rules look back on, as plain values (a checkpoint holds them)."""
        return {"history": {k: list(v) for k, v in self.history.items()},
                "low": {k: list(v) for k, v in self.low.items()},
                "vanishing": sorted(self.vanishing), "calm": dict(self.calm),
                "last": self.last.as_dict() if self.last is not None else None}

    def load_state_dict(self, state: dict) -> None:
        self.history = {k: deque(map(float, v), maxlen=WINDOW)
                        for k, v in state["history"].items()}
        self.low = {k: deque(map(bool, v), maxlen=SUSTAIN) for k, v in state["low"].items()}
        self.vanishing = set(state["vanishing"])
        self.calm = {k: int(v) for k, v in state["calm"].items()}
        self.last = Diagnosis(**state["last"]) if state["last"] is not None else None

    def update(self, layers: list[str], norms: list[float]) -> Diagnosis:
        for name, n in zip(layers, norms):
            self.history.setdefault(name, deque(maxlen=WINDOW)).append(float(n))
        groups: dict[str, list[int]] = {}
        for i, name in enumerate(layers):
            groups.setdefault(_model(name), []).append(i)
        states = ["healthy"] * len(layers)
        # per-model maxima over the sustained window, for the ratio and dead-model rules
        recent = {name: list(self.history[name])[-SUSTAIN:] for name in layers}
        dead = {g: all(max(recent[layers[i]]) < DEAD and len(recent[layers[i]]) >= SUSTAIN
                       for i in idx) for g, idx in groups.items()}
        alive_elsewhere = {g: any(not d for h, d in dead.items() if h != g) for g in groups}
        for g, idx in groups.items():
            for i in idx:
                states[i] = self._state(layers[i], [layers[j] for j in idx], recent)
                if states[i] == "healthy" and dead[g] and alive_elsewhere[g]:
                    states[i] = "vanishing"
        verdict = max(states, key=ORDER.index) if states else "healthy"
        explanation = self._explain(verdict, layers, states, norms, self.grad_clip)
        if verdict == "diverged":
            explanation += self._grew(layers)
        diagnosis = Diagnosis(verdict, list(layers), states, explanation, self.remedy(verdict))
        self.last = diagnosis
        return diagnosis

    def remedy(self, verdict: str) -> str:
        if verdict == "exploding" and self.grad_clip:
            return "clipping already caps each step; lower the learning rate or the init scale"
        return self.remedies.get(verdict) or REMEDIES[verdict]

    def _state(self, name: str, group: list[str], recent: dict[str, list[float]]) -> str:
        hist = self.history[name]
        latest = hist[-1]
        if not math.isfinite(latest):
            return "diverged"
        # exploding: flagged at once (it may be the last reading before a NaN), cleared only
        # after SUSTAIN calm readings in a row
        if latest >= EXPLODE or (latest >= GROWTH_MIN
                                 and latest >= GROWTH * sorted(hist)[len(hist) // 2]):
            self.calm[name] = 0
            return "exploding"
        if name in self.calm:
            self.calm[name] += 1
            if self.calm[name] < SUSTAIN:
                return "exploding"
            del self.calm[name]
        # vanishing, with hysteresis: it takes SUSTAIN readings in a row to enter the state
        # and as many to leave it, so a layer near the threshold does not flicker
        top = max(recent[other][-1] for other in group)
        low = self.low.setdefault(name, deque(maxlen=SUSTAIN))
        low.append(latest < FLOOR and latest < RATIO * top)
        if len(low) == SUSTAIN and all(low):
            self.vanishing.add(name)
        elif len(low) == SUSTAIN and not any(low):
            self.vanishing.discard(name)
        return "vanishing" if name in self.vanishing else "healthy"

    def _grew(self, layers: list[str]) -> str:
        """A diverged run's largest finite reading, when it was an explosion: the growth
        before the NaN is the lesson of an exploding network."""
        peak, where = max(((v, name) for name in layers for v in self.history.get(name, ())
                           if math.isfinite(v)), default=(0.0, ""))
        if peak < EXPLODE:
            return ""
        return f", after exploding to {peak:.1e} at {where}"

    @staticmethod
    def _explain(verdict: str, layers: list[str], states: list[str], norms: list[float],
                 clip: float = 0.0) -> str:
        if verdict == "healthy":
            return "gradient norms are within a few orders of magnitude across layers"
        hit = [i for i, s in enumerate(states) if s == verdict]
        names = ", ".join(layers[i] for i in hit[:4]) + (" …" if len(hit) > 4 else "")
        if verdict == "diverged":
            return f"non-finite gradients in {names}: the run has diverged"
        if verdict == "exploding":
            worst = max(hit, key=lambda i: norms[i])
            text = (f"gradients exploding in {names}: {layers[worst]} has norm "
                    f"{norms[worst]:.1e} (healthy layers stay far below {EXPLODE:.0e} and do "
                    f"not jump {GROWTH:.0f}x above their recent median)")
            if clip:
                text += f"; grad_clip={clip:g} caps each update, so the run stays finite"
            return text
        top = max(range(len(norms)), key=lambda i: norms[i])
        low = min(hit, key=lambda i: norms[i])
        return (f"gradients vanishing in {names}: {layers[low]} gets {norms[low]:.1e} against "
                f"{norms[top]:.1e} at {layers[top]}, so those layers barely learn")
