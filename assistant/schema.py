"""Plain values passed between the parts, and the Protocols of the swappable parts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

MetadataValue = str | int | float | bool
_Record = TypeVar("_Record")
# Field annotations (strings, under ``from __future__ import annotations``) → converter, zero.
_CONVERTERS: dict[str, tuple[Any, Any]] = {"str": (str, ""), "int": (int, 0), "bool": (bool, False)}


def from_metadata(cls: type[_Record], meta: Mapping[str, MetadataValue], **given: Any) -> _Record:
    """A dataclass rebuilt from flat stored metadata: the one metadata → record converter.

    Each field takes ``given[name]``, else ``meta[name]`` converted to the field's type, else
    the field's default (or the type's zero: "", 0, False).
    """
    values: dict[str, Any] = {}
    for spec in fields(cls):  # type: ignore[arg-type]
        if spec.name in given:
            values[spec.name] = given[spec.name]
            continue
        convert, zero = _CONVERTERS[str(spec.type)]
        default = zero if spec.default is MISSING else spec.default
        values[spec.name] = convert(meta.get(spec.name, default))
    return cls(**values)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a source document, ready to embed and index."""

    id: str
    text: str
    doc_id: str
    title: str
    kind: str
    date: str
    official_url: str
    section: str
    article: str
    page: int
    start: int
    end: int
    chunk_index: int
    content_hash: str
    doc_hash: str
    status: str = ""
    complete: bool = True
    article_date: str = ""
    page_end: int = 0
    """Last page of the passage when it runs over a page break (0: same as ``page``)."""
    origin: str = "official"
    """``official`` (the project's catalogue) or ``local`` (added by the user)."""

    @property
    def indexed_text(self) -> str:
        """Text given to the embedder and the lexical index: the passage in its document context."""
        heading = self.section if self.section and self.section not in self.text[:200] else ""
        return "\n".join(part for part in (self.title, heading, self.text) if part)

    def metadata(self) -> dict[str, MetadataValue]:
        """Flat metadata as stored in Chroma (no nested values, no None)."""
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "kind": self.kind,
            "date": self.date,
            "official_url": self.official_url,
            "section": self.section,
            "article": self.article,
            "page": self.page,
            "start": self.start,
            "end": self.end,
            "chunk_index": self.chunk_index,
            "content_hash": self.content_hash,
            "doc_hash": self.doc_hash,
            "status": self.status,
            "complete": self.complete,
            "article_date": self.article_date,
            "page_end": self.page_end,
            "origin": self.origin,
        }

    @classmethod
    def from_stored(cls, chunk_id: str, text: str, meta: Mapping[str, MetadataValue]) -> Chunk:
        """Rebuild a chunk from what Chroma returns."""
        return from_metadata(cls, meta, id=chunk_id, text=text)


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved chunk with its fused score (higher is better) and the per-retriever ranks."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None
    exact_reference: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    """One chat turn."""

    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class Citation:
    """A numbered source of an answer: which passage, where it is, and the quoted text."""

    n: int
    doc_id: str
    title: str
    section: str
    page: int
    url: str
    quote: str
    kind: str = ""
    date: str = ""
    status: str = ""
    origin: str = "official"
    """``local`` for a document the user added: show ``origin_label(origin)`` beside it."""
    page_end: int = 0
    """Last page when the passage runs over a page break (0: only ``page``)."""

    def passage_in(self, hits: Sequence[Hit]) -> Hit | None:
        """The hit this citation quotes: same document, section and page, its quote in the text.

        The first passage of that place when none holds the quote; None when none is there.
        """
        same_place = [
            hit
            for hit in hits
            if hit.chunk.doc_id == self.doc_id
            and hit.chunk.section == self.section
            and hit.chunk.page == self.page
        ]
        quote = " ".join(self.quote.split())[:60]
        for hit in same_place:
            if quote and quote in " ".join(hit.chunk.text.split()):
                return hit
        return same_place[0] if same_place else None

    @classmethod
    def from_hit(cls, n: int, hit: Hit, quote: str) -> Citation:
        """Citation number ``n`` of a retrieved passage, quoting ``quote`` from it."""
        chunk = hit.chunk
        return cls(
            n=n,
            doc_id=chunk.doc_id,
            title=chunk.title,
            section=chunk.section,
            page=chunk.page,
            url=chunk.official_url,
            quote=quote,
            kind=chunk.kind,
            date=chunk.article_date or chunk.date,
            status=chunk.status,
            origin=chunk.origin,
            page_end=chunk.page_end,
        )


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One thing to check, with the number of the source it comes from."""

    text: str
    n: int
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChecklistSection:
    """Items of one category ("conditions", "documents", "steps", "deadlines")."""

    category: str
    title: str
    items: list[ChecklistItem]


@dataclass(frozen=True, slots=True)
class Checklist:
    """A structured answer; ``citations`` numbers every source an item refers to."""

    question: str
    sections: list[ChecklistSection]
    citations: list[Citation]
    notes: list[str]

    @property
    def empty(self) -> bool:
        """True when no item could be taken from the passages."""
        return not any(section.items for section in self.sections)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the assistant returns; the CLI, the app and the evaluation render this same object."""

    question: str
    text: str
    citations: list[Citation]
    refused: bool
    passages: list[Hit]
    standalone_question: str = ""
    notice: str = ""
    backend: str = "extractive"
    timings: dict[str, float] = field(default_factory=dict)
    divergences: list[str] = field(default_factory=list)
    """Where cited sources of different authority give different figures (French notes)."""
    checklist: Checklist | None = None
    """Conditions, documents, steps and deadlines, when the question asked for a checklist."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors; same method names as langchain_core ``Embeddings``."""

    @property
    def model_id(self) -> str:
        """Identifier recorded in the index, so an index is never queried with another model."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """One L2-normalized vector per text, all of the same dimension."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """One L2-normalized vector for a question, same dimension as the documents."""
        ...


@runtime_checkable
class SpanEmbedder(Embedder, Protocol):
    """An embedder that also gives vectors of parts of a question from the same model pass."""

    def embed_query_spans(
        self, text: str, spans: Sequence[tuple[int, int]]
    ) -> tuple[list[float], list[list[float]]]:
        """``embed_query(text)``, and one vector per character span (none if it cannot)."""
        ...


class Generator(Protocol):
    """A chat model backend."""

    name: str

    def generate(self, messages: Sequence[Message]) -> str:
        """Return the model's reply; raises GenerationError, never returns an empty string."""
        ...


def date_number(date: str) -> int:
    """``YYYY-MM-DD`` as an integer (Chroma compares numbers only); 0 when unknown."""
    digits = date.replace("-", "")[:8]
    # isdigit() alone is true for "²" or "①", which int() refuses.
    return int(digits.ljust(8, "0")) if digits.isascii() and digits.isdigit() else 0


def is_historical(status: str) -> bool:
    """True for a superseded text ("historique…"); a closed call for proposals is not one."""
    return status.strip().lower().startswith("historique")


def is_in_force(status: str) -> bool:
    """False for historical or closed texts."""
    return not (is_historical(status) or status.strip().lower().startswith("clos"))
