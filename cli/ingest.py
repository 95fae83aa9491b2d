"""``coop ingest``: index the synced documents, report each one, exit 1 when one is stale.

Before embedding, it says how many passages must be computed and about how long that takes (at
the speed measured last time, kept beside the index, else after the first batch), then shows a
progress bar with the time remaining. One ingestion at a time per index: a second one waits
(or, with ``--no-wait``, exits with code 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from cli.common import settings
from cli.output import (
    WAITING,
    console,
    duration_text,
    plan_message,
    print_pdf_warnings,
    print_table,
    speed_text,
)

if TYPE_CHECKING:
    from ingest.indexing import IngestReport, PassageProgress


LABELS = {
    "new": "nouveau",
    "changed": "modifié",
    "unchanged": "inchangé",
    "removed": "retiré",
    "absent": "non synchronisé",
    "duplicate": "doublon",
    "failed": "ÉCHEC",
}


def ingest(
    rebuild: Annotated[
        bool,
        typer.Option(
            help="Tout recalculer dans un nouvel index (l'actuel reste servi jusqu'à la fin)."
        ),
    ] = False,
    allow_partial: Annotated[
        bool,
        typer.Option(
            help="Sortir avec le code 0 même si des documents ont échoué ou si leur fichier "
            "manque (leur version précédente reste servie)."
        ),
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Si une autre indexation est en cours sur cet index : attendre sa fin "
            "(défaut), ou sortir tout de suite avec le code 1.",
        ),
    ] = True,
) -> None:
    """Indexe les documents synchronisés (incrémental : seuls les documents modifiés)."""
    from assistant.factory import build_embedder
    from ingest.indexing import Ingestor, index_lock, open_index_for_writing

    config = settings()
    with index_lock(config, wait=wait, on_wait=lambda: console().print(WAITING)):
        # Opened once the lock is held: what the other run wrote is seen, and not redone.
        store = open_index_for_writing(config)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console(),
            transient=True,
        ) as progress:
            shown = IngestProgress(progress)
            ingestor = Ingestor(
                config,
                build_embedder(config),
                store,
                on_progress=shown.on_document,
                on_passages=shown.on_passages,
            )
            report = ingestor.run(rebuild=rebuild)
    print_report(report)
    if not report.complete and not allow_partial:
        raise typer.Exit(1)


class IngestProgress:
    """The bars of an ingestion: documents read, then passages computed with the time left."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._reading = progress.add_task("Lecture des documents", total=None)
        self._computing: TaskID | None = None
        self._announced = False
        self._speed_told = False

    def on_document(self, label: str, done: int, total: int) -> None:
        """Reading and splitting the changed documents (before any embedding)."""
        description = f"Lecture {label}" if label else "Lecture des documents"
        self._progress.update(self._reading, description=description, completed=done, total=total)

    def on_passages(self, event: PassageProgress) -> None:
        """The count announced before embedding, then each batch of passages computed."""
        if not self._announced:
            self._announced = True
            self._speed_told = event.passages_per_s is not None
            message = plan_message(event)
            if message:
                self._progress.console.print(message)
            if not event.total:
                return
        if self._computing is None:
            self._computing = self._progress.add_task("Calcul des passages", total=event.total)
        label = "Calcul des passages" + (f" ({event.document})" if event.document else "")
        self._progress.update(
            self._computing, description=label, completed=event.done, total=event.total
        )
        if event.done and not self._speed_told and event.passages_per_s:
            self._speed_told = True
            self._progress.console.print(
                f"Débit du premier lot : {speed_text(event.passages_per_s)} passages/s, "
                f"environ {duration_text(event.seconds_left or 0)} restantes."
            )


def print_report(report: IngestReport) -> None:
    """Each document's outcome, the totals, then what went wrong (one line each)."""
    print_table(
        "Indexation",
        ("Document", "État", "Passages", "Détail"),
        (
            (o.doc_id, LABELS[o.status], str(o.chunks), o.reason)
            for o in report.outcomes
            if o.status != "absent"
        ),
    )
    out = console()
    unsynced = [o.doc_id for o in report.outcomes if o.status == "absent" and not o.kept]
    if unsynced:
        out.print(
            f"{len(unsynced)} source(s) jamais synchronisée(s), donc non indexée(s) "
            f"(lancez `coop corpus sync`) : {', '.join(unsynced)}",
            markup=False,
        )
    print_table(
        None,
        ("Documents indexés", "Passages", "Passages calculés", "Réutilisés", "Secondes"),
        [
            (
                str(report.documents),
                str(report.total_chunks),
                str(report.embedded_chunks),
                str(report.reused_vectors),
                f"{report.seconds:.1f}",
            )
        ],
    )
    print_pdf_warnings(report.pdf_warnings)
    for failure in report.failures:
        out.print(Text.assemble(("Échec", "red"), f" {failure.doc_id} : {failure.reason}"))
    for missing in report.missing:
        out.print(Text.assemble(("Fichier absent", "red"), f" {missing.doc_id} : {missing.reason}"))
