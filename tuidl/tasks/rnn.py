"""rnn family: sentiment of generated sentences, or labelled text from a CSV/TSV file or a
review folder, with a recurrent net or a bag of words.

The data (tuidl.data.sentiment, .memory or .reviews) is a padded id tensor [N, max_len] on the
device; the shared ClassifierTask trains and scores it. File data is split by
`tuidl.data.reviews` (its vocabulary from the training rows only); a folder's test/ is the
test split, scored once at the end. Task view "sentences": a few validation sentences with
their true label, the predicted label and P(positive) (with more than two classes: the
predicted class's probability, `p_pred`), so one can watch the model learn to read "not" and
"but".

Every `time_grads_every` steps (on a logged step) a single forward recurrent layer is run one
time step at a time so that the gradient reaching each hidden state h_t can be measured
(`time_grads`, the engine emits it as a `time_grads` event): backpropagation through time made
visible. With dataset=first_word the
label is the first word of a long sequence; a vanilla RNN's dL/dh_t fades towards the start and
it stays at chance, an LSTM carries it.
"""
from __future__ import annotations

import torch

from tuidl.data import memory, reviews, sentiment
from tuidl.data.sentiment import decode
from tuidl.data.split import Split, split
from tuidl.engine.optim import init_weights
from tuidl.models.rnn import build_sequence_model
from tuidl.tasks.classify import ClassifierTask

N_EXAMPLES = 8
VIEW_WORDS = 80  # longest text shown in the view (file data): the end kept for truncate=tail
GENERATED = ("generated", "first_word")


class RNNTask(ClassifierTask):
    family = "rnn"

    def __init__(self, config, device):
        super().__init__(config, device)
        c = config
        if c["dataset"] not in GENERATED:
            splits, self.vocab, labels = self._load_file(c, device)
        else:
            source = memory if c["dataset"] == "first_word" else sentiment
            data = source.make(c["n_samples"], c["max_len"], c["seed"])
            self.vocab, labels = data.vocab, list(source.LABELS)
            splits = split(data.ids, data.labels, c["train_fraction"], 0.0, c["seed"], device,
                           stratify=c["stratify"])
        model = build_sequence_model(len(self.vocab), c["embed_dim"], c["hidden_size"],
                                     len(labels), c["cell"], c["layers"],
                                     c["bidirectional"], c["dropout"])
        init_weights(model, c["init"], c["init_scale"],
                     "relu" if c["cell"] == "bow" else "tanh")
        with torch.no_grad():
            model.embed.weight[0].zero_()  # padding stays a zero vector whatever the init
            # the gate that keeps the old state is the 2nd block of the biases: an LSTM's
            # gates are i, f, g, o (f: forget), a GRU's r, z, n (z: update, h' = z h + ...)
            for module in model.modules():
                if isinstance(module, (torch.nn.LSTM, torch.nn.GRU)):
                    h = module.hidden_size
                    for name, bias in module.named_parameters():
                        if name.startswith("bias"):  # bias_ih + bias_hh = forget_bias
                            bias[h:2 * h].fill_(c["forget_bias"] / 2)
        self.setup(splits, model, labels)
        self.states: list[torch.Tensor] | None = None

    def _load_file(self, c, device) -> tuple[Split, list[str], list[str]]:
        """A CSV/TSV file or review folder: (splits on the device, vocabulary, class names);
        texts cut to max_len are a run warning."""
        data = reviews.load(c["dataset"], max_len=c["max_len"], text_column=c["text_column"],
                            label_column=c["label_column"], lowercase=c["lowercase"],
                            min_freq=c["min_freq"], max_vocab=c["max_vocab"],
                            truncate=c["truncate"], train_fraction=c["train_fraction"],
                            seed=c["seed"], stratify=c["stratify"])
        self.warnings += [data.truncated] if data.truncated else []

        def rows(idx):
            return (torch.as_tensor(data.ids[idx]).to(device),
                    torch.as_tensor(data.labels[idx]).to(device))
        out = Split(*rows(data.train), *rows(data.val))
        if len(data.test):
            out.x_test, out.y_test = rows(data.test)
        return out, data.vocab, data.classes

    def forward_train(self, x, step):
        """On the first logged step of every `time_grads_every` steps a recurrent model runs
        step by step, so the norm of dL/dh_t at every time step t can be read after backward
        (the probe `time_grads` [L]). Chosen by the step number, so a resumed run probes the
        same steps."""
        every = self.config["time_grads_every"]
        if not (step.logged and every and step.index % every < self.config["log_every"]
                and getattr(self.model, "probes_time", False)
                and self.train_model is self.model):  # DDP runs forward() only
            self.states = None
            return self.train_model(x)
        logits, self.states = self.model.forward_steps(x)
        self.steps = x.shape[1]
        return logits

    def after_backward(self):
        if self.states is None:
            return {}
        norms = self.model.time_grad_norms(self.states, self.steps).detach()
        self.states = None
        return {"time_grads": norms}

    def _text(self, ids: list[int]) -> str:
        """The tokens the model read, at most VIEW_WORDS of them (file texts can be long)."""
        words = decode(self.vocab, ids).split(" ")
        if len(words) <= VIEW_WORDS:
            return " ".join(words)
        if self.config["truncate"] == "tail":
            return "… " + " ".join(words[-VIEW_WORDS:])
        return " ".join(words[:VIEW_WORDS]) + " …"

    def view(self):
        x, y = self.data.x_val[:N_EXAMPLES], self.data.y_val[:N_EXAMPLES]
        prob = torch.softmax(self.predict(x), dim=1)
        examples = []
        for ids, t, p in zip(x.tolist(), y.tolist(), prob.tolist()):
            e = {"text": self._text(ids), "true": int(t)}
            if len(self.labels) == 2:  # P(second label): P(positive) for sentiment
                e.update(pred=int(p[1] >= 0.5), p_positive=round(p[1], 3))
            else:
                pred = max(range(len(p)), key=p.__getitem__)
                e.update(pred=pred, p_pred=round(p[pred], 3))
            examples.append(e)
        return "sentences", {"labels": self.labels, "examples": examples}
