"""Which short chat messages are not English: the bot's detector against general language identifiers.

    python benchmarks/language_benchmark.py            # the dev split (used to choose and tune)
    python benchmarks/language_benchmark.py --split heldout

Messages and their gold labels: benchmarks/data/languages.yml (English support messages, including
one-word answers, order ids, emails and product names, and messages in 20 other languages). Systems,
measured in the same run on the same messages:
- langid: py3langid alone ("not English" when its top language is not English);
- langdetect: langdetect 1.0.9 alone (seeded);
- detector: rasa_llm.language.LanguageDetector with the vocabulary of data/nlu, as the bot runs it.
Printed per system: English messages taken for another language (false positives: the customer would
be told the bot only speaks English), other-language messages caught (recall), accuracy, mean time
per message.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rasa_llm.language.detector import ENGLISH, LanguageDetector, _identifier  # noqa: E402


def nlu_texts() -> list[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    from rasa_llm.nlu.other_language_detector import vocabulary_texts

    return vocabulary_texts(load_data(str(ROOT / "data" / "nlu")))


def langdetect_language() -> Callable[[str], str]:
    import langdetect
    from langdetect import DetectorFactory, LangDetectException

    DetectorFactory.seed = 0

    def detect(text: str) -> str:
        try:
            return langdetect.detect(text)
        except LangDetectException:  # no letters at all
            return ENGLISH

    return detect


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", choices=["dev", "heldout"], default="dev")
    args = parser.parse_args()
    messages = yaml.safe_load((ROOT / "benchmarks/data/languages.yml").read_text())["messages"][args.split]
    english, other = messages["en"], messages["other"]
    detector = LanguageDetector.from_texts(nlu_texts())
    systems: dict[str, Callable[[str], str]] = {
        "langid": lambda text: _identifier().classify(text)[0],
        "langdetect": langdetect_language(),
        "detector": detector.language,
    }
    print(f"split {args.split}: {len(english)} English, {len(other)} other-language messages; "
          f"vocabulary {len(detector.vocabulary)} words")
    print(
        f"{'system':<11} {'English taken for other':>24} {'other caught':>13} {'accuracy':>9} "
        f"{'ms/message':>11}"
    )
    for name, language in systems.items():
        language("warm up")
        started = time.perf_counter()
        false_positives = [text for text in english if language(text) != ENGLISH]
        caught = [text for text in other if language(text) != ENGLISH]
        elapsed_ms = (time.perf_counter() - started) * 1000 / (len(english) + len(other))
        accuracy = (len(english) - len(false_positives) + len(caught)) / (len(english) + len(other))
        print(f"{name:<11} {len(false_positives):>17}/{len(english):<6} {len(caught):>6}/{len(other):<6} "
              f"{accuracy:>9.1%} {elapsed_ms:>11.2f}")
        missed = [text for text in other if text not in caught]
        if false_positives or missed:
            print(f"{'':<11} false positives: {false_positives}; missed: {missed}")


if __name__ == "__main__":
    main()
