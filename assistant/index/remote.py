"""Embeddings computed by an OpenAI-compatible service (``POST …/v1/embeddings``).

text-embeddings-inference, vLLM, Ollama and Albert API all serve this route. The service gets
``prompt + text``: the same query and document prompts as the local model, so that a service
running the same model gives the same vectors (and can serve an index built locally).
Vectors are L2-normalised here, whatever the service does.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from assistant.errors import ConfigError

__all__ = ["ServiceEmbedder", "display_url", "model_prompts", "service_model_id"]

logger = logging.getLogger(__name__)

_RETRIED_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_MAX_WAIT_S = 30.0
_EXCERPT = 200


def service_model_id(model: str) -> str:
    """Identifier recorded in the index: the last part of the service's model name.

    ``google/embeddinggemma-300m`` gives ``embeddinggemma-300m``, the name of the local model's
    folder: an index built locally can be served by a service running the same model.
    """
    name = model.strip().rstrip("/").rsplit("/", 1)[-1]
    return name or "service"


def display_url(url: str) -> str:
    """``url`` without any user name or password it may hold (safe to print)."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


def model_prompts(model_dir: Path) -> dict[str, str] | None:
    """The ``query`` and ``document`` prompts of a local sentence-transformers folder, if any."""
    path = model_dir.expanduser() / "config_sentence_transformers.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    prompts = config.get("prompts") if isinstance(config, dict) else None
    if not isinstance(prompts, dict):
        return None
    found = {k: prompts[k] for k in ("query", "document") if isinstance(prompts.get(k), str)}
    return found or None


