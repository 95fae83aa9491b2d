"""``coop doctor``: what is installed and indexed (never a secret)."""

from __future__ import annotations

from pathlib import Path

from cli.common import settings
from cli.output import print_table

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
    rows += [
        ("Modèle d'embedding", f"{config.embedding_model} ({'présent' if present else 'ABSENT'})"),
        ("Format de calcul", f"{dtype.dtype} ({dtype.reason})"),
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
