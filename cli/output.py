"""What the commands share for printing: the console, tables, French labels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from rich.console import Console
from rich.table import Table

import cli


def console() -> Console:
    """The console to print to, looked up at call time (tests replace ``cli.console``)."""
    return cli.console


def print_table(title: str | None, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A titled table of plain strings."""
    table = Table(*header, title=title)
    for row in rows:
        table.add_row(*row)
    console().print(table)


def print_pdf_warnings(pdf_warnings: Mapping[str, int]) -> None:
    """One line per PDF in which pypdf found recoverable defects (details with --verbose)."""
    for name, count in sorted(pdf_warnings.items()):
        plural = "avertissements" if count > 1 else "avertissement"
        console().print(f"{count} {plural} pypdf pour {name}", markup=False, highlight=False)
