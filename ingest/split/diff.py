"""What the last ``coop corpus sync`` changed (``coop corpus diff``), and per-document dates.

Sync records its state in ``documents/.sync-state.json`` and keeps each replaced file in
``documents/.previous/``. Documents added or removed come from the state; for a changed
document, both versions are split into articles (the chunker's heading detection) and each
changed article gets a short sentence-level diff.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from assistant.errors import CorpusError
from assistant.index.sync_state import read_sync_state
from assistant.text.sentences import sentence_pieces
from ingest.fetch.sync import PREVIOUS_DIR
from ingest.read.loading import load_document
from ingest.split.chunking import parse_article_heading

__all__ = [
    "ArticleChange",
    "CorpusDiff",
    "DocumentChange",
    "diff_corpus",
    "diff_texts",
    "split_articles",
    "unified_diff",
]

WHOLE_TEXT = "texte"
"""Key of the text before the first article heading (the whole text when there is none)."""

_MAX_DIFF_LINES = 12
_MAX_LINE_CHARS = 220

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True, slots=True)
class ArticleChange:
    """One article added, removed or reworded between two versions of a document."""

    article: str
    section: str
    change: ChangeKind
    diff: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DocumentChange:
    """One document added, removed or changed by the last sync."""

    doc_id: str
    change: ChangeKind
    file: str = ""
    articles: list[ArticleChange] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True, slots=True)
class CorpusDiff:
    """Everything the last sync changed; ``synced_at`` is '' when no sync was recorded."""

    synced_at: str
    previous_synced_at: str
    documents: list[DocumentChange]

    @property
    def empty(self) -> bool:
        """True when the last sync changed nothing."""
        return not self.documents


def split_articles(text: str) -> dict[str, tuple[str, str]]:
    """Article reference → (heading as written, text), in document order.

    The text before the first heading is kept under ``WHOLE_TEXT`` (for a page without articles,
    that is the whole text). A reference seen twice gets a numbered key ("L4011-2 (2)").
    """
    parts: dict[str, tuple[str, list[str]]] = {WHOLE_TEXT: ("Début du texte", [])}
    current = WHOLE_TEXT
    for line in text.splitlines():
        heading = parse_article_heading(line)
        if heading is not None:
            current = heading.article
            number = 2
            while current in parts:
                current = f"{heading.article} ({number})"
                number += 1
            parts[current] = (heading.section, [line] if heading.inline else [])
            continue
        parts[current][1].append(line)
    result = {key: (section, "\n".join(lines).strip()) for key, (section, lines) in parts.items()}
    if not result[WHOLE_TEXT][1]:
        del result[WHOLE_TEXT]
    return result


def _units(text: str) -> list[str]:
    """Sentences, one per line: a reworded sentence shows alone, not its whole paragraph."""
    units: list[str] = []
    for line in text.splitlines():
        units += sentence_pieces(line)
    return units


def _short(line: str) -> str:
    return line if len(line) <= _MAX_LINE_CHARS else line[: _MAX_LINE_CHARS - 1] + "…"


def unified_diff(old: str, new: str, *, max_lines: int = _MAX_DIFF_LINES) -> list[str]:
    """Removed (``-``) and added (``+``) sentences, at most ``max_lines`` (then a count)."""
    lines = [
        _short(line)
        for line in difflib.unified_diff(_units(old), _units(new), lineterm="", n=0)
        if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))
    ]
    if len(lines) > max_lines:
        hidden = len(lines) - max_lines
        lines = [*lines[:max_lines], f"… ({hidden} ligne(s) de plus)"]
    return lines


def diff_texts(old: str, new: str) -> list[ArticleChange]:
    """Articles added, removed or reworded from ``old`` to ``new`` (whitespace ignored)."""
    before, after = split_articles(old), split_articles(new)
    changes: list[ArticleChange] = []
    for key, (section, text) in after.items():
        if key not in before:
            changes.append(ArticleChange(key, section, "added", unified_diff("", text)))
        elif " ".join(before[key][1].split()) != " ".join(text.split()):
            changes.append(
                ArticleChange(key, section, "changed", unified_diff(before[key][1], text))
            )
    for key, (section, text) in before.items():
        if key not in after:
            changes.append(ArticleChange(key, section, "removed", unified_diff(text, "")))
    return changes


def _body(path: Path) -> str:
    """Text of a document file without its header (pdf, html and txt alike)."""
    return load_document(path).body


def _document_change(dest: Path, doc_id: str, file_name: str) -> DocumentChange:
    current = dest / file_name
    previous = dest / PREVIOUS_DIR / file_name
    if not previous.is_file():
        candidates = sorted((dest / PREVIOUS_DIR).glob(f"{doc_id}.*"))
        if not candidates:
            note = "version précédente introuvable dans .previous/ : détail indisponible."
            return DocumentChange(doc_id, "changed", file_name, note=note)
        previous = candidates[0]
    try:
        articles = diff_texts(_body(previous), _body(current))
    except CorpusError as err:
        return DocumentChange(doc_id, "changed", file_name, note=f"texte illisible : {err}")
    note = "" if articles else "seule la mise en forme ou l'en-tête a changé."
    return DocumentChange(doc_id, "changed", file_name, articles, note)


def diff_corpus(dest: Path) -> CorpusDiff:
    """What the last sync into ``dest`` changed: documents added, removed, and changed.

    Without a recorded sync state, every document with a version in ``.previous/`` is compared
    (added and removed documents are then unknown).
    """
    state = read_sync_state(dest)
    raw_documents = state.get("documents")
    documents = raw_documents if isinstance(raw_documents, dict) else {}
    changes: list[DocumentChange] = []
    if not state:
        for old in sorted((dest / PREVIOUS_DIR).glob("*")):
            if (dest / old.name).is_file():
                changes.append(_document_change(dest, old.stem, old.name))
        return CorpusDiff("", "", changes)
    for doc_id, entry in sorted(documents.items()):
        if not isinstance(entry, dict):
            continue
        status, file_name = entry.get("status"), str(entry.get("file", ""))
        if status == "new":
            changes.append(DocumentChange(doc_id, "added", file_name))
        elif status == "changed":
            changes.append(_document_change(dest, doc_id, file_name))
    previous = state.get("previous_documents")
    for doc_id in sorted(previous if isinstance(previous, list) else []):
        if doc_id not in documents:
            changes.append(DocumentChange(str(doc_id), "removed"))
    return CorpusDiff(
        str(state.get("synced_at", "")), str(state.get("previous_synced_at", "")), changes
    )
