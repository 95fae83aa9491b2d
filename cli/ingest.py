"""``coop ingest``: index the synced documents, report each one, exit 1 when one is stale."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from cli.common import settings
from cli.output import console, print_pdf_warnings, print_table

if TYPE_CHECKING:
    from ingest.indexing import IngestReport

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
) -> None:
    """Indexe les documents synchronisés (incrémental : seuls les documents modifiés)."""
    from assistant.factory import build_embedder
    from ingest.indexing import Ingestor, open_index_for_writing

    config = settings()
    store = open_index_for_writing(config)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(),
        transient=True,
    ) as progress:
        task = progress.add_task("Indexation", total=None)

        def on_progress(label: str, done: int, total: int) -> None:
            progress.update(task, description=f"Indexation {label}", completed=done, total=total)

        ingestor = Ingestor(config, build_embedder(config), store, on_progress=on_progress)
        report = ingestor.run(rebuild=rebuild)
    print_report(report)
    if not report.complete and not allow_partial:
        raise typer.Exit(1)


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
