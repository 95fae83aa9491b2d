"""``coop doctor``: what is installed and indexed (never a secret)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cli.common import settings
from cli.output import print_table

if TYPE_CHECKING:
    from assistant.config import Settings

PACKAGES = ("chromadb", "sentence-transformers", "torch", "langchain-core", "streamlit")


def doctor() -> None:
    """Affiche ce qui est installé : modèle, index, nombre de documents et de passages."""
    from importlib.metadata import PackageNotFoundError, version

    from assistant.factory import build_store
    from assistant.index.dtype import choose_dtype
    from ingest.fetch.model import model_is_complete

    config = settings()
    dtype = choose_dtype(config.embedding_dtype)
    rows: list[tuple[str, str]] = []
    for package in PACKAGES:
        try:
            rows.append((package, version(package)))
        except PackageNotFoundError:
            rows.append((package, "absent"))
    model_path = Path(config.embedding_model)
    present = model_is_complete(model_path) or (model_path / "modules.json").is_file()
    if config.uses_embedding_service:
        rows += _service_rows(config)
    else:
        rows += [
            (
                "Modèle d'embedding",
                f"{config.embedding_model} ({'présent' if present else 'ABSENT'})",
            ),
            ("Format de calcul", f"{dtype.dtype} ({dtype.reason})"),
        ]
    rows += [
        ("Index", config.chroma_url if config.uses_chroma_server else str(config.index_dir)),
        ("Générateur", config.backend),
        ("Clé API LLM", "configurée (masquée)" if config.llm_api_key else "aucune"),
    ]
    store = build_store(config)
    if store.exists():
        store.open_for_reading(model_id=None)
        docs = store.documents()
        rows += [
            ("Documents indexés", str(len(docs))),
            ("Passages", str(sum(d.chunks for d in docs.values()))),
            ("Modèle de l'index", store.model_id),
        ]
    else:
        rows.append(("Documents indexés", "aucun index : lancez `coop ingest`"))
    print_table("coop doctor", ("Élément", "Valeur"), rows)


def _service_rows(config: Settings) -> list[tuple[str, str]]:
    """The embedding service: where, which model, whether it answers now (one try)."""
    from assistant.errors import ConfigError
    from assistant.factory import build_service_embedder

    embedder = build_service_embedder(config.model_copy(update={"embedding_retries": 0}))
    try:
        dimension = len(embedder.embed_query("test"))
        state = f"joignable, vecteurs de dimension {dimension}"
    except ConfigError as err:
        state = err.message
    finally:
        embedder.close()
    return [
        ("Service d'embedding", embedder.url),
        ("Modèle du service", f"{embedder.model} (index : {embedder.model_id})"),
        ("État du service", state),
        ("Clé API embedding", "configurée (masquée)" if config.embedding_api_key else "aucune"),
    ]
