"""Load the knowledge base: Markdown passages written by designers and the product catalogue.

Markdown files hold one passage per `## Title {#id}` heading (see data/knowledge/README.md);
`products.yml` (the shop's catalogue) yields one passage per product and one overview per category;
a YAML file with a `questions` mapping (`questions.yml`) lists, per passage id, questions customers ask
that the passage answers: retrieval matches a message against them as well as against the passage.
Long passages are split into parts of at most `max_words` words at sentence boundaries, so that
each embedded text stays inside the encoder's window; every part keeps its passage's id for citing.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from rasa_llm.knowledge.text import normalize_whitespace, split_sentences
from rasa_llm.shared.hashing import hash_files

MARKDOWN_SUFFIXES = (".md", ".markdown")
YAML_SUFFIXES = (".yml", ".yaml")
# Documentation for designers living next to the passages; never indexed.
IGNORED_FILE_NAMES = {"readme.md"}
CATALOGUE_SOURCE = "catalogue"

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*(?:\{#([A-Za-z0-9][\w.-]*)\})?\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")


class KnowledgeBaseError(ValueError):
    """The knowledge base is missing, empty or malformed (the message names the file)."""


@dataclass(frozen=True)
class Passage:
    """A retrievable text. `id` is the citation id; parts of one long passage share it."""

    id: str
    title: str
    text: str
    source: str
    part: int = 0
    # Questions customers ask that this passage answers (questions.yml); on the first part only.
    questions: tuple[str, ...] = ()

    def embedding_text(self) -> str:
        # The title carries the topic words customers use ("Return window"), so it is embedded too.
        return f"{self.title}. {self.text}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "source": self.source,
            "part": self.part,
            "questions": list(self.questions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        return cls(
            id=str(data["id"]),
            title=str(data["title"]),
            text=str(data["text"]),
            source=str(data.get("source", "")),
            part=int(data.get("part", 0)),
            questions=tuple(str(q) for q in data.get("questions", ())),
        )


def slugify(text: str) -> str:
    return _SLUG_DROP.sub("-", text.lower()).strip("-")


def knowledge_files(path: Path) -> list[Path]:
    """The indexed files under `path` (a folder or a single file), in a stable order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise KnowledgeBaseError(f"The knowledge base path '{path}' does not exist.")
    return sorted(
        file
        for file in path.rglob("*")
        if file.is_file()
        and file.suffix.lower() in MARKDOWN_SUFFIXES + YAML_SUFFIXES
        and file.name.lower() not in IGNORED_FILE_NAMES
    )


def fingerprint_knowledge_base(path: Path) -> str:
    """A hash of the indexed files' names and contents: changes exactly when the index must."""
    try:
        files = knowledge_files(path)
    except KnowledgeBaseError:
        return f"missing:{path}"
    return hash_files(
        files, name=lambda file: file.name if path.is_file() else file.relative_to(path).as_posix()
    )


def parse_markdown(text: str, source: str) -> list[Passage]:
    """Passages of one Markdown file: each `##` (or deeper) heading starts one."""
    passages: list[Passage] = []
    title = ""
    passage_id = ""
    lines: list[str] = []

    def close() -> None:
        body = _join_lines(lines)
        if title and body:
            passages.append(Passage(id=passage_id, title=title, text=body, source=source))
        elif title:
            raise KnowledgeBaseError(f"{source}: the passage '{title}' has no text.")

    for line in _COMMENT.sub("", text).splitlines():
        heading = _HEADING.match(line)
        if heading:
            close()
            lines = []
            level, heading_title, explicit_id = heading.groups()
            # A top-level "# Heading" groups passages and is not one itself.
            title = heading_title if len(level) > 1 else ""
            passage_id = explicit_id or slugify(heading_title)
        elif title:
            lines.append(line)
    close()
    return passages


def _join_lines(lines: Sequence[str]) -> str:
    """Paragraph lines joined with spaces; each bullet point becomes its own sentence."""
    sentences: list[str] = []
    paragraph: list[str] = []
    for line in lines:
        if _BULLET.match(line):
            sentences.append(" ".join(paragraph))
            paragraph = [_BULLET.sub("", line)]
        elif line.strip():
            paragraph.append(line.strip())
        else:
            sentences.append(" ".join(paragraph))
            paragraph = []
    sentences.append(" ".join(paragraph))
    parts = [normalize_whitespace(sentence) for sentence in sentences if sentence.strip()]
    return " ".join(part if part[-1] in ".!?:" else part + "." for part in parts)


def _format_price(value: Any) -> str:
    return f"${float(value):,.2f}"


def _format_spec_name(name: str) -> str:
    return str(name).replace("_", " ")


