"""word2vec: categories cluster, the event stream is complete, and the parts do what they claim."""
import numpy as np
import pytest
import torch

from tuidl.config import ConfigError
from tuidl.data.corpus import (CATEGORIES, build_vocab, cbow_examples, encode, keep_probability,
                               load_corpus, noise_distribution, skipgram_pairs, subsample)
from tuidl.models.word2vec import NegativeSampler, nearest, precision_at_k


@pytest.mark.slow
def test_skipgram_world_clusters_categories(train):
    summary, _, events = train("word2vec")
    m = summary["metrics"]
    assert summary["status"] == "completed"
    assert m["precision_at_5"] >= 0.8
    assert m["vocab_size"] == 94  # 80 category words + 14 template words
    assert summary["seconds"] < 60
    first = next(e for e in events if e["type"] == "eval")["metrics"]["precision_at_5"]
    assert first < m["precision_at_5"]  # it learned: the first epoch is still far from it


@pytest.mark.parametrize("mode", ["cbow", "skip_gram", "skip_gram by_window"])
def test_one_small_epoch_emits_grads_for_every_layer_and_a_view(train, mode):
    mode, *window = mode.split()
    extra = ["by_window=true", "share_negatives=1"] if window else []
    summary, _, events = train("word2vec-cbow", f"mode={mode}", "epochs=1", "n_sentences=200",
                               "log_every=2", "batch_size=64", "min_count=1", *extra)
    assert summary["status"] == "completed" and summary["epochs"] == 1
    start = events[0]
    assert start["type"] == "run_start" and start["family"] == "word2vec"
    names = [layer["name"] for layer in start["layers"]]
    assert names == ["in_embed", "out_embed"]
    grads = [e for e in events if e["type"] == "grad_stats"]
    assert grads and all(g["layers"] == names for g in grads)
    assert all(np.isfinite(g["norm"]).all() for g in grads)
    scalars = [e for e in events if e["type"] == "scalars"]
    assert scalars and all(s["values"]["words_per_s"] > 0 for s in scalars)
    view = [e for e in events if e["type"] == "task_view"][-1]
    assert view["kind"] == "embeddings"
    rows = view["data"]["neighbours"]
    assert [r["word"] for r in rows][:2] == ["fox", "red"]
    assert all(len(r["nearest"]) == 5 and r["word"] not in [w for w, _ in r["nearest"]]
               for r in rows)
    assert len(view["data"]["points"]) == 80
    assert set(view["data"]["categories"]) == set(CATEGORIES)
    assert 0.0 <= summary["metrics"]["precision_at_5"] <= 1.0


def test_negative_samples_follow_unigram_to_the_three_quarters():
    counts = np.array([5000, 1000, 300, 50, 10, 1])
    expected = noise_distribution(counts)
    assert np.allclose(expected, counts ** 0.75 / (counts ** 0.75).sum())
    torch.manual_seed(0)
    draws = NegativeSampler(torch.as_tensor(expected))(40_000, 5)
    assert draws.shape == (40_000, 5)
    freq = torch.bincount(draws.flatten(), minlength=len(counts)).double() / draws.numel()
    assert np.allclose(freq.numpy(), expected, atol=0.005)
    # flatter than the raw unigram: rare words are drawn more often than their share
    assert freq[-1] > counts[-1] / counts.sum() * 3


def test_subsampling_drops_frequent_words_more():
    p = keep_probability(np.array([9000, 900, 90, 9]), 1e-3)
    assert (np.diff(p) >= 0).all() and p[-1] == 1.0 and p[0] < 0.05
    assert (keep_probability(np.array([9000, 9]), 0.0) == 1).all()
    ids = np.array([0] * 9000 + [1] * 900 + [2] * 100)
    sid = np.zeros_like(ids)
    counts = np.bincount(ids)
    kept, kept_sid = subsample(ids, sid, counts, 1e-2, np.random.default_rng(0))
    share = np.bincount(kept, minlength=3) / counts
    assert share[0] < share[1] < share[2]
    assert share[0] < 0.2 and share[2] > 0.95
    assert len(kept_sid) == len(kept)


def test_precision_at_5_on_hand_made_vectors():
    g = torch.Generator().manual_seed(0)
    centres = torch.eye(4, 8) * 5
    labels = torch.arange(4).repeat_interleave(8)
    vectors = centres[labels] + 0.1 * torch.randn(32, 8, generator=g)
    assert precision_at_k(vectors, labels, 5).item() == 1.0
    shuffled = labels[torch.randperm(32, generator=g)]
    assert precision_at_k(vectors, shuffled, 5).item() < 0.5
    # two points per class: exactly one of the 5 neighbours can share the class
    pairs = torch.tensor([[1.0, 0], [0.99, 0.1], [-1, 0], [-0.99, -0.1], [0, 1], [0.1, 0.99]])
    assert precision_at_k(pairs, torch.tensor([0, 0, 1, 1, 2, 2]), 5).item() == pytest.approx(0.2)
    sims, idx = nearest(pairs, torch.tensor([0]), 2)
    assert idx.tolist() == [[1, 5]] and sims[0, 0] > 0.99


