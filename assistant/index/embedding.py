"""Sentence-transformers embedder, loaded lazily from a local directory (or a hub id)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import ConfigError
from assistant.index.dtype import choose_dtype

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or Path(name).exists() or name.startswith("models/")


class SentenceTransformerEmbedder:
    """Embeds with ``encode_document``/``encode_query`` (the model's prompts), L2-normalized."""

    def __init__(self, model: str, *, dtype: str = "auto", batch_size: int = 16) -> None:
        self._name = model
        self.dtype_choice = choose_dtype(dtype)
        self._batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """Stable identifier stored in the index (directory name for local models)."""
        return Path(self._name).name if _looks_like_path(self._name) else self._name

    @property
    def dimension(self) -> int:
        """Output dimension of the loaded model."""
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None)
        getter = getter or model.get_sentence_embedding_dimension
        dim = getter()
        return int(dim) if dim is not None else len(self.embed_query("dimension"))

    def _load(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                self._model = self._create()
            return self._model

    def _create(self) -> SentenceTransformer:
        from sentence_transformers import SentenceTransformer

        local = _looks_like_path(self._name)
        if local and not (Path(self._name).expanduser() / "modules.json").is_file():
            raise ConfigError(
                f"Modèle d'embedding introuvable dans « {self._name} ». "
                "Lancez `coop model fetch` (ou `make setup`), ou réglez COOP_EMBEDDING_MODEL."
            )
        logger.info("loading embedding model %s", self._name)
        try:
            model = SentenceTransformer(
                str(Path(self._name).expanduser()) if local else self._name,
                device="cpu",
                local_files_only=local,
            )
        except OSError as err:
            raise ConfigError(f"Chargement du modèle « {self._name} » impossible : {err}") from err
        if self.dtype_choice.dtype == "bfloat16":
            import torch

            model.to(torch.bfloat16)
        return model

    def _encode(self, method: str, texts: list[str]) -> list[list[float]]:
        model = self._load()
        encode: Any = getattr(model, method, None)
        if encode is None or not getattr(model, "prompts", None):
            encode = model.encode  # models without query/document prompts
        vectors = encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        # Normalised again in float32: a bfloat16 model normalises in bfloat16 (norm 1 ± 4e-3).
        matrix = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix /= np.where(norms > 0, norms, 1.0)
        return [[float(x) for x in row] for row in matrix]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """One normalized vector per passage."""
        if not texts:
            return []
        return self._encode("encode_document", list(texts))

    def embed_query(self, text: str) -> list[float]:
        """One normalized vector for a question."""
        return self._encode("encode_query", [text])[0]

    def embed_plain(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalized vectors of ``texts`` as given, no prompt added (what a service computes)."""
        if not texts:
            return []
        return self._encode("encode", list(texts))
