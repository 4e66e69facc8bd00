"""What a task exports at the end of a run (`Task.export`), in formats other tools read:
the model's weights (`model.safetensors`: tensors only, so loading it can never run code),
word vectors (`vectors.txt` in word2vec's text format,
`vectors.tsv` and `metadata.tsv` for the TensorBoard Embedding Projector), GAN samples
(`samples.csv`). Every file is written whole to a temp file and renamed into place.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tuidl.rundir import write_atomic


def save_weights(models: dict[str, Any], run_dir: Path) -> Path:
    """All models' tensors in one file, keys '<model>.<param>'; written to a temp file first."""
    from safetensors.torch import save_file
    # copies: safetensors refuses tensors that share memory (tied weights, views)
    tensors = {f"{name}.{k}": v.detach().to("cpu", copy=True).contiguous()
               for name, m in models.items() for k, v in m.state_dict().items()}
    path, tmp = run_dir / "model.safetensors", run_dir / "model.safetensors.tmp"
    save_file(tensors, str(tmp))
    tmp.replace(path)
    return path


def save_word_vectors(words: list[str], vectors, run_dir: Path) -> None:
    """word2vec text format (gensim's load_word2vec_format reads it), and the Projector TSVs."""
    rows = vectors.tolist()
    dim = len(rows[0]) if rows else 0
    text = [f"{len(words)} {dim}"]
    text += [f"{w} " + " ".join(f"{v:.6g}" for v in row) for w, row in zip(words, rows)]
    write_atomic(run_dir / "vectors.txt", "\n".join(text) + "\n")
    write_atomic(run_dir / "vectors.tsv",
                 "".join("\t".join(f"{v:.6g}" for v in row) + "\n" for row in rows))
    write_atomic(run_dir / "metadata.tsv", "".join(f"{w}\n" for w in words))


def save_points(points, run_dir: Path, name: str = "samples.csv") -> None:
    write_atomic(run_dir / name, "x,y\n" + "".join(f"{a:.6g},{b:.6g}\n"
                                                   for a, b in points.tolist()))
