"""What several commands need: settings, shared options, an index to work on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.config import Backend, RetrieverMode, Settings, load_settings
from cli.output import WAITING, console, plan_message, print_pdf_warnings

if TYPE_CHECKING:
    from assistant.index.store import ChromaStore
    from assistant.schema import Embedder
    from ingest.indexing import PassageProgress

BackendOption = Annotated[
    Backend | None, typer.Option(help="Générateur : extractive, openai ou llamacpp.")
]
RetrieverOption = Annotated[
    RetrieverMode | None, typer.Option(help="Recherche : hybrid, bm25 ou dense.")
]
MirrorOption = Annotated[
    Path | None, typer.Option(help="Miroir du corpus si l'index doit être construit.")
]
DEFAULT_MIRROR = Path("../shared/corpus")


def settings() -> Settings:
    """The settings of this run.

    Raises:
        ConfigError: a ``COOP_*`` value is invalid (French message naming it).
    """
    return load_settings()


def ensure_index(
    settings: Settings, mirror: Path | None, embedder: Embedder | None = None
) -> Embedder | None:
    """Build the index from the synced corpus (syncing the mirror first) when there is none.

    Returns:
        The embedder that built it (its model loaded: pass it on rather than loading the model
        a second time in this process), or None when the index was already there.
    """
    from assistant.factory import build_embedder, build_store
    from ingest.fetch.sources import load_sources
    from ingest.fetch.sync import sync_corpus
    from ingest.indexing import Ingestor, index_lock

    def announce(event: PassageProgress) -> None:
        if event.done == 0 and (message := plan_message(event)):
            console().print(message)

    store = build_store(settings)
    if _has_index(store):
        return None
    with index_lock(settings, on_wait=lambda: console().print(WAITING)):
        if _has_index(store):  # built by the ingestion this one waited for
            return None
        if mirror is not None and mirror.is_dir():
            console().print(f"Index absent : synchronisation depuis {mirror}…")
            sync_corpus(
                load_sources(settings.corpus_file),
                settings.corpus_dir,
                mirror=mirror,
                deadline_s=settings.sync_deadline_s,
                allow_private_hosts=settings.allow_private_hosts,
            )
        console().print("Index absent : indexation du corpus…")
        embedder = embedder or build_embedder(settings)
        report = Ingestor(settings, embedder, store, on_passages=announce).run()
    print_pdf_warnings(report.pdf_warnings)
    console().print(f"{report.total_chunks} passages indexés en {report.seconds:.0f} s.")
    return embedder


def _has_index(store: ChromaStore) -> bool:
    if not store.exists():
        return False
    store.open_for_reading(model_id=None)
    return bool(store.model_id)
