"""Build the cached model files once, e.g. in a setup script, so the first reply does not wait for them:

    python -m rasa_llm.knowledge [--cache-dir DIR] [--model PATH] [--encoder PATH]

exports the sentence encoder to ONNX, dequantizes the generator's GGUF file and converts it to an int8
CTranslate2 model (about a minute on two cores), into ~/.cache/rasa_llm unless told otherwise. Later
runs find them and return in seconds. A model CTranslate2 cannot convert is reported and left to the
torch runtime.
"""
from __future__ import annotations

import argparse
import logging
import time

from rasa_llm.knowledge.encoder import load_encoder
from rasa_llm.knowledge.generators import LocalGenerator
from rasa_llm.shared.models import default_encoder_path, default_generator_path, resolve_model_path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cache-dir", help="cache folder (default: $RASA_LLM_CACHE_DIR or ~/.cache/rasa_llm)"
    )
    parser.add_argument(
        "--model", help="generator: a Hugging Face folder or .gguf file (default: packaged SmolLM2)"
    )
    parser.add_argument("--encoder", help="sentence encoder folder (default: packaged all-MiniLM-L6-v2)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    started = time.monotonic()
    load_encoder(
        resolve_model_path(args.encoder, default_encoder_path(), "encoder model"), cache_dir=args.cache_dir
    )
    print(f"sentence encoder ready ({time.monotonic() - started:.1f} s)")
    started = time.monotonic()
    path = resolve_model_path(args.model, default_generator_path(), "generator model")
    generator = LocalGenerator(path, cache_dir=args.cache_dir)
    generator.load()
    print(f"generator ready on {generator.runtime} ({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
