"""A tiny shop dataset (4 intents x 8 examples) and a fast training config for the intent tests."""

from rasa_llm.intent.data import Example

# intent -> (default sentiment, examples); an example given as (text, sentiment) overrides it.
TINY_DATA: dict[str, tuple] = {
    "greet": (
        "neutral",
        [
            "hello there",
            "hi",
            "good morning",
            "hey",
            "hiya",
            "good evening",
            "howdy folks",
            "hello, anyone around?",
        ],
    ),
    "track_order": (
        "neutral",
        [
            "where is my package",
            "track my order",
            "has my parcel shipped",
            "when will my order arrive",
            "order status please",
            ("where the heck is my delivery, this is ridiculous", "negative"),
            "is my shipment on the way",
            ("still no sign of my order, worst service ever", "negative"),
        ],
    ),
    "return_item": (
        "neutral",
        [
            "i want to return these boots",
            "how do i send an item back",
            ("the jacket fell apart after one day, i want my money back", "negative"),
            "start a return",
            "can i return a tent",
            ("this stove is junk, take it back", "negative"),
            "i need a return label",
            "i'd like to return part of my order",
        ],
    ),
    "thank": (
        "positive",
        [
            "thank you",
            "thanks a lot",
            "cheers",
            "much appreciated",
            "thanks for the help",
            "great, thank you",
            "ty",
            "you were super helpful, thanks",
        ],
    ),
}

INTENTS = sorted(TINY_DATA)

# Enough to learn the tiny set in seconds on 2 CPU cores.
FAST_CONFIG = {
    "epochs": 4,
    "batch_size": 8,
    "learning_rate": 3e-4,
    "head_learning_rate": 5e-3,
    "max_length": 24,
    "validation_fraction": 0.25,
    "early_stopping_patience": 0,
    "num_threads": 2,
}


def tiny_examples() -> list[Example]:
    examples = []
    for intent, (default, texts) in TINY_DATA.items():
        for item in texts:
            text, sentiment = item if isinstance(item, tuple) else (item, default)
            examples.append(Example(text, intent, sentiment))
    return examples


def tiny_nlu_yaml() -> str:
    """The tiny dataset in Rasa's YAML format, sentiment as intent / example metadata."""
    lines = ['version: "3.1"', "nlu:"]
    for intent, (default, texts) in TINY_DATA.items():
        lines += [f"- intent: {intent}", "  metadata:", f"    sentiment: {default}", "  examples:"]
        for item in texts:
            text, sentiment = item if isinstance(item, tuple) else (item, None)
            lines.append(f'  - text: "{text}"')
            if sentiment:
                lines += ["    metadata:", f"      sentiment: {sentiment}"]
    return "\n".join(lines) + "\n"