def catalogue_passages(catalogue: dict[str, Any], source: str) -> list[Passage]:
    """One passage per product and one overview per category from a products.yml document."""
    products = catalogue.get("products")
    if not isinstance(products, list) or not products:
        raise KnowledgeBaseError(f"{source}: expected a non-empty 'products' list.")
    passages: list[Passage] = []
    categories: dict[str, list[str]] = {}
    for index, product in enumerate(products):
        if not isinstance(product, dict) or not all(key in product for key in ("sku", "name", "price")):
            raise KnowledgeBaseError(f"{source}: product #{index + 1} needs at least sku, name and price.")
        name = str(product["name"])
        category = str(product.get("category", "other"))
        price = _format_price(product["price"])
        sentences = [f"{name} (SKU {product['sku']}) is one of our {category} and costs {price}."]
        if product.get("description"):
            sentences.append(str(product["description"]).strip())
        if product.get("sizes"):
            sentences.append("Sizes: " + ", ".join(str(size) for size in product["sizes"]) + ".")
        if product.get("colors"):
            sentences.append("Colors: " + ", ".join(str(color) for color in product["colors"]) + ".")
        specs = product.get("specs") or {}
        if specs:
            details = "; ".join(f"{_format_spec_name(key)} {value}" for key, value in specs.items())
            sentences.append(f"Specs: {details}.")
        passages.append(
            Passage(
                id=str(product["sku"]).lower(), title=name, text=" ".join(sentences), source=CATALOGUE_SOURCE
            )
        )
        categories.setdefault(category, []).append(f"{name} ({price})")
    for category, items in categories.items():
        passages.append(
            Passage(
                id=f"category-{slugify(category)}",
                title=f"{category.capitalize()} we sell",
                text=f"Our {category}: " + ", ".join(items) + ".",
                source=CATALOGUE_SOURCE,
            )
        )
    return passages


def load_knowledge_base(path: Path) -> list[Passage]:
    """All passages under `path`, with unique ids and their customers' questions; raises
    KnowledgeBaseError on bad input."""
    passages: list[Passage] = []
    questions: dict[str, tuple[str, list[str]]] = {}
    for file in knowledge_files(path):
        source = file.name
        try:
            content = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise KnowledgeBaseError(f"{source} is not UTF-8 text: {error}") from error
        if file.suffix.lower() in MARKDOWN_SUFFIXES:
            passages.extend(parse_markdown(content, source))
            continue
        try:
            document = yaml.safe_load(content)
        except yaml.YAMLError as error:
            raise KnowledgeBaseError(f"{source} is not valid YAML: {error}") from error
        if not isinstance(document, dict):
            raise KnowledgeBaseError(f"{source}: expected a mapping with a 'products' or 'questions' key.")
        if "questions" in document:
            for passage_id, asked in _asked_questions(document["questions"], source).items():
                if passage_id in questions:
                    first = questions[passage_id][0]
                    raise KnowledgeBaseError(
                        f"{source}: questions for '{passage_id}' are listed in {first} too."
                    )
                questions[passage_id] = (source, asked)
        else:
            passages.extend(catalogue_passages(document, source))
    if not passages:
        raise KnowledgeBaseError(f"The knowledge base '{path}' has no passages.")
    _check_unique_ids(passages)
    return _with_questions(passages, questions)


def _asked_questions(mapping: Any, source: str) -> dict[str, list[str]]:
    """A `questions` mapping of passage id -> list of question strings, validated."""
    if not isinstance(mapping, dict):
        raise KnowledgeBaseError(f"{source}: 'questions' must map passage ids to lists of questions.")
    asked: dict[str, list[str]] = {}
    for passage_id, items in mapping.items():
        if not isinstance(items, list) or not all(isinstance(q, str) and q.strip() for q in items):
            raise KnowledgeBaseError(
                f"{source}: the questions for '{passage_id}' must be a list of non-empty strings."
            )
        asked[str(passage_id)] = [normalize_whitespace(q) for q in items]
    return asked


def _with_questions(
    passages: list[Passage], questions: dict[str, tuple[str, list[str]]]
) -> list[Passage]:
    ids = {p.id for p in passages}
    unknown = sorted(set(questions) - ids)
    if unknown:
        source = questions[unknown[0]][0]
        raise KnowledgeBaseError(
            f"{source}: questions are listed for passage ids that do not exist: {', '.join(unknown)}."
        )
    return [
        replace(p, questions=tuple(questions[p.id][1])) if p.id in questions else p for p in passages
    ]


def _check_unique_ids(passages: Iterable[Passage]) -> None:
    seen: dict[str, str] = {}
    for passage in passages:
        if passage.id in seen:
            raise KnowledgeBaseError(
                f"The passage id '{passage.id}' is used twice ({seen[passage.id]} and {passage.source})."
            )
        seen[passage.id] = passage.source


def chunk_passages(passages: Iterable[Passage], max_words: int) -> list[Passage]:
    """Split passages longer than `max_words` into parts (numbered from 1) at sentence boundaries."""
    if max_words < 1:
        raise ValueError("max_words must be at least 1.")
    chunks: list[Passage] = []
    for passage in passages:
        if len(passage.text.split()) <= max_words:
            chunks.append(passage)
            continue
        groups: list[list[str]] = [[]]
        for sentence in split_sentences(passage.text):
            if groups[-1] and len(" ".join(groups[-1] + [sentence]).split()) > max_words:
                groups.append([])
            groups[-1].append(sentence)
        chunks.extend(
            Passage(
                id=passage.id,
                title=passage.title,
                text=" ".join(group),
                source=passage.source,
                part=number,
                questions=passage.questions if number == 1 else (),
            )
            for number, group in enumerate(groups, start=1)
        )
    return chunks
