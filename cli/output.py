"""What the commands share for printing: the console, tables, French labels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

import cli

if TYPE_CHECKING:
    from ingest.indexing import PassageProgress

WAITING = "Une autre indexation est en cours sur cet index ; attente…"
"""Printed while another ``coop ingest`` holds the index lock."""


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


def plan_message(event: PassageProgress) -> str:
    """« N passages à calculer, environ … » (empty when there is nothing to compute)."""
    if not event.total:
        return ""
    count = f"{event.total} passage{'s' if event.total > 1 else ''} à calculer"
    if event.passages_per_s is None:
        return f"{count} ; durée estimée après le premier lot."
    return (
        f"{count}, environ {duration_text(event.seconds_left or 0)} (débit mesuré lors d'une "
        f"indexation précédente : {speed_text(event.passages_per_s)} passages/s)."
    )


def duration_text(seconds: float) -> str:
    """A duration for a reader, rounded: ``40 s``, ``12 min``, ``2 h 05``."""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d}"


def speed_text(passages_per_s: float) -> str:
    """``7,7``: one decimal, French comma."""
    return f"{passages_per_s:.1f}".replace(".", ",")
