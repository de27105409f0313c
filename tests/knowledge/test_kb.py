"""Loading the knowledge base: Markdown passages, the product catalogue, chunking, fingerprints."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rasa_llm.knowledge.kb import (
    CATALOGUE_SOURCE,
    KnowledgeBaseError,
    chunk_passages,
    fingerprint_knowledge_base,
    load_knowledge_base,
    parse_markdown,
)
from tests.knowledge.conftest import KNOWLEDGE

MARKDOWN = """<!-- a note for designers, not a passage -->
# Returns

## Return window {#return-window}
You can return items within
30 days of delivery.

## Items that cannot be returned
- Final-sale items
- Gift cards
"""


def test_markdown_passages_take_their_id_from_the_heading_or_the_title() -> None:
    passages = parse_markdown(MARKDOWN, "returns.md")

    assert [p.id for p in passages] == ["return-window", "items-that-cannot-be-returned"]
    assert passages[0].title == "Return window"
    assert passages[0].text == "You can return items within 30 days of delivery."
    # Bullets become sentences; the top-level heading and the comment are no passages.
    assert passages[1].text == "Final-sale items. Gift cards."


def test_a_heading_without_text_is_an_error_that_names_the_file() -> None:
    with pytest.raises(KnowledgeBaseError, match="faq.md.*Empty"):
        parse_markdown("## Empty {#empty}\n\n## Next\ntext", "faq.md")


def test_the_real_knowledge_base_has_policy_and_catalogue_passages() -> None:
    passages = load_knowledge_base(KNOWLEDGE)
    catalogue = yaml.safe_load((KNOWLEDGE / "products.yml").read_text())["products"]
    products = [p for p in passages if p.source == CATALOGUE_SOURCE and not p.id.startswith("category-")]

    assert len(passages) >= 60
    assert len(products) == len(catalogue)
    tent = next(p for p in passages if p.id == "lk-tnt-201")
    assert "$289.00" in tent.text and "2-person" in tent.text and "1.9 kg" in tent.text
    assert {"return-window", "shipping-options", "payment-methods", "warranty-gear", "password-reset"} <= {
        p.id for p in passages
    }
    assert "README" not in {p.source for p in passages}


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("## One {#same}\ntext\n")
    (tmp_path / "b.md").write_text("## Two {#same}\ntext\n")

    with pytest.raises(KnowledgeBaseError, match="'same' is used twice"):
        load_knowledge_base(tmp_path)


@pytest.mark.parametrize(
    "files, message",
    [
        ({}, "no passages"),
        ({"products.yml": "products: [oops"}, "not valid YAML"),
        ({"products.yml": "products:\n  - {name: No Sku}\n"}, "needs at least sku, name and price"),
        ({"notes.md": b"\xff\xfe bad bytes"}, "not UTF-8"),
    ],
)
def test_malformed_knowledge_bases_get_clear_errors(tmp_path: Path, files: dict, message: str) -> None:
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)

    with pytest.raises(KnowledgeBaseError, match=message):
        load_knowledge_base(tmp_path)


def test_a_missing_path_is_an_error() -> None:
    with pytest.raises(KnowledgeBaseError, match="does not exist"):
        load_knowledge_base(Path("/nonexistent/knowledge"))


def test_long_passages_are_split_at_sentences_and_keep_their_id() -> None:
    sentence = "This sentence has exactly eight words in it."
    passage = parse_markdown("## Long {#long}\n" + " ".join([sentence] * 5), "x.md")[0]

    parts = chunk_passages([passage], max_words=20)

    assert [p.part for p in parts] == [1, 2, 3]
    assert {p.id for p in parts} == {"long"}
    assert all(len(p.text.split()) <= 20 for p in parts)
    assert " ".join(p.text for p in parts) == passage.text


def test_the_fingerprint_follows_the_indexed_files_only(tmp_path: Path) -> None:
    (tmp_path / "faq.md").write_text("## Hours {#hours}\nOpen daily.\n")
    before = fingerprint_knowledge_base(tmp_path)

    (tmp_path / "README.md").write_text("notes for designers")
    assert fingerprint_knowledge_base(tmp_path) == before

    (tmp_path / "faq.md").write_text("## Hours {#hours}\nOpen on weekdays.\n")
    assert fingerprint_knowledge_base(tmp_path) != before


QUESTIONS = """questions:
  return-window:
  - how long do i have to send it back
  - "return deadline?"
"""


def test_customers_questions_are_attached_to_their_passages(tmp_path: Path) -> None:
    (tmp_path / "returns.md").write_text(MARKDOWN)
    (tmp_path / "questions.yml").write_text(QUESTIONS)

    passages = {p.id: p for p in load_knowledge_base(tmp_path)}

    assert passages["return-window"].questions == ("how long do i have to send it back", "return deadline?")
    assert passages["items-that-cannot-be-returned"].questions == ()


@pytest.mark.parametrize(
    "questions, message",
    [
        ("questions:\n  no-such-passage:\n  - where is it\n", "do not exist: no-such-passage"),
        ("questions:\n  return-window: how long\n", "must be a list of non-empty strings"),
        ("questions:\n  return-window:\n  - ''\n", "must be a list of non-empty strings"),
        ("questions: [a, b]\n", "must map passage ids"),
    ],
)
def test_malformed_questions_get_clear_errors(tmp_path: Path, questions: str, message: str) -> None:
    (tmp_path / "returns.md").write_text(MARKDOWN)
    (tmp_path / "questions.yml").write_text(questions)

    with pytest.raises(KnowledgeBaseError, match=message):
        load_knowledge_base(tmp_path)


def test_a_split_passage_keeps_its_questions_on_its_first_part() -> None:
    sentence = "This sentence has exactly eight words in it."
    passage = parse_markdown("## Long {#long}\n" + " ".join([sentence] * 5), "x.md")[0]
    asked = passage.__class__(**{**passage.__dict__, "questions": ("is it long",)})

    parts = chunk_passages([asked], max_words=20)

    assert [p.questions for p in parts] == [("is it long",), (), ()]


def test_every_passage_of_the_real_knowledge_base_lists_questions_customers_ask() -> None:
    passages = [p for p in load_knowledge_base(KNOWLEDGE) if p.source != CATALOGUE_SOURCE]

    assert passages and all(len(p.questions) >= 5 for p in passages), [
        p.id for p in passages if len(p.questions) < 5
    ]
