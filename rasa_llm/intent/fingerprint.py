"""Fingerprints of what a trained classifier depends on beyond Rasa's own inputs.

Rasa's training cache keys a component on its config, its class source and its inputs. The model
weights on disk and the training code in this subpackage are invisible to it, so a changed encoder
folder or a changed training loop must be folded in explicitly, or `rasa train` would reuse a
classifier trained from something else.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

_CHUNK = 1 << 20


def _hash_file(digest: hashlib._Hash, path: Path) -> None:
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)


def folder_fingerprint(folder: Path) -> str:
    """SHA-256 over the relative names and contents of every file under `folder`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        _hash_file(digest, path)
    return digest.hexdigest()


def training_code_fingerprint(*extra_sources: Path) -> str:
    """SHA-256 of this subpackage's source files and of `extra_sources`."""
    digest = hashlib.sha256()
    for path in [*sorted(Path(__file__).parent.glob("*.py")), *extra_sources]:
        digest.update(path.name.encode())
        _hash_file(digest, path)
    return digest.hexdigest()
