"""The embedding service client against a real loopback HTTP server started by each test."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import cli
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.factory import build_assistant, build_embedder, service_prompts
from assistant.index.embedding import SentenceTransformerEmbedder
from assistant.index.remote import ServiceEmbedder, display_url, service_model_id
from assistant.index.store import ChromaStore
from ingest.indexing import Ingestor
from tests.conftest import REAL_MODEL_DIR
from tests.fakes import HashingEmbedder
from tests.helpers import open_store

SECRET = "sk-embed-secret-42"
QUESTIONS = [
    "Qui autorise un protocole local ?",
    "Comment déclarer la mise en œuvre d'un protocole national ?",
    "Que dit l'article L. 4011-3 ?",
]

Vectors = Callable[[list[str]], list[list[float]]]


def hashing_vectors(texts: list[str]) -> list[list[float]]:
    return HashingEmbedder().embed_documents(texts)


class FakeService:
    """``POST /v1/embeddings`` on 127.0.0.1; each test sets how it misbehaves."""

    def __init__(self, vectors: Vectors = hashing_vectors) -> None:
        self.vectors = vectors
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str | None] = []
        self.failures: list[tuple[int, dict[str, str], str]] = []
        """Replies given, in order, before any real answer: (status, headers, body)."""
        self.body: str | None = None
        """A fixed 200 body instead of the vectors (garbage)."""
        self.scale = 1.0
        self.reverse = False
        self.hang = threading.Event()
        self.hanging = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> FakeService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.hang.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _reply(self, payload: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        if self.failures:
            return self.failures.pop(0)
        if self.body is not None:
            return 200, {"Content-Type": "application/json"}, self.body
        vectors = self.vectors(list(payload["input"]))
        data = [
            {"object": "embedding", "index": i, "embedding": [x * self.scale for x in v]}
            for i, v in enumerate(vectors)
        ]
        if self.reverse:
            data.reverse()
        body = {"object": "list", "data": data, "model": payload.get("model", "")}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                payload = json.loads(self.rfile.read(length))
                service.requests.append(payload)
                service.authorizations.append(self.headers.get("Authorization"))
                if self.path != "/v1/embeddings":
                    status, headers, body = 404, {}, '{"error": "not found"}'
                elif service.hanging:
                    service.hang.wait(30)
                    return
                else:
                    status, headers, body = service._reply(payload)
                raw = body.encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def service() -> Iterator[FakeService]:
    with FakeService() as running:
        yield running


def client(url: str, **options: Any) -> ServiceEmbedder:
    values: dict[str, Any] = {"model": "hashing-64", "backoff_s": 0.01, "retries": 2}
    return ServiceEmbedder(url, **(values | options))


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    return float(np.dot(np.asarray(a), np.asarray(b)))


# -- batching, prompts, normalisation --------------------------------------------------------


def test_passages_are_sent_in_batches_with_the_document_prompt(service: FakeService) -> None:
    texts = [f"Passage {i} sur le protocole de coopération." for i in range(40)]
    embedder = client(service.url, batch_size=16, document_prompt="title: none | text: ")

    vectors = embedder.embed_documents(texts)

    assert [len(r["input"]) for r in service.requests] == [16, 16, 8]
    assert service.requests[0]["model"] == "hashing-64"
    sent = [text for r in service.requests for text in r["input"]]
    assert sent == [f"title: none | text: {t}" for t in texts]
    assert np.allclose(np.asarray(vectors), np.asarray(hashing_vectors(sent)))
    assert embedder.dimension == 64


def test_the_question_gets_the_query_prompt(service: FakeService) -> None:
    embedder = client(service.url, query_prompt="task: search result | query: ")
    vector = embedder.embed_query("Qui signe ?")
    assert service.requests[0]["input"] == ["task: search result | query: Qui signe ?"]
    assert vector == pytest.approx(hashing_vectors(["task: search result | query: Qui signe ?"])[0])


def test_vectors_are_normalised_and_put_back_in_order(service: FakeService) -> None:
    service.scale, service.reverse = 3.0, True
    texts = ["délégation infirmière", "plateforme démarches simplifiées", "arrêté du ministre"]
    vectors = client(service.url).embed_documents(texts)
    assert np.allclose(np.asarray(vectors), np.asarray(hashing_vectors(texts)))
    for vector in vectors:
        assert float(np.linalg.norm(vector)) == pytest.approx(1.0)


def test_nothing_is_sent_for_no_passage(service: FakeService) -> None:
    assert client(service.url).embed_documents([]) == []
    assert service.requests == []


def test_a_url_naming_the_route_is_kept(service: FakeService) -> None:
    embedder = client(f"{service.url}/embeddings/")
    assert embedder.embed_query("bonjour")
    assert embedder.endpoint == f"{service.url}/embeddings"


# -- retries ---------------------------------------------------------------------------------


def test_transient_failures_are_retried_then_succeed(service: FakeService) -> None:
    service.failures = [
        (503, {}, "surchargé"),
        (429, {"Retry-After": "0"}, "trop de requêtes"),
        (502, {}, "passerelle"),
    ]
    vector = client(service.url, retries=3).embed_query("Qui signe ?")
    assert len(service.requests) == 4
    assert vector == pytest.approx(hashing_vectors(["Qui signe ?"])[0])


def test_retries_are_bounded(service: FakeService) -> None:
    service.failures = [(500, {}, "panne interne")] * 10
    with pytest.raises(ConfigError) as raised:
        client(service.url, retries=2).embed_query("Qui signe ?")
    assert len(service.requests) == 3
    message = raised.value.message
    assert message.startswith(f"Service d'embedding indisponible : URL {service.url}/embeddings")
    assert "HTTP 500 : panne interne" in message and "3 essai(s)" in message


def test_a_client_error_is_not_retried(service: FakeService) -> None:
    service.failures = [(400, {}, '{"error": "input too long"}')]
    with pytest.raises(ConfigError, match=r"requête refusée \(HTTP 400 .*input too long"):
        client(service.url).embed_query("Qui signe ?")
    assert len(service.requests) == 1


def test_a_wrong_route_says_the_url_must_end_with_v1(service: FakeService) -> None:
    embedder = client(service.url.removesuffix("/v1"))
    with pytest.raises(ConfigError, match=r"HTTP 404.*doit finir par /v1"):
        embedder.embed_query("Qui signe ?")


# -- service down or slow ---------------------------------------------------------------------


def test_a_service_that_is_down_is_a_french_error() -> None:
    url = closed_port_url()
    with pytest.raises(ConfigError) as raised:
        client(url, retries=1).embed_documents(["Passage."])
    message = raised.value.message
    assert message.startswith(f"Service d'embedding injoignable : URL {url}/embeddings (")
    assert "connexion impossible" in message and "2 essai(s)" in message
    assert "COOP_EMBEDDING_URL" in message


def test_a_service_that_does_not_answer_in_time_is_a_french_error(service: FakeService) -> None:
    service.hanging = True
    with pytest.raises(ConfigError) as raised:
        client(service.url, timeout_s=0.2, retries=1).embed_query("Qui signe ?")
    assert len(service.requests) == 2
    message = raised.value.message
    assert message.startswith("Service d'embedding injoignable")
    assert "pas de réponse en 0.2 s, voir COOP_EMBEDDING_TIMEOUT_S" in message


# -- garbage and wrong dimensions --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<html><body>Bienvenue sur nginx</body></html>", "ce n'est pas du JSON"),
        ('{"object": "list", "error": "oups"}', "pas de champ « data »"),
        ('{"data": []}', "0 vecteurs pour 1 textes"),
        ('{"data": [{"index": 0}]}', "vecteur absent ou vide"),
        ('{"data": [{"index": 0, "embedding": ["a", "b"]}]}', "vecteur non numérique"),
        ('{"data": [{"index": 0, "embedding": [true, false]}]}', "vecteur non numérique"),
        ('{"data": [{"index": 0, "embedding": [0.0, 0.0]}]}', "vecteur nul ou non fini"),
    ],
)
def test_an_unreadable_answer_is_a_french_error(
    service: FakeService, body: str, reason: str
) -> None:
    service.body = body
    with pytest.raises(ConfigError) as raised:
        client(service.url).embed_query("Qui signe ?")
    message = raised.value.message
    assert message.startswith(f"Réponse illisible du service d'embedding {service.url}")
    assert reason in message and "compatible OpenAI" in message
    assert len(service.requests) == 1  # garbage is not retried


def test_vectors_of_another_dimension_than_the_index_are_refused(service: FakeService) -> None:
    service.vectors = lambda texts: [[1.0] * 32 for _ in texts]
    with pytest.raises(ConfigError) as raised:
        client(service.url, expected_dimension=64).embed_query("Qui signe ?")
    message = raised.value.message
    assert message.startswith(f"Le service d'embedding {service.url}/embeddings")
    assert "vecteurs de dimension 32, l'index attend 64 : relancez `coop ingest --rebuild`" in (
        message
    )
    assert "corrigez COOP_EMBEDDING_URL" in message


def test_a_service_changing_dimension_is_refused(service: FakeService) -> None:
    embedder = client(service.url)
    embedder.embed_query("Qui signe ?")
    service.vectors = lambda texts: [[1.0] * 32 for _ in texts]
    with pytest.raises(ConfigError, match=r"dimensions différentes \(32, 64\)"):
        embedder.embed_query("Qui signe ?")


def test_questions_on_an_index_of_another_dimension_are_refused(
    settings: Settings, store: ChromaStore, service: FakeService
) -> None:
    Ingestor(settings, HashingEmbedder(), store).run()  # 64 dimensions
    service.vectors = lambda texts: [[1.0] * 32 for _ in texts]
    remote = settings.model_copy(
        update={"embedding_url": service.url, "embedding_service_model": "tests/hashing-64"}
    )
    assistant = build_assistant(remote, store=store)
    with pytest.raises(ConfigError, match="dimension 32, l'index attend 64"):
        assistant.ask(QUESTIONS[0])


# -- the API key -----------------------------------------------------------------------------


def test_the_api_key_is_sent_as_bearer_and_never_shown(service: FakeService) -> None:
    embedder = client(service.url, api_key=SECRET)
    embedder.embed_query("Qui signe ?")
    assert service.authorizations == [f"Bearer {SECRET}"]

    service.failures = [(401, {}, f'{{"error": "clé {SECRET} inconnue"}}')]
    with pytest.raises(ConfigError) as refused:
        embedder.embed_query("Qui signe ?")
    assert "accès refusé (HTTP 401" in refused.value.message
    assert "COOP_EMBEDDING_API_KEY" in refused.value.message
    assert SECRET not in refused.value.message

    with pytest.raises(ConfigError) as down:
        client(closed_port_url(), api_key=SECRET, retries=0).embed_query("Qui signe ?")
    assert SECRET not in down.value.message


def test_no_key_no_authorization_header(service: FakeService) -> None:
    client(service.url).embed_query("Qui signe ?")
    assert service.authorizations == [None]


def test_credentials_in_the_url_are_not_shown() -> None:
    assert display_url("https://moi:motdepasse@albert.example:8443/v1") == (
        "https://albert.example:8443/v1"
    )


# -- settings and factory --------------------------------------------------------------------


def test_the_service_model_name_gives_the_index_model_id() -> None:
    assert service_model_id("google/embeddinggemma-300m") == "embeddinggemma-300m"
    assert service_model_id("embeddinggemma-300m") == "embeddinggemma-300m"
    assert service_model_id("BAAI/bge-m3/") == "bge-m3"


def test_the_factory_builds_the_service_from_settings(tmp_path: Path) -> None:
    local = Settings(embedding_model=str(tmp_path / "embeddinggemma-300m"))
    assert isinstance(build_embedder(local), SentenceTransformerEmbedder)

    remote = Settings(
        embedding_model=str(tmp_path / "absent"),
        embedding_url="http://127.0.0.1:9/v1/",
        embedding_api_key=SECRET,
        embedding_batch_size=8,
        embedding_timeout_s=5,
        embedding_retries=0,
    )
    embedder = build_embedder(remote)
    assert isinstance(embedder, ServiceEmbedder)
    assert embedder.endpoint == "http://127.0.0.1:9/v1/embeddings"
    assert embedder.model_id == "embeddinggemma-300m"  # interchangeable with the local model
    assert (embedder.query_prompt, embedder.document_prompt) == (
        "task: search result | query: ",
        "title: none | text: ",
    )
    assert SECRET not in repr(remote)


def test_prompts_come_from_the_local_folder_of_the_same_model(tmp_path: Path) -> None:
    folder = tmp_path / "bge-m3"
    folder.mkdir()
    prompts = {"prompts": {"query": "question : ", "document": "passage : "}}
    (folder / "config_sentence_transformers.json").write_text(json.dumps(prompts), "utf-8")
    same = Settings(
        embedding_model=str(folder),
        embedding_url="http://x/v1",
        embedding_service_model="BAAI/bge-m3",
    )
    assert service_prompts(same) == ("question : ", "passage : ")
    other = same.model_copy(update={"embedding_service_model": "google/embeddinggemma-300m"})
    assert service_prompts(other) == ("task: search result | query: ", "title: none | text: ")
    chosen = Settings(
        embedding_model=str(folder),
        embedding_url="http://x/v1",
        embedding_service_model="bge-m3",
        embedding_query_prompt="",
    )
    assert service_prompts(chosen) == ("", "passage : ")


def test_a_url_without_http_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.config import load_settings

    monkeypatch.setenv("COOP_EMBEDDING_URL", "localhost:8080/v1")
    with pytest.raises(ConfigError, match=r"COOP_EMBEDDING_URL = 'localhost:8080/v1' : adresse"):
        load_settings()


def test_ingest_with_the_service_down_names_it(
    env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = closed_port_url()
    monkeypatch.setenv("COOP_EMBEDDING_URL", url)
    monkeypatch.setenv("COOP_EMBEDDING_RETRIES", "0")
    monkeypatch.setenv("COOP_EMBEDDING_API_KEY", SECRET)
    monkeypatch.setattr(sys, "argv", ["coop", "ingest"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert f"Service d'embedding injoignable : URL {url}/embeddings" in err
    assert "Traceback" not in err and SECRET not in err


def test_doctor_shows_the_service_without_its_key(
    env: Settings, service: FakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COOP_EMBEDDING_URL", service.url)
    monkeypatch.setenv("COOP_EMBEDDING_API_KEY", SECRET)
    result = CliRunner().invoke(cli.app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert f"{service.url}/embeddings" in result.output
    assert "joignable, vecteurs de dimension 64" in result.output
    assert "configurée (masquée)" in result.output and SECRET not in result.output


# -- an index built through the service -------------------------------------------------------


def top_passages(settings: Settings, store: ChromaStore, embedder: Any) -> list[list[str]]:
    assistant = build_assistant(settings, embedder=embedder, store=store, retriever="dense")
    retriever = assistant.retriever
    return [[hit.chunk.id for hit in retriever.search(q, 3)] for q in QUESTIONS]


def test_an_index_built_through_the_service_is_served_by_the_local_model(
    settings: Settings, service: FakeService, tmp_path: Path
) -> None:
    local_store = open_store(tmp_path / "local", settings.collection)
    Ingestor(settings, HashingEmbedder(), local_store).run()
    remote_store = open_store(tmp_path / "remote", settings.collection)
    remote = client(service.url)  # no prompt: the hashing model has none
    Ingestor(settings, remote, remote_store).run()

    assert remote_store.model_id == local_store.model_id == "hashing-64"
    chunks = list(local_store.iter_chunks())
    local_vectors = local_store.vectors_of(chunks)
    remote_vectors = remote_store.vectors_of(chunks)
    assert min(cosine(local_vectors[c.id], remote_vectors[c.id]) for c in chunks) >= 0.999
    expected = top_passages(settings, local_store, HashingEmbedder())
    assert top_passages(settings, remote_store, HashingEmbedder()) == expected
    assert top_passages(settings, local_store, remote) == expected


@pytest.mark.slow
def test_the_real_model_served_over_http_gives_the_local_index(
    settings: Settings, tmp_path: Path
) -> None:
    if not (REAL_MODEL_DIR / "modules.json").is_file():
        pytest.skip(f"default embedding model absent from {REAL_MODEL_DIR}")
    # float32 on both sides: what is compared is the HTTP path, not bfloat16's rounding.
    local = SentenceTransformerEmbedder(str(REAL_MODEL_DIR), dtype="float32")
    loaded: list[Any] = []

    def real_vectors(texts: list[str]) -> list[list[float]]:
        # What a service does: the texts as received (prompts included), no prompt added.
        if not loaded:
            from sentence_transformers import SentenceTransformer

            loaded.append(
                SentenceTransformer(str(REAL_MODEL_DIR), device="cpu", local_files_only=True)
            )
        vectors = loaded[0].encode(texts, convert_to_numpy=True, show_progress_bar=False)
        return [[float(x) for x in row] for row in vectors.astype("float32")]

    with FakeService(real_vectors) as service:
        remote = build_embedder(
            settings.model_copy(
                update={"embedding_url": service.url, "embedding_model": str(REAL_MODEL_DIR)}
            )
        )
        assert isinstance(remote, ServiceEmbedder)
        local_store = open_store(tmp_path / "local", settings.collection)
        Ingestor(settings, local, local_store).run()
        remote_store = open_store(tmp_path / "remote", settings.collection)
        Ingestor(settings, remote, remote_store).run()

        assert remote_store.model_id == local_store.model_id == "embeddinggemma-300m"
        chunks = list(local_store.iter_chunks())
        local_vectors = local_store.vectors_of(chunks)
        remote_vectors = remote_store.vectors_of(chunks)
        assert min(cosine(local_vectors[c.id], remote_vectors[c.id]) for c in chunks) >= 0.999
        for question in QUESTIONS:
            assert cosine(local.embed_query(question), remote.embed_query(question)) >= 0.999
        expected = top_passages(settings, local_store, local)
        assert top_passages(settings, remote_store, remote) == expected
        assert top_passages(settings, local_store, remote) == expected