class ServiceEmbedder:
    """Embeds through ``POST {url}/embeddings``, in batches, with bounded retries.

    Retried with exponential backoff: connection errors, timeouts, HTTP 429 and 5xx (a
    ``Retry-After`` header is honoured, up to 30 s). Every failure ends in a French
    ``ConfigError`` naming the URL and the reason; the API key never appears in it.
    """

    def __init__(
        self,
        url: str,
        *,
        model: str,
        api_key: str | None = None,
        query_prompt: str = "",
        document_prompt: str = "",
        batch_size: int = 16,
        timeout_s: float = 30.0,
        retries: int = 3,
        backoff_s: float = 0.5,
        expected_dimension: int | None = None,
    ) -> None:
        base = url.strip().rstrip("/")
        self.endpoint = base if base.endswith("/embeddings") else f"{base}/embeddings"
        self.url = display_url(self.endpoint)
        self.model = model
        self.query_prompt = query_prompt
        self.document_prompt = document_prompt
        self._api_key = api_key or None
        self._batch_size = batch_size
        self._timeout_s = timeout_s
        self._retries = retries
        self._backoff_s = backoff_s
        self._expected = expected_dimension
        self._dimension: int | None = None
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """The service model name's last part (see ``service_model_id``)."""
        return service_model_id(self.model)

    @property
    def dimension(self) -> int | None:
        """Dimension of the vectors received so far (None before the first call)."""
        return self._dimension

    def expect_dimension(self, dimension: int | None) -> None:
        """Refuse, from now on, vectors of another dimension than the index's."""
        self._expected = dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector per passage, ``document_prompt`` prepended."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = texts[start : start + self._batch_size]
            vectors += self._embed([self.document_prompt + text for text in batch])
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """One unit vector for a question, ``query_prompt`` prepended."""
        return self._embed([self.query_prompt + text])[0]

    def close(self) -> None:
        """Close the HTTP connections (a later call opens new ones)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- one request ------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                headers = {"Accept": "application/json"}
                if self._api_key:
                    headers["Authorization"] = f"Bearer {self._api_key}"
                self._client = httpx.Client(
                    timeout=self._timeout_s, headers=headers, follow_redirects=False
                )
            return self._client

    def _embed(self, inputs: list[str]) -> list[list[float]]:
        payload = {"model": self.model, "input": inputs}
        response = self._post(payload)
        return self._parse(response, len(inputs))

    def _post(self, payload: Mapping[str, Any]) -> httpx.Response:
        """The service's answer to ``payload``, retried on transient failures."""
        attempt = 0
        while True:
            try:
                response = self._http().post(self.endpoint, json=payload)
            except httpx.TransportError as err:
                if attempt >= self._retries:
                    reason = _transport_reason(err, self._timeout_s)
                    raise ConfigError(self._unreachable(reason, attempt + 1)) from err
                wait = self._backoff(attempt, None)
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in _RETRIED_STATUS or attempt >= self._retries:
                    raise ConfigError(self._refused(response, attempt + 1))
                wait = self._backoff(attempt, response.headers.get("Retry-After"))
            attempt += 1
            logger.warning(
                "embedding service %s failed, try %d of %d in %.1f s",
                self.url,
                attempt + 1,
                self._retries + 1,
                wait,
            )
            time.sleep(wait)

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None:
            try:
                return min(max(float(retry_after), 0.0), _MAX_WAIT_S)
            except ValueError:
                pass  # an HTTP date: use our own backoff
        return float(min(self._backoff_s * 2**attempt, _MAX_WAIT_S))

    # -- the answer -------------------------------------------------------------------------

    def _parse(self, response: httpx.Response, count: int) -> list[list[float]]:
        try:
            body = response.json()
        except ValueError:
            raise ConfigError(self._garbage("ce n'est pas du JSON", response.text)) from None
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise ConfigError(self._garbage("pas de champ « data »", response.text))
        if len(items) != count:
            raise ConfigError(
                self._garbage(f"{len(items)} vecteurs pour {count} textes", response.text)
            )
        if all(isinstance(i, dict) and isinstance(i.get("index"), int) for i in items):
            items = sorted(items, key=lambda item: item["index"])
        vectors = [self._vector(item) for item in items]
        self._check_dimension({len(v) for v in vectors})
        return vectors

    def _vector(self, item: Any) -> list[float]:
        raw = item.get("embedding") if isinstance(item, dict) else None
        if not isinstance(raw, list) or not raw:
            raise ConfigError(self._garbage("vecteur absent ou vide", repr(item)))
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in raw):
            raise ConfigError(self._garbage("vecteur non numérique", repr(raw)))
        vector = [float(x) for x in raw]
        norm = math.sqrt(math.fsum(x * x for x in vector))
        if not math.isfinite(norm) or norm == 0.0:
            raise ConfigError(self._garbage("vecteur nul ou non fini", repr(raw)))
        return [x / norm for x in vector]

    def _check_dimension(self, found: set[int]) -> None:
        with self._lock:
            if self._expected is not None and found != {self._expected}:
                raise ConfigError(self._wrong_dimension(sorted(found), self._expected))
            seen = found | ({self._dimension} if self._dimension is not None else set())
            if len(seen) > 1:
                raise ConfigError(
                    f"Le service d'embedding {self.url} renvoie des vecteurs de dimensions "
                    f"différentes ({', '.join(map(str, sorted(seen)))}) : vérifiez "
                    "COOP_EMBEDDING_URL et COOP_EMBEDDING_SERVICE_MODEL."
                )
            self._dimension = next(iter(seen))

    # -- French messages --------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        """``text`` cut short, without the API key if the service echoed it."""
        short = " ".join(text.split())[:_EXCERPT]
        return short.replace(self._api_key, "***") if self._api_key else short

    def _unreachable(self, reason: str, tries: int, state: str = "injoignable") -> str:
        return (
            f"Service d'embedding {state} : URL {self.url} ({reason} ; {tries} essai(s)). "
            "Vérifiez que le service tourne et COOP_EMBEDDING_URL, ou videz COOP_EMBEDDING_URL "
            "pour calculer les embeddings avec le modèle local."
        )

    def _refused(self, response: httpx.Response, tries: int) -> str:
        status = response.status_code
        excerpt = self._scrub(response.text)
        detail = f"HTTP {status}" + (f" : {excerpt}" if excerpt else "")
        if status in (401, 403):
            return (
                f"Service d'embedding {self.url} : accès refusé ({detail}). "
                "Vérifiez COOP_EMBEDDING_API_KEY."
            )
        if status == 404:
            return (
                f"Service d'embedding {self.url} : route ou modèle « {self.model} » inconnu "
                f"({detail}). COOP_EMBEDDING_URL doit finir par /v1 (API compatible OpenAI) ; "
                "vérifiez COOP_EMBEDDING_SERVICE_MODEL."
            )
        if status in _RETRIED_STATUS:
            return self._unreachable(detail, tries, "indisponible")
        return (
            f"Service d'embedding {self.url} : requête refusée ({detail}). Vérifiez "
            "COOP_EMBEDDING_SERVICE_MODEL et que le service accepte des lots de "
            "COOP_EMBEDDING_BATCH_SIZE textes."
        )

    def _garbage(self, reason: str, excerpt: str) -> str:
        return (
            f"Réponse illisible du service d'embedding {self.url} ({reason} : "
            f"« {self._scrub(excerpt)} »). COOP_EMBEDDING_URL doit désigner une API compatible "
            "OpenAI (…/v1, route /embeddings)."
        )

    def _wrong_dimension(self, found: list[int], expected: int) -> str:
        sizes = ", ".join(map(str, found))
        return (
            f"Le service d'embedding {self.url} (modèle « {self.model} ») renvoie des vecteurs de "
            f"dimension {sizes}, l'index attend {expected} : relancez `coop ingest --rebuild` ou "
            "corrigez COOP_EMBEDDING_URL (et COOP_EMBEDDING_SERVICE_MODEL)."
        )


def _transport_reason(err: httpx.TransportError, timeout_s: float) -> str:
    if isinstance(err, httpx.TimeoutException):
        return f"pas de réponse en {timeout_s:g} s, voir COOP_EMBEDDING_TIMEOUT_S"
    if isinstance(err, httpx.ConnectError):
        return f"connexion impossible : {err}" if str(err) else "connexion impossible"
    return f"{type(err).__name__} : {err}" if str(err) else type(err).__name__
