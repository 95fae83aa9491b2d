"""``coop corpus``: sync the official sources, show what changed, add and list documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast, get_args

import typer
from rich.table import Table
from rich.text import Text

from cli.common import settings
from cli.output import WAITING, console, print_table

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.index.store import DocumentRecord
    from ingest.fetch.sources import Source
    from ingest.indexing import IngestReport
    from ingest.split.diff import CorpusDiff

app = typer.Typer(
    help="Catalogue des documents : synchronisation, ajout de vos propres documents, liste.",
    no_args_is_help=True,
)

SYNC_LABELS = {
    "new": "nouveau",
    "unchanged": "inchangé",
    "changed": "modifié",
    "failed": "ÉCHEC",
    "absent": "absent",
}
DIFF_LABELS = {"added": "ajouté", "removed": "retiré", "changed": "modifié"}
ORIGIN_LABELS = {"official": "officiel", "local": "local"}
_TITLE_WIDTH = 60
_WIDE_TABLE = 140  # narrower terminals get two lines per document instead of the table


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


@app.command("add")
def corpus_add(
    file: Annotated[Path, typer.Argument(help="Fichier PDF, Word (.docx), page web, .txt ou .md.")],
    title: Annotated[
        str | None, typer.Option(help="Titre (défaut : métadonnées ou premier titre du fichier).")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help="Type : code, loi, decret, arrete, ami, faq, instruction, page-ars…"),
    ] = None,
    date: Annotated[
        str | None, typer.Option(help="Date AAAA-MM-JJ (défaut : celle que donne le fichier).")
    ] = None,
    url: Annotated[str | None, typer.Option(help="Adresse officielle du document.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Statut : « en vigueur », « historique », « clos … ».")
    ] = None,
    doc_id: Annotated[
        str | None, typer.Option("--id", help="Identifiant (défaut : tiré du titre).")
    ] = None,
    index: Annotated[
        bool, typer.Option("--index/--no-index", help="Indexer aussitôt (défaut).")
    ] = True,
) -> None:
    """Ajoute un document à vous (corpus/local.yaml), puis l'indexe : posez vos questions."""
    from ingest.fetch.local import add_document
    from ingest.fetch.sources import Kind

    if kind is not None and kind not in get_args(Kind):
        raise typer.BadParameter(
            f"type inconnu « {kind} » (types : {', '.join(get_args(Kind))}).", param_hint="--kind"
        )
    config = settings()
    source = add_document(
        file,
        config.corpus_file,
        config.corpus_dir,
        doc_id=doc_id,
        title=title,
        kind=cast("Kind | None", kind),
        date=date,
        url=url,
        status=status,
    )
    console().print(
        Text(
            f"Ajouté : {source.doc_id} — {source.title} ({source.kind}, "
            f"{source.date or 'date inconnue'}) → {config.corpus_dir / source.file_name}"
        )
    )
    if not index:
        console().print("Indexation différée : lancez `coop ingest`.")
        return
    outcome = _index_now(config, source.doc_id).outcomes[0]
    if outcome.status in ("failed", "absent"):
        console().print(Text(f"ÉCHEC de l'indexation : {outcome.reason}"))
        raise typer.Exit(1)
    console().print(f"{outcome.chunks} passages indexés : vous pouvez poser vos questions.")


@app.command("remove")
def corpus_remove(
    doc_id: Annotated[str, typer.Argument(help="Identifiant du document ajouté localement.")],
) -> None:
    """Retire un document ajouté localement : catalogue, copie et index."""
    from assistant.factory import build_embedder
    from ingest.fetch.local import remove_document
    from ingest.indexing import Ingestor, index_lock, open_index_for_writing

    config = settings()
    source = remove_document(doc_id, config.corpus_file, config.corpus_dir)
    with index_lock(config, on_wait=lambda: console().print(WAITING)):
        store = open_index_for_writing(config)
        removed = Ingestor(config, build_embedder(config), store).remove([source.doc_id])
    where = " et de l'index" if removed else ""
    console().print(Text(f"Retiré du catalogue local{where} : {source.doc_id} — {source.title}"))


@app.command("list")
def corpus_list(
    as_json: Annotated[bool, typer.Option("--json", help="Résultat structuré en JSON.")] = False,
) -> None:
    """Liste les documents officiels et locaux, avec leurs passages indexés."""
    from ingest.fetch.sources import load_catalogue

    config = settings()
    sources = load_catalogue(config.corpus_file)
    records = _indexed(config)
    if as_json:
        listed = [
            source.model_dump()
            | {
                "passages": record.chunks if (record := records.get(source.doc_id)) else 0,
                "ingested_at": record.ingested_at if record else "",
            }
            for source in sources
        ]
        print(json.dumps(listed, ensure_ascii=False, indent=2))
        return
    rows = [_list_row(source, records.get(source.doc_id)) for source in sources]
    if console().width < _WIDE_TABLE:
        _print_list(rows)
    else:
        _print_table(rows)
    local = sum(1 for source in sources if source.origin == "local")
    console().print(f"{len(sources) - local} officiels, {local} locaux, {len(records)} indexés.")


def _index_now(config: Settings, doc_id: str) -> IngestReport:
    from assistant.factory import build_embedder
    from ingest.indexing import Ingestor, index_lock, open_index_for_writing

    with index_lock(config, on_wait=lambda: console().print(WAITING)):
        store = open_index_for_writing(config)
        return Ingestor(config, build_embedder(config), store).run(only=[doc_id])


def _indexed(config: Settings) -> dict[str, DocumentRecord]:
    """What the index holds, by doc_id; empty when there is no index yet."""
    from assistant.factory import build_store

    store = build_store(config)
    if not store.exists():
        return {}
    store.open_for_reading(model_id=None)
    return store.documents()


def _list_row(source: Source, record: DocumentRecord | None) -> tuple[str, ...]:
    """The columns of one document: id, title, kind, date, status, origin, passages, indexed."""
    from assistant.text.dates import french_date

    return (
        source.doc_id,
        _short(source.title),
        source.kind,
        source.date or "—",
        source.status or "—",
        ORIGIN_LABELS[source.origin],
        str(record.chunks) if record else "—",
        french_date(record.ingested_at[:10]) if record else "jamais",
    )


def _print_table(rows: list[tuple[str, ...]]) -> None:
    table = Table(title="Documents du corpus")
    table.add_column("Document", overflow="fold")
    table.add_column("Titre", ratio=1)
    for name in ("Type", "Date", "Statut", "Origine"):
        table.add_column(name, no_wrap=name != "Statut")
    table.add_column("Passages", justify="right", no_wrap=True)
    table.add_column("Indexé le", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    console().print(table)


def _print_list(rows: list[tuple[str, ...]]) -> None:
    """Two lines per document, for a terminal too narrow for the eight columns."""
    out = console()
    for doc_id, title, kind, date, status, origin, passages, ingested in rows:
        out.print(Text(doc_id, style="bold"))
        details = (
            f"{origin} · {kind} · {date} · {status} · {passages} passages · indexé : {ingested}"
        )
        out.print(Text(f"    {title}\n    {details}"))


def _short(title: str) -> str:
    return title if len(title) <= _TITLE_WIDTH else f"{title[: _TITLE_WIDTH - 1]}…"


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
