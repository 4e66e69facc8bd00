"""rnn family: sentiment of generated sentences with a recurrent net or a bag of words.

The data (tuidl.data.sentiment) is a padded id tensor [N, max_len] on the device; the shared
ClassifierTask trains and scores it. Task view "sentences": a few validation sentences with
their true label, the predicted label and P(positive), so one can watch the model learn to
read "not" and "but".
"""
from __future__ import annotations

import torch

from tuidl.data import sentiment
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
        data = sentiment.make(c["n_samples"], c["max_len"], c["seed"])
        self.vocab = data.vocab
        splits = split(data.ids, data.labels, c["train_fraction"], 0.0, c["seed"], device)
        model = build_sequence_model(len(data.vocab), c["embed_dim"], c["hidden_size"],
                                     len(sentiment.LABELS), c["cell"], c["layers"],
                                     c["bidirectional"], c["dropout"])
        init_weights(model, c["init"], c["init_scale"],
                     "relu" if c["cell"] == "bow" else "tanh")
        with torch.no_grad():
            model.embed.weight[0].zero_()  # padding stays a zero vector whatever the init
        self.setup(splits, model, list(sentiment.LABELS))

    def view(self):
        x, y = self.data.x_val[:N_EXAMPLES], self.data.y_val[:N_EXAMPLES]
        prob = torch.softmax(self.predict(x), dim=1)[:, 1]
        return "sentences", {
            "labels": self.labels,
            "examples": [{"text": decode(self.vocab, ids), "true": int(t),
                          "pred": int(p >= 0.5), "p_positive": round(float(p), 3)}
                         for ids, t, p in zip(x.tolist(), y.tolist(), prob.tolist())],
        }
