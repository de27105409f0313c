"""The one file hasher: cache keys, Rasa fingerprint add-ons and the "is the model current" stamp."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

_CHUNK = 1 << 20


def hash_files(files: Iterable[Path], name: Callable[[Path], str] | None = None) -> str:
    """SHA-256 (hex) over `files` in the order given: each one's `name(file)` when given, then its bytes.

    A name makes a renamed file a different input; without one only the contents count.
    """
    digest = hashlib.sha256()
    for path in files:
        if name is not None:
            digest.update(name(path).encode("utf-8"))
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
    return digest.hexdigest()


def files_under(folder: Path) -> list[Path]:
    """Every file below `folder`, in a stable order."""
    return sorted(path for path in folder.rglob("*") if path.is_file())
