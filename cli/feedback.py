"""``coop feedback``: the 👍/👎 left in the chat, for the ARS reviewers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cli.common import settings
from cli.output import console

app = typer.Typer(
    help="Avis des utilisateurs du chat sur les réponses (relecture ARS).", no_args_is_help=True
)


@app.command("export")
def feedback_export(
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Format CSV pour un tableur (sinon un tableau lisible).")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Fichier à écrire (défaut : l'écran).")
    ] = None,
    separator: Annotated[
        str, typer.Option(help="Séparateur CSV (« ; » pour un tableur en français).")
    ] = ";",
) -> None:
    """Exporte les avis 👍/👎 : date, question, réponse, sources et commentaire."""
    from assistant.present.feedback import FeedbackStore, write_csv

    if len(separator) != 1:
        raise typer.BadParameter(
            "le séparateur doit être un seul caractère.", param_hint="--separator"
        )
    config = settings()
    records = FeedbackStore(config.feedback_db).records()
    if as_csv:
        if output is None:
            write_csv(records, sys.stdout, delimiter=separator)
            return
        # utf-8-sig: the BOM makes spreadsheets read the accents correctly.
        with output.open("w", encoding="utf-8-sig", newline="") as out:
            count = write_csv(records, out, delimiter=separator)
        console().print(f"{count} avis exportés dans {output}.")
        return
    table = Table("N°", "Date", "Avis", "Question", "Commentaire", title="Avis sur les réponses")
    for record in records:
        rating = "👍" if record.rating == 1 else "👎"
        # Text(): what users typed is shown as is, never read as Rich markup.
        table.add_row(
            str(record.id), record.created_at, rating, Text(record.question), Text(record.comment)
        )
    if output is not None:
        with output.open("w", encoding="utf-8") as out:
            Console(file=out, width=160).print(table)
    else:
        console().print(table)
    liked = sum(1 for r in records if r.rating == 1)
    console().print(
        f"{len(records)} avis : {liked} 👍, {len(records) - liked} 👎 ({config.feedback_db})."
    )
