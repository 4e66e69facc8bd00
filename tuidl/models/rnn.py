"""Sequence classifiers over padded token ids: embed → recurrent layers → head, or bag of words.

Input: ids int64 [B, L], padded with 0 on the right; each model computes the lengths itself,
`(ids != 0).sum(1)`, so no lengths travel beside the batch and nothing syncs with the host.
A recurrent layer runs over all L positions (padding included) and the sentence is read at its
last real token by a `gather`, which is exact for the forward direction: padding comes after it.
The backward direction runs a forward RNN over each sentence reversed within its own length
(another `gather`), so it too starts at the last real word and never sees padding first. Stacked
layers follow PyTorch's semantics: layer k+1 reads both directions of layer k at every position.

Layers (named for the gradient panel, input to output): `embed`, then `lstm` (or `lstm1`,
`lstm2`, … when stacked; `lstm_back` for the backward direction; likewise `rnn`, `gru`), `head`.
The bag-of-words baseline has `embed`, `hidden`, `head`: the mean of the word vectors, one ReLU
layer and the head, so it sees which words occur but never in what order.
Cost: O(B · L · hidden²) per layer and direction, sequential in L.
"""
from __future__ import annotations

import torch
from torch import nn

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def lengths_of(ids: torch.Tensor) -> torch.Tensor:
    return (ids != 0).sum(1).clamp(min=1)


def reverse_within(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each row of x [B, L, D] within its first `length` positions (padding stays put).
    Applying it twice gives x back."""
    pos = torch.arange(x.shape[1], device=x.device).expand(x.shape[0], -1)
    rev = lengths[:, None] - 1 - pos
    idx = torch.where(rev >= 0, rev, pos)
    return x.gather(1, idx[:, :, None].expand(-1, -1, x.shape[2]))


def at_last(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """x [B, L, D] at position length-1 of each row -> [B, D]."""
    idx = (lengths - 1)[:, None, None].expand(-1, 1, x.shape[2])
    return x.gather(1, idx).squeeze(1)


class RecurrentClassifier(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, n_classes: int,
                 cell: str = "lstm", layers: int = 1, bidirectional: bool = False,
                 dropout: float = 0.0):
        super().__init__()
        self.cell, self.n_layers, self.bidirectional = cell, layers, bidirectional
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.names: list[tuple[str, str | None]] = []  # per layer: forward, backward module
        width = embed_dim
        for k in range(1, layers + 1):
            name = cell if layers == 1 else f"{cell}{k}"
            fwd = CELLS[cell](width, hidden_size, batch_first=True)
            setattr(self, name, fwd)
            back = None
            if bidirectional:
                back = f"{name}_back"
                setattr(self, back, CELLS[cell](width, hidden_size, batch_first=True))
            self.names.append((name, back))
            width = hidden_size * (2 if bidirectional else 1)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(width, n_classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        lengths = lengths_of(ids)
        x = self.embed(ids)
        for fwd, back in self.names:
            out = getattr(self, fwd)(x)[0]
            if back is not None:
                out_back = getattr(self, back)(reverse_within(x, lengths))[0]
                out = torch.cat([out, reverse_within(out_back, lengths)], dim=2)
            x = self.drop(out)
        if not self.bidirectional:
            return self.head(at_last(x, lengths))
        h = x.shape[2] // 2
        # forward half read at the last word; backward half (after un-reversing) at the first
        summary = torch.cat([at_last(x[:, :, :h], lengths), x[:, 0, h:]], dim=1)
        return self.head(summary)


    @property
    def probes_time(self) -> bool:
        """Whether `forward_steps` applies: one forward-only recurrent layer."""
        return self.n_layers == 1 and not self.bidirectional

    def forward_steps(self, ids: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The same function as `forward`, run one time step per call of the same recurrent
        module, so the hidden state h_t of every step is a tensor of its own: after backward,
        `h_t.grad` is dL/dh_t, the gradient that reached step t through time. Returns the
        logits and [h_1 … h_L] (each [B, hidden], retaining its grad). L calls instead of one:
        used on logged steps only. For an LSTM the cell states c_t follow the h_t in the list."""
        lengths = lengths_of(ids)
        x = self.embed(ids)
        rnn = getattr(self, self.names[0][0])
        lstm = isinstance(rnn, nn.LSTM)
        state, hs, cs = None, [], []
        for t in range(x.shape[1]):
            _, state = rnn(x[:, t:t + 1], state)
            h = (state[0] if lstm else state)[0]  # [B, hidden]: the state the next step reads
            h.retain_grad()
            hs.append(h)
            if lstm:  # an LSTM's memory is its cell state: measure it too
                c = state[1][0]
                c.retain_grad()
                cs.append(c)
            state = (h[None], c[None]) if lstm else h[None]
        seq = self.drop(torch.stack(hs, dim=1))
        return self.head(at_last(seq, lengths)), hs + cs

    @staticmethod
    def time_grad_norms(states: list[torch.Tensor], steps: int) -> torch.Tensor:
        """[steps] norms of dL/d(state_t) from `forward_steps`' states after backward (h_t, and
        c_t for an LSTM, together)."""
        zero = states[0].new_zeros(())  # a state the loss never reached (the last c_t)
        sq = torch.stack([s.grad.pow(2).sum() if s.grad is not None else zero
                          for s in states]).reshape(-1, steps).sum(0)
        return sq.sqrt()


class BagOfWords(nn.Module):
    """Mean of the embeddings of the real tokens → ReLU layer → head: order-blind."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, n_classes: int,
                 dropout: float = 0.0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.hidden = nn.Linear(embed_dim, hidden_size)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, n_classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        mask = (ids != 0).unsqueeze(2).to(self.embed.weight.dtype)
        mean = (self.embed(ids) * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.head(self.drop(self.act(self.hidden(mean))))


def build_sequence_model(vocab_size: int, embed_dim: int, hidden_size: int, n_classes: int,
                         cell: str, layers: int = 1, bidirectional: bool = False,
                         dropout: float = 0.0) -> nn.Module:
    if cell == "bow":
        return BagOfWords(vocab_size, embed_dim, hidden_size, n_classes, dropout)
    return RecurrentClassifier(vocab_size, embed_dim, hidden_size, n_classes, cell, layers,
                               bidirectional, dropout)
