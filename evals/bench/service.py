"""Embedding-service benchmark: ``coop ingest`` through a loopback service against the local model.

The service is an OpenAI-compatible ``POST /v1/embeddings`` server in a thread of this process,
computing with the local model itself: both ingestions do the same arithmetic on the same cores,
so their ratio is the cost of going through HTTP and JSON (batches, serialisation, the client's
checks), not that of a faster or slower machine.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.config import Settings
from assistant.schema import Embedder
from evals.bench.harness import ratio

if TYPE_CHECKING:
    from ingest.indexing import IngestReport

_BENCH_TIMEOUT_S = 600.0
"""Per request: on a loaded machine the local model may take minutes for one batch."""

Vectors = Callable[[list[str]], list[list[float]]]
"""What the service computes: one vector per text received, the text taken as is."""


class LoopbackEmbeddingService:
    """``POST /v1/embeddings`` on 127.0.0.1 (a free port), answered by ``vectors`` in a thread."""

    def __init__(self, vectors: Vectors) -> None:
        self.requests = 0
        self.texts = 0
        self._vectors = vectors
        self._lock = threading.Lock()
        # Closing waits for the requests being answered: no thread left computing at exit.
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = False
        self._server.block_on_close = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL to give as ``COOP_EMBEDDING_URL`` (``http://127.0.0.1:PORT/v1``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> LoopbackEmbeddingService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def answer(self, payload: Any) -> tuple[int, bytes]:
        """HTTP status and JSON body for one request body."""
        texts = payload.get("input") if isinstance(payload, dict) else None
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            return 400, b'{"error": "input: a string or a list of strings"}'
        with self._lock:
            self.requests += 1
            self.texts += len(texts)
        data = [
            {"object": "embedding", "index": i, "embedding": vector}
            for i, vector in enumerate(self._vectors(texts))
        ]
        body = {"object": "list", "data": data, "model": payload.get("model", "")}
        return 200, json.dumps(body).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                try:
                    payload = json.loads(self.rfile.read(length))
                except ValueError:
                    status, body = 400, b'{"error": "body is not JSON"}'
                else:
                    if self.path.rstrip("/") == "/v1/embeddings":
                        status, body = service.answer(payload)
                    else:
                        status, body = 404, b'{"error": "not found"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: the bench prints its own report."""

        return Handler


@dataclass(frozen=True, slots=True)
class ServiceBench:
    """The same documents ingested with the local model and through the loopback service."""

    documents: int
    chunks: int
    local_ingest_s: float
    service_ingest_s: float
    service_vs_local: float
    local_chunks_per_s: float
    service_chunks_per_s: float
    requests: int
    batch_size: int
    cosine_min: float


def run_service_bench(
    settings: Settings,
    local: Embedder,
    vectors: Vectors,
    workdir: Path,
    *,
    documents: int = 0,
) -> ServiceBench:
    """Ingest the first ``documents`` sources (0: all) locally and through the service.

    After an untimed pass on each side, each document is ingested into the local index and
    into the service's, the two taking turns and swapping who goes first: a load that changes
    during the run weighs on both alike. ``vectors`` is what the service computes (for the
    local model: its ``embed_plain``, the client adding the prompts as with any service). The
    cosines compare the two indexes' vectors of each passage.
    """
    from assistant.factory import build_service_embedder
    from ingest.fetch.sources import load_sources

    doc_ids = [source.doc_id for source in load_sources(settings.corpus_file)]
    doc_ids = doc_ids[:documents] if documents else doc_ids
    seconds = {"local": 0.0, "service": 0.0}
    with LoopbackEmbeddingService(vectors) as server:
        remote_settings = settings.model_copy(
            update={
                "embedding_url": server.url,
                "embedding_service_model": local.model_id,
                "embedding_retries": 0,
                "embedding_timeout_s": max(settings.embedding_timeout_s, _BENCH_TIMEOUT_S),
                "embedding_api_key": None,
            }
        )
        remote = build_service_embedder(remote_settings)
        try:
            # One untimed pass each, document by document as below: bfloat16 kernels are
            # compiled once per new batch shape, and whoever met a shape first would pay.
            for side, embedder in (("local", local), ("service", remote)):
                warm_up = _Index(settings, embedder, workdir / f"warm-up-{side}")
                for doc_id in doc_ids:
                    warm_up.ingest([doc_id])
            requests_before = server.requests
            sides = {
                "local": _Index(settings, local, workdir / "local"),
                "service": _Index(settings, remote, workdir / "service"),
            }
            for turn, doc_id in enumerate(doc_ids):
                for side in ("local", "service") if turn % 2 == 0 else ("service", "local"):
                    seconds[side] += sides[side].ingest([doc_id]).seconds
            requests = server.requests - requests_before
        finally:
            remote.close()
    local_store, remote_store = sides["local"].store, sides["service"].store
    chunks = list(local_store.iter_chunks())
    mine, theirs = local_store.vectors_of(chunks), remote_store.vectors_of(chunks)
    cosines = [float(np.dot(mine[c.id], theirs[c.id])) for c in chunks if c.id in theirs]
    count = len(chunks)
    return ServiceBench(
        documents=len(local_store.documents()),
        chunks=count,
        local_ingest_s=seconds["local"],
        service_ingest_s=seconds["service"],
        service_vs_local=ratio(seconds["service"], seconds["local"]),
        local_chunks_per_s=ratio(count, seconds["local"]),
        service_chunks_per_s=ratio(count, seconds["service"]),
        requests=requests,
        batch_size=settings.embedding_batch_size,
        cosine_min=min(cosines) if cosines else 0.0,
    )


class _Index:
    """An empty index in ``index_dir`` that ``coop ingest`` fills with ``embedder``."""

    def __init__(self, settings: Settings, embedder: Embedder, index_dir: Path) -> None:
        from assistant.index.store import ChromaStore, make_client

        self._settings = settings.model_copy(update={"index_dir": index_dir, "chroma_url": ""})
        self._embedder = embedder
        self.store = ChromaStore(make_client(self._settings), self._settings.collection)

    def ingest(self, doc_ids: Sequence[str]) -> IngestReport:
        """``coop ingest`` of these documents only."""
        from ingest.indexing import Ingestor

        return Ingestor(self._settings, self._embedder, self.store).run(only=doc_ids)
