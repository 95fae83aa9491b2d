"""``coop corpus``: sync the official sources, show what the last sync changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from cli.common import settings
from cli.output import console, print_table

if TYPE_CHECKING:
    from ingest.split.diff import CorpusDiff

app = typer.Typer(help="Liste des sources officielles : synchronisation.", no_args_is_help=True)

SYNC_LABELS = {
    "new": "nouveau",
    "unchanged": "inchangé",
    "changed": "modifié",
    "failed": "ÉCHEC",
    "absent": "absent",
}
DIFF_LABELS = {"added": "ajouté", "removed": "retiré", "changed": "modifié"}


@app.command("sync")
def corpus_sync(
    mirror: Annotated[
        Path | None,
        typer.Option(help="Copier depuis ce dossier miroir (ex. ../shared/corpus) au lieu du web."),
    ] = None,
    allow_changed: Annotated[
        bool, typer.Option(help="Accepter un document dont l'empreinte sha256 a changé.")
    ] = False,
) -> None:
    """Récupère les documents de corpus/sources.yaml dans le dossier des documents."""
    from ingest.fetch.sources import load_sources
    from ingest.fetch.sync import sync_corpus

    config = settings()
    sources = load_sources(config.corpus_file)
    results = sync_corpus(
        sources,
        config.corpus_dir,
        mirror=mirror,
        allow_changed=allow_changed,
        deadline_s=config.sync_deadline_s,
        allow_private_hosts=config.allow_private_hosts,
    )
    print_table(
        "Synchronisation du corpus",
        ("Document", "État", "Détail"),
        ((r.doc_id, SYNC_LABELS[r.status], r.reason) for r in results),
    )
    counts = {s: sum(1 for r in results if r.status == s) for s in SYNC_LABELS}
    console().print(", ".join(f"{SYNC_LABELS[s]} : {n}" for s, n in counts.items()))
    if counts["failed"]:
        raise typer.Exit(1)


@app.command("diff")
def corpus_diff(
    as_json: Annotated[bool, typer.Option("--json", help="Résultat structuré en JSON.")] = False,
) -> None:
    """Montre ce que la dernière synchronisation a changé (documents, articles, extraits)."""
    from dataclasses import asdict

    from ingest.split.diff import diff_corpus

    diff = diff_corpus(settings().corpus_dir)
    if as_json:
        print(json.dumps(asdict(diff), ensure_ascii=False, indent=2))
        return
    print_corpus_diff(diff)


def print_corpus_diff(diff: CorpusDiff) -> None:
    """The diff for a reader: documents, then their articles with -/+ lines in colour."""
    out = console()
    if diff.synced_at:
        since = f" (précédente : {diff.previous_synced_at})" if diff.previous_synced_at else ""
        out.print(f"Dernière synchronisation : {diff.synced_at}{since}")
    else:
        out.print("Aucune synchronisation enregistrée : comparaison avec .previous/ seule.")
    if diff.empty:
        out.print("Aucun changement depuis la synchronisation précédente.")
        return
    for document in diff.documents:
        out.print(Text(f"{document.doc_id} : {DIFF_LABELS[document.change]}", style="bold"))
        if document.note:
            out.print(Text(f"  {document.note}"))
        for article in document.articles:
            where = article.section or article.article
            out.print(Text(f"  {where} : {DIFF_LABELS[article.change]}"))
            for line in article.diff:
                style = "red" if line.startswith("-") else "green" if line.startswith("+") else ""
                out.print(Text(f"    {line}", style=style))


from cli.impact import impact  # noqa: E402

app.command("impact")(impact)
