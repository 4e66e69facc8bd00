"""Image sets in the formats people already have: MNIST-style IDX files and CIFAR-10 batches.

    load_images("mnist", root)            -> the IDX files in root/mnist
    load_images("path/to/folder", root)   -> whatever that folder holds

IDX (MNIST, Fashion-MNIST and their kin): `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
`t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each gzipped or not (told by its first
bytes, not its name), in the folder itself or in torchvision's `raw/`, `MNIST/raw/` or
`FashionMNIST/raw/` under it. The test pair is optional. CIFAR-10: the python batches
`data_batch_1` … `data_batch_5`, `test_batch` and `batches.meta`, in the folder or in its
`cifar-10-batches-py/`. They are pickles, read by an unpickler that builds only plain
containers and numpy arrays (a crafted file cannot run code).

Images come back as uint8 [n, channels, height, width] (4x smaller than float32 on the device;
the model scales them), labels as int64 class indexes. Every problem is one ConfigError naming
the file: not an IDX file, truncated data, wrong image shape, images and labels that disagree
in number, a test set of another size, one class only.
"""
from __future__ import annotations

import gzip
import math
import os
import pickle
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tuidl.config import ConfigError, _show

NAMED = ("mnist", "fashion_mnist", "cifar10")
FASHION = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
           "bag", "boot"]
CIFAR10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
           "truck"]
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IDX_NAMES = {"train_images": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
             "train_labels": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
             "test_images": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
             "test_labels": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte")}
IDX_SUBDIRS = ("", "raw", "MNIST/raw", "FashionMNIST/raw")
CIFAR_SUBDIRS = ("", "cifar-10-batches-py")


@dataclass
class ImageSet:
    name: str
    x_train: np.ndarray  # uint8 [n, c, h, w]
    y_train: np.ndarray  # int64 [n]
    classes: list[str]
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])


def default_root() -> Path:
    """Where named data sets live: $TUIDL_DATA, else ~/.cache/tuidl/datasets."""
    return Path(os.environ.get("TUIDL_DATA") or Path.home() / ".cache" / "tuidl" / "datasets")


# -- IDX ---------------------------------------------------------------------------------------
MAX_IDX_BYTES = 4 << 30  # the most an IDX file's header may ask for (MNIST: 47 MB)


