"""Diagnosis of gradient health from the per-layer gradient norms a run logs.

Torch-free and pure: the engine feeds it each logged reading (layer names and gradient L2
norms, every `log_every` steps, and for a recurrent model the norms of dL/dh_t through time)
and emits a `diagnosis` event when the verdict changes; `tuidl watch` can replay it over an old
run. The rules, applied per layer to the latest readings:

- **diverged**: a norm is NaN or infinite.
- **exploding**: a norm is at least `EXPLODE` (1e3), or at least 10 and 100x the median of the
  layer's last `WINDOW` readings (growing by orders of magnitude). Flagged at once, it clears
  after `SUSTAIN` calm readings in a row. With `grad_clip` set the raw gradients may still
  explode while every update is capped; the explanation says so.
- **vanishing**, relative: in each of the last `SUSTAIN` (3) readings the layer's norm is below
  `RELATIVE` (1e-2) times the largest norm among the layers of its model (the output layer of
  a sigmoid stack; the first/last ratio is the common case). No absolute floor: a network
  that has learned has small gradients everywhere together, and keeps its ratios. It stays
  flagged until the rule fails `SUSTAIN` readings in a row. A lookup table (an embedding) is
  held to `LOOKUP` (1e-3) instead: its gradient reaches only the rows its batch reads and
  moves only the rows the task needs; the LSTM that reads the 60-step memory task perfectly
  keeps its embedding at 7.5e-3 to 1.1e-2 of its head.
  Measured (the smallest layer over the largest, every reading after the first quarter of the
  run, seed 0): healthy runs never go below 2.8e-2 (mlp-spiral's 2-unit output layer; deep-relu
  4.2e-2, rnn-sentiment 4.9e-2, cnn-digits 1.4e-1, gan-ring 9.7e-2, word2vec 1.1e-1), while
  networks stuck at chance stay below 5.7e-3 (5 sigmoid layers of 256 on the digits, SGD lr 0.1:
  5.7e-4-9.8e-4 with init=xavier, 1.6e-3-3.2e-3 with he; 10 softsign layers 1.8e-3-5.7e-3;
  vanishing-sigmoid 1e-9). 1e-2 sits between the two, 3x from each side.
- **vanishing**, stuck: a network whose loss has not moved, the lowest of the last `WINDOW`
  readings still at least `STALLED` (0.95) times the first reading's, `STALL_AFTER` (10)
  readings or more into the run, is judged with the looser ratio `STUCK` (5e-2): a layer
  below it in `SUSTAIN` readings is vanishing. Ten tanh layers of 64 with PyTorch's default
  init on the digits stay at chance with ratios of 7e-3 to 4e-2, the range healthy networks
  reach too (2.8e-2 at least, but never with a loss that does not fall). Families whose loss
  is a game's (a GAN's) do not feed the loss in.
- **vanishing**, dead model: a whole model's gradients are below `DEAD` (1e-10) while another
  model of the run still learns (a GAN generator against a saturated discriminator).
- **vanishing through time** (recurrent models): in each of the last `SUSTAIN` readings of
  dL/dh_t, the first step's norm is below `THROUGH_TIME` (1e-4) times the largest step's: what
  the first input did never reaches the loss. Measured: a vanilla RNN on the 60-step memory task
  1e-16, an LSTM that learns it above 1e-2, vanilla RNN and LSTM on the 20-word sentences 3e-2
  and more.
- otherwise **healthy**.

The overall verdict is the worst layer state (diverged > exploding > vanishing > healthy), with
a one-line explanation naming the layers and figures and a remedy from the classic toolbox.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

EXPLODE, GROWTH, GROWTH_MIN = 1e3, 100.0, 10.0
RELATIVE, LOOKUP, DEAD, THROUGH_TIME = 1e-2, 1e-3, 1e-10, 1e-4
STUCK, STALLED, STALL_AFTER = 5e-2, 0.95, 10
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
    lookups: set[str] = field(default_factory=set)  # embedding layers: held to LOOKUP
    last: Diagnosis | None = None
    # through time: did the rule hold, per reading of dL/dh_t; is it flagged; the latest
    # (first step's norm / largest step's norm, the largest step (1-based), steps)
    time_low: deque = field(default_factory=lambda: deque(maxlen=SUSTAIN))
    time_vanishing: bool = False
    time_last: tuple[float, int, int] | None = None
    # the loss the family reads as progress: the first reading, the recent ones, how many
    losses: deque = field(default_factory=lambda: deque(maxlen=WINDOW))
    loss_first: float | None = None
    readings: int = 0

    def state_dict(self) -> dict:
        """The readings the rules look back on, as plain values (a checkpoint holds them)."""
        return {"history": {k: list(v) for k, v in self.history.items()},
                "low": {k: list(v) for k, v in self.low.items()},
                "vanishing": sorted(self.vanishing), "calm": dict(self.calm),
                "last": self.last.as_dict() if self.last is not None else None,
                "time_low": list(self.time_low), "time_vanishing": self.time_vanishing,
                "time_last": list(self.time_last) if self.time_last else None,
                "losses": list(self.losses), "loss_first": self.loss_first,
                "readings": self.readings}

    def load_state_dict(self, state: dict) -> None:
        self.history = {k: deque(map(float, v), maxlen=WINDOW)
                        for k, v in state["history"].items()}
        self.low = {k: deque(map(bool, v), maxlen=SUSTAIN) for k, v in state["low"].items()}
        self.vanishing = set(state["vanishing"])
        self.calm = {k: int(v) for k, v in state["calm"].items()}
        self.last = Diagnosis(**state["last"]) if state["last"] is not None else None
        self.time_low = deque(map(bool, state.get("time_low", ())), maxlen=SUSTAIN)
        self.time_vanishing = bool(state.get("time_vanishing", False))
        last = state.get("time_last")
        self.time_last = (float(last[0]), int(last[1]), int(last[2])) if last else None
        self.losses = deque(map(float, state.get("losses", ())), maxlen=WINDOW)
        first = state.get("loss_first", math.nan)  # a state from before: no stall rule
        self.loss_first = float(first) if first is not None else None
        self.readings = int(state.get("readings", 0))

    def through_time(self, norms: list[float]) -> None:
        """Fold a reading of dL/dh_t (t = 1 … T) of a recurrent model in; the next `update`
        says whether the gradient vanishes through time."""
        finite = [n for n in norms if math.isfinite(n)]
        if len(finite) < 2 or len(finite) != len(norms) or max(finite) <= 0:
            return
        top = max(range(len(norms)), key=norms.__getitem__)
        ratio = norms[0] / norms[top]
        self.time_last = (ratio, top + 1, len(norms))
        self.time_low.append(ratio < THROUGH_TIME)
        if len(self.time_low) == SUSTAIN and all(self.time_low):
            self.time_vanishing = True
        elif len(self.time_low) == SUSTAIN and not any(self.time_low):
            self.time_vanishing = False

    def stalled(self) -> bool:
        """The loss has not moved: STALL_AFTER readings in, still near the first one."""
        return (self.readings >= STALL_AFTER and len(self.losses) == WINDOW
                and self.loss_first is not None and self.loss_first > 0  # NaN: unknown
                and min(self.losses) >= STALLED * self.loss_first)

    def changed(self, layers: list[str], norms: list[float],
                loss: float | None = None) -> Diagnosis | None:
        """`update`, and the diagnosis only when a layer's state changed (what a run emits)."""
        previous = self.last
        d = self.update(layers, norms, loss)
        if previous is None or ((previous.verdict, previous.states, previous.layers)
                                != (d.verdict, d.states, d.layers)):
            return d
        return None

    def update(self, layers: list[str], norms: list[float],
               loss: float | None = None) -> Diagnosis:
        self.readings += 1
        if loss is not None and math.isfinite(loss):
            self.loss_first = loss if self.loss_first is None else self.loss_first
            self.losses.append(float(loss))
        for name, n in zip(layers, norms):
            self.history.setdefault(name, deque(maxlen=WINDOW)).append(float(n))
        groups: dict[str, list[int]] = {}
        for i, name in enumerate(layers):
            groups.setdefault(_model(name), []).append(i)
        states = ["healthy"] * len(layers)
        stalled = self.stalled()
        # per-model maxima over the sustained window, for the ratio and dead-model rules
        recent = {name: list(self.history[name])[-SUSTAIN:] for name in layers}
        dead = {g: all(max(recent[layers[i]]) < DEAD and len(recent[layers[i]]) >= SUSTAIN
                       for i in idx) for g, idx in groups.items()}
        alive_elsewhere = {g: any(not d for h, d in dead.items() if h != g) for g in groups}
        for g, idx in groups.items():
            for i in idx:
                states[i] = self._state(layers[i], [layers[j] for j in idx], recent,
                                        STUCK if stalled else RELATIVE)
                if states[i] == "healthy" and dead[g] and alive_elsewhere[g]:
                    states[i] = "vanishing"
        verdict = max(states, key=ORDER.index) if states else "healthy"
        explanation = self._explain(verdict, layers, states, norms, self.grad_clip)
        if verdict == "vanishing" and stalled:
            explanation += (f", and the loss has not moved ({self.loss_first:.3g} at the first "
                            f"reading, {self.losses[-1]:.3g} now)")
        if verdict == "diverged":
            explanation += self._grew(layers)
        if self.time_vanishing and self.time_last and ORDER.index(verdict) <= 1:
            ratio, top, steps = self.time_last
            text = (f"through time: dL/dh at step 1 is {ratio:.1e} of step {top}'s ({steps} "
                    f"steps), so the first inputs barely train the model")
            explanation = text if verdict == "healthy" else f"{explanation}; and {text}"
            verdict = "vanishing"
        diagnosis = Diagnosis(verdict, list(layers), states, explanation, self.remedy(verdict))
        self.last = diagnosis
        return diagnosis

    def remedy(self, verdict: str) -> str:
        if verdict == "exploding" and self.grad_clip:
            return "clipping already caps each step; lower the learning rate or the init scale"
        return self.remedies.get(verdict) or REMEDIES[verdict]

    def _state(self, name: str, group: list[str], recent: dict[str, list[float]],
               ratio: float) -> str:
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
        low.append(latest < (min(ratio, LOOKUP) if name in self.lookups else ratio) * top)
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
