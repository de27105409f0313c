"""Retrieval over the real knowledge base with the packaged encoder."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from rasa_llm.knowledge.encoder import ONNX_FILE, SentenceEncoder, fuse_attention
from rasa_llm.knowledge.index import KnowledgeIndex, product_name_patterns
from rasa_llm.knowledge.kb import CATALOGUE_SOURCE, Passage
from rasa_llm.shared.models import default_encoder_path


@pytest.mark.parametrize(
    "question, passage_ids",
    [
        ("how many days do I have to send an item back", {"return-window"}),
        ("what does express delivery cost", {"shipping-options"}),
        # Not the passage about express delivery abroad, whose customers' questions say "express".
        ("can I pay with american express", {"payment-methods"}),
        ("I forgot my password, help", {"password-reset"}),
        # Both give the sleeping bags' warranty (gear in general, and every product type).
        ("how long is the warranty on a sleeping bag", {"warranty-gear", "warranty-by-type"}),
        ("how much does the ridgeline 2 tent weigh", {"lk-tnt-201"}),
        ("do you deliver abroad", {"international-shipping", "shipping-countries"}),
        ("is your customer service open on sundays", {"support-hours"}),
        ("click and collect?", {"store-pickup"}),
    ],
)
def test_the_passage_that_answers_is_retrieved_first(index: KnowledgeIndex, encoder: SentenceEncoder,
                                                     question: str, passage_ids: set[str]) -> None:
    assert index.query(encoder, question, 3)[0].passage.id in passage_ids


@pytest.mark.parametrize(
    "question",
    ["what is the comfort rating of the emberline 20", "is the emberline 20 warm enough for winter?"],
)
def test_products_the_encoder_confuses_are_told_apart(index: KnowledgeIndex, encoder: SentenceEncoder,
                                                      question: str) -> None:
    def variant(lexical: float, name: float) -> KnowledgeIndex:
        return KnowledgeIndex(index.passages, index.embeddings, index.encoder_identity, lexical, name)

    assert index.query(encoder, question, 1)[0].passage.id == "lk-slp-020"
    # The near-identical "Emberline 35" wins on cosine similarity alone; the name bonus fixes that.
    assert variant(0.0, 0.0).query(encoder, question, 1)[0].passage.id == "lk-slp-035"
    assert variant(0.0, 0.3).query(encoder, question, 1)[0].passage.id == "lk-slp-020"


def test_product_names_are_matched_by_their_distinctive_words() -> None:
    passages = [
        Passage("a", "Stormfront Rain Jacket", "...", CATALOGUE_SOURCE),
        Passage("b", "Stormfront Rain Pants", "...", CATALOGUE_SOURCE),
        Passage("c", "Ridgeline 2 Tent", "...", CATALOGUE_SOURCE),
        Passage("d", "Return window", "...", "returns.md"),
    ]
    patterns = product_name_patterns(passages)

    assert [bool(p and p.search("is the stormfront rain jacket warm")) for p in patterns] == [
        True,
        False,
        False,
        False,
    ]
    assert [bool(p and p.search("price of the ridgeline 2 please")) for p in patterns] == [
        False,
        False,
        True,
        False,
    ]
    assert not any(p and p.search("the ridgeline 20 tent") for p in patterns)


def test_off_topic_questions_score_below_answerable_ones(
    index: KnowledgeIndex, encoder: SentenceEncoder
) -> None:
    answerable = index.query(encoder, "how long do refunds take", 1)[0].score
    off_topic = index.query(encoder, "who won the football game last night", 1)[0].score

    assert off_topic < 0.5 < answerable


def test_each_passage_appears_once_among_the_results(index: KnowledgeIndex, encoder: SentenceEncoder) -> None:
    ids = [hit.passage.id for hit in index.query(encoder, "returns", 10)]
    assert len(ids) == len(set(ids)) == 10


def test_the_index_survives_a_save_and_load(
    tmp_path: Path, index: KnowledgeIndex, encoder: SentenceEncoder
) -> None:
    index.save(tmp_path)
    loaded = KnowledgeIndex.load(tmp_path)

    assert loaded.passages == index.passages
    assert loaded.encoder_identity == encoder.identity
    np.testing.assert_array_equal(loaded.embeddings, index.embeddings)


def test_encoder_vectors_are_unit_length_and_huge_input_is_truncated(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(["hello", "", "tent " * 50_000])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_the_onnx_and_torch_backends_compute_the_same_vectors(encoder: SentenceEncoder) -> None:
    torch_encoder = SentenceEncoder(encoder.model_path, backend="torch")
    texts = ["can I return a worn jacket?", "Standard shipping costs $4.95."]
    similarity = (encoder.encode(texts) * torch_encoder.encode(texts)).sum(axis=1)
    assert similarity.min() > 0.9999


def test_the_exported_encoder_uses_fused_attention(tmp_path: Path) -> None:
    import onnx

    SentenceEncoder(default_encoder_path(), cache_dir=str(tmp_path))
    (exported,) = tmp_path.glob(f"*/{ONNX_FILE}")
    operators = {node.op_type for node in onnx.load(str(exported)).graph.node}
    assert {"Attention", "SkipLayerNormalization"} <= operators


def test_an_encoder_graph_that_cannot_be_fused_is_kept_as_traced(tmp_path: Path, caplog) -> None:
    traced, target = tmp_path / "traced.onnx", tmp_path / "encoder.onnx"
    traced.write_bytes(b"not an onnx graph")
    fuse_attention(traced, target, SimpleNamespace(num_attention_heads=12, hidden_size=384))
    assert target.read_bytes() == b"not an onnx graph"
    assert "Could not fuse" in caplog.text


def test_repeated_texts_are_embedded_once_with_the_same_vectors(encoder: SentenceEncoder, monkeypatch):
    fresh = SentenceEncoder(encoder.model_path)
    texts = ["do you price match?", "Standard shipping costs $4.95.", "do you price match?"]
    first = fresh.encode(texts)
    np.testing.assert_allclose(first[0], first[2])
    embedded: list[str] = []
    compute = fresh._encode
    monkeypatch.setattr(fresh, "_encode", lambda batch, size: embedded.extend(batch) or compute(batch, size))
    again = fresh.encode(["Standard shipping costs $4.95.", "a new question", "do you price match?"])
    assert embedded == ["a new question"]
    np.testing.assert_allclose(again[[0, 2]], first[[1, 0]], atol=1e-6)
    np.testing.assert_allclose(again[1], encoder._encode(["a new question"], 32)[0], atol=1e-6)
    assert fresh.encode([]).shape == (0, 0)


def test_a_message_worded_like_a_customers_question_finds_its_passage(encoder: SentenceEncoder) -> None:
    collection = Passage(
        "collection", "Delivery only", "Every order travels by carrier to the address given.", "a.md"
    )
    gift = Passage("gift", "Gift cards", "Gift cards are sent by email and can be spent on anything.", "a.md")
    message = "can i grab my stuff from your shop myself"

    plain = KnowledgeIndex.build([collection, gift], encoder)
    asked = KnowledgeIndex.build(
        [replace(collection, questions=("can i pick up my order at one of your shops",)), gift], encoder
    )

    best = asked.query(encoder, message, 2)
    assert best[0].passage.id == "collection"
    assert best[0].score > plain.query(encoder, message, 2)[0].score + 0.1
    assert len(asked.embeddings) == 3 and [h.passage.id for h in best].count("collection") == 1
    # A saved index with questions loads with the same rows.
    assert KnowledgeIndex(asked.passages, asked.embeddings, asked.encoder_identity).query(
        encoder, message, 1
    )[0].passage.id == "collection"
