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
        return _unit_rows(vectors)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """One normalized vector per passage."""
        if not texts:
            return []
        return self._encode("encode_document", list(texts))

    def embed_query(self, text: str) -> list[float]:
        """One normalized vector for a question."""
        return self._encode("encode_query", [text])[0]

    def embed_query_spans(
        self, text: str, spans: Sequence[tuple[int, int]]
    ) -> tuple[list[float], list[list[float]]]:
        """A question's vector and, from the same model pass, one vector per span of it.

        Late chunking: a span's vector is the mean of its tokens' states, with the prompt's, as
        the model pools the whole question, through the layers that follow the pooling. The
        question's vector is ``embed_query``'s. Spans are character offsets into ``text``; none
        come back (an empty list) when the model does not pool by mean or its tokens cannot be
        matched to the text.
        """
        model = self._load()
        prompt = (getattr(model, "prompts", None) or {}).get("query", "")
        encode: Any = model.encode_query if prompt else model.encode
        output = encode([text], output_value=None, convert_to_numpy=False)[0]
        whole = _unit_rows(output["sentence_embedding"].float().numpy())[0]
        if not spans:
            return whole, []
        head = _after_mean_pooling(model)
        offsets = _token_offsets(model, prompt + text, output["input_ids"].tolist())
        if head is None or offsets is None:
            return whole, []
        import torch

        states = output["token_embeddings"]
        shared = [i for i, (_, end) in enumerate(offsets) if end <= len(prompt)]
        pooled = []
        for start, end in spans:
            first, last = start + len(prompt), end + len(prompt)
            own = [i for i, (s, e) in enumerate(offsets) if first <= s and e <= last and s < e]
            pooled.append(states[shared + own].mean(dim=0))
        features: dict[str, Any] = {"sentence_embedding": torch.stack(pooled)}
        with torch.inference_mode():
            for module in head:
                features = module(features)
        vectors = _unit_rows(features["sentence_embedding"].float().numpy())
        return whole, vectors

    def embed_plain(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalized vectors of ``texts`` as given, no prompt added (what a service computes)."""
        if not texts:
            return []
        return self._encode("encode", list(texts))


def _unit_rows(vectors: Any) -> list[list[float]]:
    """Each row as float32, L2-normalised, as plain lists."""
    matrix = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms > 0, norms, 1.0)
    return [[float(x) for x in row] for row in matrix]


def _after_mean_pooling(model: SentenceTransformer) -> list[Any] | None:
    """The modules after a mean pooling over every token (prompt included), or None."""
    modules: list[Any] = list(model)
    for index, module in enumerate(modules):
        if type(module).__name__ == "Pooling":
            config = module.get_config_dict()
            mean = config.get("pooling_mode") == "mean" or config.get("pooling_mode_mean_tokens")
            if mean and config.get("include_prompt", True):
                return modules[index + 1 :]
            return None
    return None


def _token_offsets(
    model: SentenceTransformer, text: str, token_ids: list[int]
) -> list[tuple[int, int]] | None:
    """Character offsets of the tokens the model read, or None if they are not those ids."""
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is None or not getattr(tokenizer, "is_fast", False):
        return None
    encoded = tokenizer(text, return_offsets_mapping=True)
    if list(encoded["input_ids"]) != token_ids:
        return None
    return [(int(start), int(end)) for start, end in encoded["offset_mapping"]]
