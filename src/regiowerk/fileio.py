"""Atomic file output: readers see the old file or the complete new one, never a part.

Files are written under a temporary name in the target's folder, flushed to disk (``fsync``),
given the permissions a normally created file would have (``0o666`` less the umask) and moved
into place with ``os.replace``, which is atomic on POSIX file systems and on Windows.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def temporary_path(folder: Path, *, prefix: str, suffix: str = ".tmp") -> Iterator[Path]:
    """A fresh, not yet existing path in ``folder``; removed on exit unless it was published."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{prefix}.", suffix=suffix, dir=folder)
    os.close(fd)
    path = Path(name)
    path.unlink()  # writers such as GDAL or openpyxl want to create the file themselves
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def publish(written: Path, target: Path) -> None:
    """Flush ``written`` to disk and move it to ``target`` in one atomic rename."""
    with written.open("rb") as handle:
        os.fsync(handle.fileno())
    os.chmod(written, _default_mode())
    os.replace(written, target)
    _fsync_dir(target.parent)


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write to; on success it replaces ``target`` atomically."""
    with temporary_path(target.parent, prefix=target.stem, suffix=target.suffix) as tmp:
        yield tmp
        publish(tmp, target)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's content (hex)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
