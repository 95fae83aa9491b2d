"""Tables as text that chunks well: one line per row, each value with its column header."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["markdown_tables_as_rows", "table_rows"]

_SEPARATOR_ROW = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


def table_rows(rows: Sequence[Sequence[str]]) -> list[str]:
    """One line per data row (« Acte : Bilan — Délai : 48 heures »); the first row is the header.

    A table of one row, or whose header is empty, gives its cells joined with « — ».
    """
    cleaned = [
        [" ".join(cell.split()) for cell in row] for row in rows if any(c.strip() for c in row)
    ]
    if not cleaned:
        return []
    header, body = cleaned[0], cleaned[1:]
    if not body or not any(header):
        return [" — ".join(cell for cell in row if cell) for row in cleaned]
    lines = []
    for row in body:
        pairs = [
            f"{name} : {value}" if name and name != value else value
            for name, value in zip(header, row, strict=False)
            if value
        ]
        if pairs:
            lines.append(" — ".join(pairs))
    return lines


def markdown_tables_as_rows(text: str) -> str:
    """Replace each Markdown pipe table in ``text`` by ``table_rows``, one paragraph per row."""
    out: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            out.append("\n\n".join(table_rows(table)))
            table.clear()

    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("|"):
            if not _SEPARATOR_ROW.match(stripped):
                table.append([cell.strip() for cell in stripped.strip("|").split("|")])
            continue
        flush()
        out.append(line)
    flush()
    return "\n".join(out)
