"""Fetch the official archives of the named image sets (only with download=true).

Each file is streamed to a temporary name beside its target, checked against its published MD5
and renamed into place, so an interrupted download never leaves a file that looks complete.
Files already present with the right checksum are kept. The CIFAR-10 archive is unpacked with
tarfile's "data" filter (no absolute paths, links or devices leave the folder).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

from tuidl.config import ConfigError

_IDX = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
# name -> (base URL, [(file, md5)], unpack): the checksums published with each data set
SOURCES: dict[str, tuple[str, list[tuple[str, str]], bool]] = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", list(zip(_IDX, (
        "f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
        "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"))), False),
    "fashion_mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                      list(zip(_IDX, (
                          "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                          "bef4ecab320f06d8554ea6380940ec79",
                          "bb300cfdad3c16e7a12a480ee83cd310"))), False),
    "cifar10": ("https://www.cs.toronto.edu/~kriz/",
                [("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a")], True),
}
TIMEOUT_S = 60


def md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _get(url: str, target: Path, checksum: str) -> None:
    tmp = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, tmp.open("wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except (urllib.error.URLError, OSError) as e:
        tmp.unlink(missing_ok=True)
        reason = getattr(e, "reason", e)
        raise ConfigError(f"{url}: download failed ({reason}); without internet, put the "
                          f"files in {target.parent} yourself") from None
    if md5(tmp) != checksum:
        tmp.unlink()
        raise ConfigError(f"{url}: the download's MD5 is not the published {checksum}; "
                          "try again later")
    os.replace(tmp, target)


def fetch(name: str, folder: Path) -> None:
    """Make sure `folder` holds data set `name`, downloading what is missing."""
    base, files, unpack = SOURCES[name]
    folder.mkdir(parents=True, exist_ok=True)
    for file, checksum in files:
        target = folder / file
        if unpack and (folder / "cifar-10-batches-py" / "data_batch_1").is_file():
            continue
        if not (target.is_file() and md5(target) == checksum):
            _get(base + file, target, checksum)
        if unpack:
            try:
                with tarfile.open(target) as tar:
                    tar.extractall(folder, filter="data")
            except (tarfile.TarError, OSError) as e:
                raise ConfigError(f"{target}: could not unpack ({e})") from None
