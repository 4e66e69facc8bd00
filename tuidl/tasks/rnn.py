"""rnn family: sentiment of generated sentences with a recurrent net or a bag of words.

The data (tuidl.data.sentiment) is a padded id tensor [N, max_len] on the device; the shared
ClassifierTask trains and scores it. Task view "sentences": a few validation sentences with
their true label, the predicted label and P(positive), so one can watch the model learn to
read "not" and "but".

On logged steps a single forward recurrent layer is run one time step at a time so that the
gradient reaching each hidden state h_t can be measured (`time_grads`, the engine emits it as a
`time_grads` event): backpropagation through time made visible. With dataset=first_word the
label is the first word of a long sequence; a vanilla RNN's dL/dh_t fades towards the start and
it stays at chance, an LSTM carries it.
"""
from __future__ import annotations

import torch

from tuidl.data import memory, sentiment
from tuidl.data.sentiment import decode
from tuidl.data.split import split
from tuidl.engine.optim import init_weights
from tuidl.models.rnn import build_sequence_model
from tuidl.tasks.classify import ClassifierTask

N_EXAMPLES = 8


class RNNTask(ClassifierTask):
    family = "rnn"

    def __init__(self, config, device):
        super().__init__(config, device)
        c = config
        source = memory if c["dataset"] == "first_word" else sentiment
        data = source.make(c["n_samples"], c["max_len"], c["seed"])
        self.vocab = data.vocab
        splits = split(data.ids, data.labels, c["train_fraction"], 0.0, c["seed"], device)
        model = build_sequence_model(len(data.vocab), c["embed_dim"], c["hidden_size"],
                                     len(source.LABELS), c["cell"], c["layers"],
                                     c["bidirectional"], c["dropout"])
        init_weights(model, c["init"], c["init_scale"],
                     "relu" if c["cell"] == "bow" else "tanh")
        with torch.no_grad():
            model.embed.weight[0].zero_()  # padding stays a zero vector whatever the init
            for module in model.modules():  # gates i, f, g, o: the forget gate is the 2nd
                if isinstance(module, torch.nn.LSTM):
                    h = module.hidden_size
                    for name, bias in module.named_parameters():
                        if name.startswith("bias"):  # bias_ih + bias_hh = forget_bias
                            bias[h:2 * h].fill_(c["forget_bias"] / 2)
        self.setup(splits, model, list(source.LABELS))
        self.time_grads: torch.Tensor | None = None
        self.states: list[torch.Tensor] | None = None

    def forward_train(self, x, logged):
        """On logged steps a recurrent model runs step by step, so the norm of dL/dh_t at every
        time step t can be read after backward (`time_grads` [L])."""
        if not (logged and getattr(self.model, "probes_time", False)):
            self.states = None
            return self.model(x)
        logits, self.states = self.model.forward_steps(x)
        self.steps = x.shape[1]
        return logits

    def after_backward(self):
        if self.states is not None:
            self.time_grads = self.model.time_grad_norms(self.states, self.steps).detach()
            self.states = None

    def view(self):
        x, y = self.data.x_val[:N_EXAMPLES], self.data.y_val[:N_EXAMPLES]
        prob = torch.softmax(self.predict(x), dim=1)[:, 1]
        return "sentences", {
            "labels": self.labels,
            "examples": [{"text": decode(self.vocab, ids), "true": int(t),
                          "pred": int(p >= 0.5), "p_positive": round(float(p), 3)}
                         for ids, t, p in zip(x.tolist(), y.tolist(), prob.tolist())],
        }
