"""Fingerprints of what a trained classifier depends on beyond Rasa's own inputs.

Rasa's training cache keys a component on its config, its class source and its inputs. The model
weights on disk and the training code in this subpackage are invisible to it, so a changed encoder
folder or a changed training loop must be folded in explicitly, or `rasa train` would reuse a
classifier trained from something else.
"""
from __future__ import annotations

from pathlib import Path

from rasa_llm.shared.hashing import files_under, hash_files


def folder_fingerprint(folder: Path) -> str:
    """SHA-256 over the relative names and contents of every file under `folder`."""
    return hash_files(files_under(folder), name=lambda path: str(path.relative_to(folder)))


def training_code_fingerprint(*extra_sources: Path) -> str:
    """SHA-256 of this subpackage's source files and of `extra_sources`."""
    sources = [*sorted(Path(__file__).parent.glob("*.py")), *extra_sources]
    return hash_files(sources, name=lambda path: path.name)
