"""A disk cache for derived model files (ONNX exports, dequantized GGUF weights).

Deriving them takes seconds to a minute, so it happens once per machine: entries are keyed by a hash
of the source model, built in a temporary folder and renamed into place, so processes that start at
the same time never see a half-written entry.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from rasa_llm.shared.hashing import hash_files as shared_hash

logger = logging.getLogger(__name__)

CACHE_ENV_VAR = "RASA_LLM_CACHE_DIR"


def cache_root(configured: str | None = None) -> Path:
    """The configured folder, else $RASA_LLM_CACHE_DIR, else ~/.cache/rasa_llm."""
    if configured:
        return Path(configured).expanduser()
    if os.environ.get(CACHE_ENV_VAR):
        return Path(os.environ[CACHE_ENV_VAR]).expanduser()
    return Path.home() / ".cache" / "rasa_llm"


def hash_files(*paths: Path) -> str:
    """A short content hash of the given files (in order), for cache keys."""
    return shared_hash(paths)[:16]


def cached_folder(root: Path, key: str, build: Callable[[Path], None]) -> Path:
    """`root/key`, created by `build(tmp_folder)` the first time it is asked for."""
    target = root / key
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    try:
        logger.info("Building cached model files in '%s' (once per machine).", target)
        build(staging)
        try:
            staging.rename(target)
        except OSError:
            # Another process finished the same entry first; theirs is as good as ours.
            if not target.is_dir():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
