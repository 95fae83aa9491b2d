"""What several commands need: settings, shared options, an index to work on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant.config import Backend, RetrieverMode, Settings, load_settings
from cli.output import console, print_pdf_warnings

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


def ensure_index(settings: Settings, mirror: Path | None) -> None:
    """Build the index from the synced corpus (syncing the mirror first) when there is none."""
    from assistant.factory import build_embedder, build_store
    from ingest.fetch.sources import load_sources
    from ingest.fetch.sync import sync_corpus
    from ingest.indexing import Ingestor

    store = build_store(settings)
    if store.exists():
        store.open_for_reading(model_id=None)
        if store.model_id:
            return
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
    report = Ingestor(settings, build_embedder(settings), store).run()
    print_pdf_warnings(report.pdf_warnings)
    console().print(f"{report.total_chunks} passages indexés en {report.seconds:.0f} s.")
