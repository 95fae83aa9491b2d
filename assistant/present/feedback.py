"""Feedback on answers (👍/👎 and a comment), kept in SQLite for the ARS staff who review them.

One connection per operation, so the store can be shared by Streamlit's session threads; the
database runs in WAL mode with a busy timeout, so concurrent writers wait instead of failing.
"""

from __future__ import annotations

import csv
import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TextIO

from assistant.errors import ConfigError
from assistant.present.rendering import citation_label
from assistant.schema import Answer

logger = logging.getLogger(__name__)

Rating = Literal[-1, 1]

MAX_COMMENT_CHARS = 2000
_BUSY_TIMEOUT_S = 30.0
# Spreadsheets run cells starting with these as formulas; user text must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    conversation_id TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    refused INTEGER NOT NULL,
    backend TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT ''
)
"""

CSV_COLUMNS = (
    "id",
    "date",
    "conversation",
    "avis",
    "commentaire",
    "question",
    "réponse",
    "refus",
    "sources",
    "générateur",
)


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """One stored opinion on one answer."""

    id: int
    created_at: str
    conversation_id: str
    question: str
    answer: str
    citations: list[str]
    refused: bool
    backend: str
    rating: Rating
    comment: str


class FeedbackStore:
    """SQLite table of feedback rows; the file and its folder are created on first write."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S)) as conn:
                _use_wal(conn)
                conn.execute(_SCHEMA)
                with conn:  # one transaction: committed on success, rolled back on error
                    yield conn
        except (sqlite3.Error, OSError) as err:
            raise ConfigError(
                f"Impossible d'utiliser la base des avis {self.path} (COOP_FEEDBACK_DB) : {err}"
            ) from err

    def record(
        self, answer: Answer, rating: Rating, *, comment: str = "", conversation_id: str = ""
    ) -> int:
        """Store an opinion with the question, answer and citations; returns the row id."""
        citations = [
            {"label": citation_label(c), "url": c.url, "quote": c.quote} for c in answer.citations
        ]
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO feedback (created_at, conversation_id, question, answer, citations,"
                " refused, backend, rating, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    conversation_id,
                    answer.question,
                    answer.text,
                    json.dumps(citations, ensure_ascii=False),
                    int(answer.refused),
                    answer.backend,
                    _checked(rating),
                    comment[:MAX_COMMENT_CHARS],
                ),
            )
            row_id = cursor.lastrowid
        assert row_id is not None
        logger.info("feedback %d recorded (rating %d)", row_id, rating)
        return row_id

    def update(
        self, row_id: int, *, rating: Rating | None = None, comment: str | None = None
    ) -> None:
        """Change the rating or the comment of a stored row (the user changed their mind)."""
        with self._connect() as conn:
            if rating is not None:
                conn.execute(
                    "UPDATE feedback SET rating = ? WHERE id = ?", (_checked(rating), row_id)
                )
            if comment is not None:
                conn.execute(
                    "UPDATE feedback SET comment = ? WHERE id = ?",
                    (comment[:MAX_COMMENT_CHARS], row_id),
                )

    def records(self) -> list[FeedbackRecord]:
        """Every row, oldest first (empty when nothing was ever recorded)."""
        if not self.path.exists():
            return []
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, created_at, conversation_id, question, answer, citations, refused,"
                " backend, rating, comment FROM feedback ORDER BY id"
            ).fetchall()
        return [
            FeedbackRecord(
                id=row[0],
                created_at=row[1],
                conversation_id=row[2],
                question=row[3],
                answer=row[4],
                citations=[_source_line(c) for c in json.loads(row[5])],
                refused=bool(row[6]),
                backend=row[7],
                rating=_checked(row[8]),
                comment=row[9],
            )
            for row in rows
        ]


def _use_wal(conn: sqlite3.Connection) -> None:
    """Put the database in WAL mode.

    Switching a new database to WAL does not wait on the busy timeout: two first connections
    at once got "database is locked" (15 fresh databases in 200 under 4 threads). The switch is
    retried for as long as the busy timeout would have waited.
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _checked(rating: int) -> Rating:
    if rating == 1:
        return 1
    if rating == -1:
        return -1
    raise ValueError(f"rating must be 1 or -1, got {rating!r}")


def _source_line(citation: dict[str, str]) -> str:
    url = citation.get("url", "")
    return citation.get("label", "") + (f" <{url}>" if url else "")


def spreadsheet_safe(text: str) -> str:
    """Text that a spreadsheet will not run as a formula (a leading quote is added)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(records: list[FeedbackRecord], out: TextIO, *, delimiter: str = ";") -> int:
    """Write the rows as CSV (one line per opinion, French headers); returns the row count."""
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        cells = [
            str(record.id),
            record.created_at,
            record.conversation_id,
            "👍" if record.rating == 1 else "👎",
            record.comment,
            record.question,
            record.answer,
            "oui" if record.refused else "non",
            "\n".join(record.citations),
            record.backend,
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return len(records)