def _gzipped(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def read_idx(path: str | Path) -> np.ndarray:
    """One IDX file (gzipped or not) as a numpy array of its declared type and shape.

    The header is read first and the data only up to the size it declares (computed without
    overflow, at most MAX_IDX_BYTES): a gzip bomb is never inflated beyond that."""
    path = Path(path)
    gz = False
    try:
        gz = _gzipped(path)
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
            magic = f.read(4)
            if (len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in IDX_TYPES
                    or magic[3] == 0):
                raise ConfigError(f"{path}: not an IDX file (it starts "
                                  f"{magic.hex(' ') or 'empty'})")
            ndim, dtype = magic[3], np.dtype(IDX_TYPES[magic[2]])
            dims = f.read(4 * ndim)
            if len(dims) < 4 * ndim:
                raise ConfigError(f"{path}: truncated IDX header")
            shape = tuple(int.from_bytes(dims[4 * i:4 * i + 4], "big") for i in range(ndim))
            want = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
            if want > MAX_IDX_BYTES:
                raise ConfigError(f"{path}: the header says {'x'.join(map(str, shape))} values "
                                  f"({want:,} bytes), more than {MAX_IDX_BYTES:,}; not an image "
                                  "set tuidl reads")
            data = f.read(want + 1)
    except (OSError, EOFError, zlib.error) as e:
        what = "a damaged gzip file" if gz else "cannot read it"
        raise ConfigError(f"{path}: {what} ({e})") from None
    if len(data) != want:
        raise ConfigError(f"{path}: the header says {'x'.join(map(str, shape))} values "
                          f"({want} bytes) but {len(data) if len(data) <= want else 'more'} "
                          "bytes follow")
    return np.frombuffer(data, dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _find(folder: Path, names: tuple[str, ...]) -> Path | None:
    for sub in IDX_SUBDIRS:
        for name in names:
            for suffix in ("", ".gz"):
                p = folder / sub / (name + suffix)
                if p.is_file():
                    return p
    return None


def _idx_pair(images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    x, y = read_idx(images), read_idx(labels)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ConfigError(f"{images}: expected images [n, rows, cols], found shape "
                          f"{list(x.shape)}")
    if x.dtype != np.uint8:
        raise ConfigError(f"{images}: expected unsigned byte pixels, found {x.dtype}")
    if y.ndim != 1:
        raise ConfigError(f"{labels}: expected labels [n], found shape {list(y.shape)}")
    if len(x) != len(y):
        raise ConfigError(f"{images}: {len(x)} images but {labels.name} has {len(y)} labels")
    return x, y.astype(np.int64)


def load_idx(folder: Path, classes: list[str] | None = None) -> ImageSet:
    found = {k: _find(folder, names) for k, names in IDX_NAMES.items()}
    if not (found["train_images"] and found["train_labels"]):
        raise ConfigError(f"{folder}: no {IDX_NAMES['train_images'][0]}[.gz] and "
                          f"{IDX_NAMES['train_labels'][0]}[.gz] here")
    x, y = _idx_pair(found["train_images"], found["train_labels"])
    out = ImageSet(folder.name, x, y, [])
    if found["test_images"] and found["test_labels"]:
        out.x_test, out.y_test = _idx_pair(found["test_images"], found["test_labels"])
        _same_shape(out, found["test_images"])
    return _index_classes(out, classes, found["train_labels"])


# -- CIFAR-10 ----------------------------------------------------------------------------------
class _SafeUnpickler(pickle.Unpickler):
    """Builds dicts, lists, bytes and numpy arrays; refuses every other class (protocol-2
    pickles written by Python 3 rebuild bytes with _codecs.encode, which is harmless)."""
    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to build {module}.{name}")


def _unpickle(path: Path) -> dict:
    try:
        with path.open("rb") as f:
            obj = _SafeUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            ImportError, IndexError, KeyError) as e:
        raise ConfigError(f"{path}: not a CIFAR-10 python batch ({e})") from None
    if not isinstance(obj, dict):
        raise ConfigError(f"{path}: not a CIFAR-10 python batch (a {type(obj).__name__})")
    return {(k.decode("latin-1") if isinstance(k, bytes) else k): v for k, v in obj.items()}


MAX_LABEL = 1000  # class numbers a CIFAR-style batch may use


def _cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    d = _unpickle(path)
    if "data" not in d or "labels" not in d:
        raise ConfigError(f"{path}: not a CIFAR-10 python batch (no data and labels)")
    try:
        x, y = np.asarray(d["data"]), np.asarray(d["labels"])
    except (ValueError, TypeError, OverflowError) as e:
        raise ConfigError(f"{path}: not a CIFAR-10 python batch ({e})") from None
    if y.dtype.kind not in "iu" or (y.size and not 0 <= y.min() <= y.max() < MAX_LABEL):
        raise ConfigError(f"{path}: labels must be class numbers 0..{MAX_LABEL - 1}, found "
                          f"{_show(y[:3].tolist() if y.ndim == 1 else y.dtype)}")
    if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != 3 * 32 * 32:
        raise ConfigError(f"{path}: expected data of uint8 [n, 3072] (32x32 RGB), found "
                          f"{x.dtype} {list(x.shape)}")
    if y.ndim != 1 or len(y) != len(x):
        raise ConfigError(f"{path}: {len(x)} images but {y.size} labels")
    return x.reshape(-1, 3, 32, 32), y.astype(np.int64)


def load_cifar10(folder: Path) -> ImageSet:
    base = next((folder / s for s in CIFAR_SUBDIRS if (folder / s / "data_batch_1").is_file()),
                None)
    if base is None:
        raise ConfigError(f"{folder}: no CIFAR-10 data_batch_1 here")
    parts = [_cifar_batch(p) for p in sorted(base.glob("data_batch_*")) if p.is_file()]
    out = ImageSet(folder.name, np.concatenate([p[0] for p in parts]),
                   np.concatenate([p[1] for p in parts]), [])
    if (base / "test_batch").is_file():
        out.x_test, out.y_test = _cifar_batch(base / "test_batch")
    names = None
    if (base / "batches.meta").is_file():
        meta = _unpickle(base / "batches.meta").get("label_names")
        if meta is not None and not (isinstance(meta, (list, tuple)) and all(
                isinstance(n, (bytes, str)) for n in meta)):
            raise ConfigError(f"{base / 'batches.meta'}: label_names must be a list of names, "
                              f"found {_show(meta)}")
        names = [n.decode("utf-8", "replace") if isinstance(n, bytes) else n
                 for n in meta] if meta else None
    return _index_classes(out, names or CIFAR10, base / "data_batch_1")


# -- shared ------------------------------------------------------------------------------------
def _same_shape(s: ImageSet, test_file: Path) -> None:
    if s.x_test.shape[1:] != s.x_train.shape[1:]:
        shape = "x".join(map(str, s.x_test.shape[1:]))
        raise ConfigError(f"{test_file}: test images are {shape} but the training images are "
                          f"{'x'.join(map(str, s.x_train.shape[1:]))}")


def _index_classes(s: ImageSet, names: list[str] | None, labels_file: Path) -> ImageSet:
    """Labels become indexes 0..k-1 of the sorted training labels; names where known."""
    values = np.unique(s.y_train)
    if len(values) < 2:
        raise ConfigError(f"{labels_file}: every label is {values[0] if len(values) else '-'}; "
                          "a classifier needs two classes or more")
    if s.y_test is not None and not np.isin(s.y_test, values).all():
        bad = sorted(set(np.unique(s.y_test)) - set(values))[:3]
        raise ConfigError(f"{labels_file.parent}: the test labels {bad} never occur in training")
    s.y_train = np.searchsorted(values, s.y_train)
    if s.y_test is not None:
        s.y_test = np.searchsorted(values, s.y_test)
    known = names is not None and values.min() >= 0 and values.max() < len(names)
    s.classes = [names[v] if known else str(v) for v in values.tolist()]
    return s


def load_images(dataset: str, root: str | Path = "", download: bool = False) -> ImageSet:
    """A named set under `root` (fetched first with `download`), or a folder path."""
    if dataset in NAMED:
        folder = Path(root).expanduser() if root else default_root()
        if folder.exists() and not folder.is_dir():
            where = "data_root" if root else ("$TUIDL_DATA" if os.environ.get("TUIDL_DATA")
                                              else "the data folder")
            raise ConfigError(f"{where} {folder}: a file, not a folder; give the folder that "
                              f"holds {dataset}/")
        folder = folder / dataset
        if download:
            from tuidl.data.download import fetch
            fetch(dataset, folder)
        if not folder.is_dir():
            raise ConfigError(f"{folder}: no {dataset} here; put its files there, pass "
                              "dataset=FOLDER, or set download=true")
    else:
        folder = Path(dataset).expanduser()
        if not folder.is_dir():
            raise ConfigError(f"{folder}: no such folder")
    if any((folder / s / "data_batch_1").is_file() for s in CIFAR_SUBDIRS):
        out = load_cifar10(folder)
    elif _find(folder, IDX_NAMES["train_images"]) or _find(folder, IDX_NAMES["train_labels"]):
        fashion = dataset == "fashion_mnist" or "fashion" in folder.name.lower()
        out = load_idx(folder, FASHION if fashion else None)
    else:
        raise ConfigError(f"{folder}: found neither MNIST-style IDX files "
                          "(train-images-idx3-ubyte[.gz] …) nor CIFAR-10 batches (data_batch_1 …)")
    out.name = dataset if dataset in NAMED else folder.name
    return out