def test_pairs_and_cbow_windows_stay_inside_sentences():
    ids = np.array([0, 1, 2, 3, 4])
    sid = np.array([0, 0, 0, 1, 1])
    pairs = {tuple(p) for p in skipgram_pairs(ids, sid, 1).tolist()}
    assert pairs == {(0, 1), (1, 0), (1, 2), (2, 1), (3, 4), (4, 3)}
    assert len(skipgram_pairs(ids, sid, 2)) == 8
    center, ctx, mask = cbow_examples(ids, sid, 2)
    assert center.tolist() == [0, 1, 2, 3, 4] and ctx.shape == (5, 4)
    assert mask.sum(1).tolist() == [2, 2, 2, 1, 1]
    assert ctx[0][mask[0]].tolist() == [1, 2] and ctx[3][mask[3]].tolist() == [4]


def test_corpora_and_vocabulary():
    world = load_corpus("world", 500, seed=1)
    assert world.sentences == load_corpus("world", 500, seed=1).sentences
    vocab = build_vocab(world.sentences, 1)
    assert vocab.counts[0] == vocab.counts.max() and vocab.words[0] == "the"
    ids, sid = encode(world.sentences, vocab)
    assert len(ids) == sum(map(len, world.sentences)) and sid[-1] == 499
    pydoc = load_corpus("pydoc")
    pv = build_vocab(pydoc.sentences, 5)
    assert {"list", "class", "return"} <= set(pv.words) and len(pv) > 1000
    assert all(w.isalpha() and w.islower() for w in pv.words)
    with pytest.raises(ConfigError, match="min_count"):
        build_vocab(world.sentences, 10**6)


def test_pydoc_corpus_trains_and_shows_neighbours_without_categories(train):
    summary, _, events = train("word2vec-pydoc", "epochs=1", "window=1", "batch_size=8192",
                               "dim=16")
    m = summary["metrics"]
    assert summary["status"] == "completed" and "precision_at_5" not in m
    assert m["vocab_size"] > 1000
    view = [e for e in events if e["type"] == "task_view"][-1]["data"]
    assert [r["word"] for r in view["neighbours"]][:3] == ["list", "class", "return"]
    assert len(view["points"]) == 80 and "the" not in [p[2] for p in view["points"]]
    assert "list →" in summary["message"]


@pytest.mark.parametrize("share", [1, 4])
@pytest.mark.parametrize("mode", ["skip_gram", "cbow"])
def test_hand_written_gradients_match_autograd_on_plain_indexing(mode, share):
    """Independent noise words per example (share=1), or shared by groups of 4 examples."""
    from tuidl.models.word2vec import Word2Vec
    torch.manual_seed(0)
    model = Word2Vec(30, 8)
    with torch.no_grad():
        model.out_embed.weight.normal_()
    center, target = torch.randint(30, (16,)), torch.randint(30, (16,))
    negatives = torch.randint(30, (16 // share, 4))
    context = torch.randint(30, (16, 4))
    mask = torch.rand(16, 4) > 0.3
    if mode == "cbow":
        loss = model.cbow_loss(context, mask, target, negatives)
    else:
        loss = model.skipgram_loss(center, target, negatives)
    loss.backward()
    w_in = model.in_embed.weight.detach().clone().requires_grad_()
    w_out = model.out_embed.weight.detach().clone().requires_grad_()
    if mode == "cbow":
        m = mask.float().unsqueeze(2)
        v = (w_in[context] * m).sum(1) / m.sum(1).clamp_min(1.0)
    else:
        v = w_in[center]
    pos = (v * w_out[target]).sum(-1)
    neg = (w_out[negatives.repeat_interleave(share, 0)] * v.unsqueeze(1)).sum(-1)
    ref = -(torch.nn.functional.logsigmoid(pos)
            + torch.nn.functional.logsigmoid(-neg).sum(1)).mean()
    ref.backward()
    assert torch.allclose(loss, ref, atol=1e-6)
    assert torch.allclose(model.in_embed.weight.grad, w_in.grad, atol=1e-6)
    assert torch.allclose(model.out_embed.weight.grad, w_out.grad, atol=1e-6)


def test_a_window_scores_its_pairs_as_skipgram_does_with_the_noise_words_shared():
    """window_loss over windows = skipgram_loss over the same (center, context) pairs, each
    pair meeting its window's noise words: the same loss and the same gradients."""
    from tuidl.models.word2vec import Word2Vec
    torch.manual_seed(0)
    model, ref = Word2Vec(30, 8), Word2Vec(30, 8)
    with torch.no_grad():
        model.out_embed.weight.normal_()
    ref.load_state_dict(model.state_dict())
    center, context = torch.randint(30, (16,)), torch.randint(30, (16, 6))
    mask = torch.rand(16, 6) > 0.4
    mask[:, 0] = True  # every word has a context
    negatives = torch.randint(30, (16, 4))
    loss = model.window_loss(center, context, mask, negatives)
    loss.backward()
    b, j = mask.nonzero(as_tuple=True)
    expected = ref.skipgram_loss(center[b], context[b, j], negatives[b])
    expected.backward()
    assert torch.allclose(loss, expected, atol=1e-6)
    for p, q in zip(model.parameters(), ref.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-6)
