"""ingest.fetch.sync: mirror copies and downloads against a real loopback HTTP server."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from assistant.errors import CorpusError
from assistant.index.sync_state import STATE_FILE
from ingest.fetch.sources import Source, load_sources
from ingest.fetch.sync import (
    PREVIOUS_DIR,
    SyncResult,
    declared_hosts,
    find_document_file,
    sync_corpus,
)

REPO_ROOT = Path(__file__).parents[1]
REAL_MIRROR = Path(__file__).parents[2] / "shared" / "corpus"


def make_source(doc_id: str, **fields: object) -> Source:
    return Source.model_validate(
        {"doc_id": doc_id, "title": f"Titre {doc_id}", "kind": "page"} | fields
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_under(folder: Path) -> list[str]:
    """Documents under ``folder`` (the sync state file, tested in test_diff.py, left out)."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.name != STATE_FILE
    )


# --- mirror ----------------------------------------------------------------------------------


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    folder = tmp_path / "mirror"
    folder.mkdir()
    return folder


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "documents"


def test_mirror_new_unchanged_changed(mirror: Path, dest: Path) -> None:
    (mirror / "arrete-x.txt").write_bytes("version 1 — été".encode())
    source = make_source("arrete-x")

    [first] = sync_corpus([source], dest, mirror=mirror)
    assert (first.doc_id, first.status, first.path) == (
        "arrete-x",
        "new",
        dest.resolve() / "arrete-x.txt",
    )
    assert (dest / "arrete-x.txt").read_bytes() == "version 1 — été".encode()

    [second] = sync_corpus([source], dest, mirror=mirror)
    assert second.status == "unchanged"
    assert second.reason == "identique à la copie locale."

    (mirror / "arrete-x.txt").write_bytes(b"version 2")
    [third] = sync_corpus([source], dest, mirror=mirror)
    assert third.status == "changed"
    assert f"{PREVIOUS_DIR}/arrete-x.txt" in third.reason
    assert (dest / "arrete-x.txt").read_bytes() == b"version 2"
    assert (dest / PREVIOUS_DIR / "arrete-x.txt").read_bytes() == "version 1 — été".encode()
    # No temporary file is left behind.
    assert files_under(dest) == [f"{PREVIOUS_DIR}/arrete-x.txt", "arrete-x.txt"]


def test_mirror_absent_document_is_not_an_error(mirror: Path, dest: Path) -> None:
    (mirror / "present.txt").write_bytes(b"ok")
    results = sync_corpus([make_source("manquant"), make_source("present")], dest, mirror=mirror)
    assert [(r.doc_id, r.status) for r in results] == [("manquant", "absent"), ("present", "new")]
    assert results[0].path is None
    assert "absent du miroir" in results[0].reason
    assert files_under(dest) == ["present.txt"]


def test_mirror_keeps_declared_filename(mirror: Path, dest: Path) -> None:
    (mirror / "Nom Libre.txt").write_bytes(b"contenu")
    source = make_source("doc", filename="Nom Libre.txt")
    [result] = sync_corpus([source], dest, mirror=mirror)
    assert result.status == "new"
    assert result.path == dest.resolve() / "Nom Libre.txt"
    assert find_document_file(source, dest) == dest / "Nom Libre.txt"


def test_missing_mirror_folder_is_a_corpus_error(tmp_path: Path, dest: Path) -> None:
    with pytest.raises(CorpusError, match="Miroir du corpus introuvable"):
        sync_corpus([make_source("doc")], dest, mirror=tmp_path / "nulle-part")


def test_sha256_mismatch_fails_without_writing(mirror: Path, dest: Path) -> None:
    (mirror / "doc.txt").write_bytes(b"texte modifie")
    expected = sha256(b"texte attendu")
    received = sha256(b"texte modifie")
    [result] = sync_corpus([make_source("doc", sha256=expected)], dest, mirror=mirror)
    assert result.status == "failed"
    assert result.path is None
    assert "« doc »" in result.reason
    assert f"attendue {expected[:12]}" in result.reason
    assert f"reçue {received[:12]}" in result.reason
    assert files_under(dest) == []


def test_sha256_mismatch_keeps_the_existing_copy(mirror: Path, dest: Path) -> None:
    dest.mkdir()
    (dest / "doc.txt").write_bytes(b"copie locale")
    (mirror / "doc.txt").write_bytes(b"autre texte")
    [result] = sync_corpus(
        [make_source("doc", sha256=sha256(b"copie locale"))], dest, mirror=mirror
    )
    assert result.status == "failed"
    assert (dest / "doc.txt").read_bytes() == b"copie locale"
    assert files_under(dest) == ["doc.txt"]


def test_sha256_mismatch_accepted_with_allow_changed(mirror: Path, dest: Path) -> None:
    (mirror / "doc.txt").write_bytes(b"nouvelle version")
    source = make_source("doc", sha256=sha256(b"ancienne version"))
    [result] = sync_corpus([source], dest, mirror=mirror, allow_changed=True)
    assert result.status == "new"
    assert "acceptée" in result.reason
    assert (dest / "doc.txt").read_bytes() == b"nouvelle version"


def test_matching_sha256_is_accepted(mirror: Path, dest: Path) -> None:
    (mirror / "doc.txt").write_bytes(b"texte")
    [result] = sync_corpus([make_source("doc", sha256=sha256(b"texte"))], dest, mirror=mirror)
    assert result.status == "new"
    assert "SHA-256" not in result.reason


@pytest.mark.parametrize("filename", ["../evil.txt", "sub/evil.txt", ".hidden", "..", "a\\b.txt"])
def test_unsafe_filename_is_refused(
    tmp_path: Path, mirror: Path, dest: Path, filename: str
) -> None:
    (tmp_path / "evil.txt").write_bytes(b"hors du miroir")
    (mirror / "sub").mkdir()
    (mirror / "sub" / "evil.txt").write_bytes(b"sous-dossier")
    [result] = sync_corpus([make_source("doc", filename=filename)], dest, mirror=mirror)
    assert result.status == "failed"
    assert "nom de fichier non sûr" in result.reason
    assert files_under(dest) == []


def test_unvalidated_unsafe_doc_id_is_refused(mirror: Path, dest: Path) -> None:
    # model_construct skips the pydantic validators: sync must still refuse the id.
    source = Source.model_construct(doc_id="../x", title="T", kind="page", filename="ok.txt")
    (mirror / "ok.txt").write_bytes(b"x")
    [result] = sync_corpus([source], dest, mirror=mirror)
    assert result.status == "failed"
    assert files_under(dest) == []
    assert not (dest.parent / "x.txt").exists()


def test_symlink_escaping_dest_is_refused(tmp_path: Path, mirror: Path, dest: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"ne pas toucher")
    dest.mkdir()
    (dest / "doc.txt").symlink_to(outside)
    (mirror / "doc.txt").write_bytes(b"nouveau")
    [result] = sync_corpus([make_source("doc")], dest, mirror=mirror)
    assert result.status == "failed"
    assert outside.read_bytes() == b"ne pas toucher"


def test_mirror_symlink_pointing_outside_is_refused(
    tmp_path: Path, mirror: Path, dest: Path
) -> None:
    outside = tmp_path / "passwd"
    outside.write_bytes(b"root:x:0:0:root:/root:/bin/bash")
    (mirror / "doc.txt").symlink_to(outside)
    [result] = sync_corpus([make_source("doc")], dest, mirror=mirror)
    assert result.status == "failed"
    assert "lien symbolique hors du dossier du miroir refusé" in result.reason
    assert files_under(dest) == []


def test_mirror_symlink_inside_the_mirror_is_copied(mirror: Path, dest: Path) -> None:
    (mirror / "sub").mkdir()
    (mirror / "sub" / "vrai.txt").write_bytes(b"contenu")
    (mirror / "doc.txt").symlink_to(Path("sub") / "vrai.txt")
    [result] = sync_corpus([make_source("doc")], dest, mirror=mirror)
    assert result.status == "new"
    assert (dest / "doc.txt").read_bytes() == b"contenu"
    assert not (dest / "doc.txt").is_symlink()


def test_symlink_loops_fail_alone(mirror: Path, dest: Path) -> None:
    # Path.resolve raises RuntimeError on a loop (Python 3.11): it used to stop the whole sync.
    (mirror / "boucle.txt").symlink_to("boucle.txt")
    dest.mkdir()
    (dest / "cible.txt").symlink_to("cible.txt")
    (mirror / "cible.txt").write_bytes(b"cible")
    (mirror / "ok.txt").write_bytes(b"ok")
    results = sync_corpus(
        [make_source("boucle"), make_source("cible"), make_source("ok")], dest, mirror=mirror
    )
    assert [(r.doc_id, r.status) for r in results] == [
        ("boucle", "failed"),
        ("cible", "failed"),
        ("ok", "new"),
    ]
    assert all("lien symbolique invalide" in r.reason for r in results[:2])


def test_find_document_file_refuses_a_symlink_leaving_the_folder(
    tmp_path: Path, dest: Path
) -> None:
    outside = tmp_path / "passwd"
    outside.write_bytes(b"root:x:0:0")
    dest.mkdir()
    (dest / "a.html").symlink_to(outside)
    with pytest.raises(CorpusError, match="lien symbolique hors du dossier du corpus refusé"):
        find_document_file(make_source("a"), dest)
    (dest / "b.txt").write_bytes(b"b")
    (dest / "b.pdf").symlink_to("b.txt")  # inside the folder: accepted
    assert find_document_file(make_source("b"), dest) == dest / "b.txt"
    assert find_document_file(make_source("b", filename="b.pdf"), dest) == dest / "b.pdf"


def test_one_bad_document_does_not_stop_the_others(mirror: Path, dest: Path) -> None:
    (mirror / "b.txt").write_bytes(b"b")
    (mirror / "c.txt").write_bytes(b"c")
    seen: list[SyncResult] = []
    results = sync_corpus(
        [
            make_source("a"),
            make_source("b", sha256=sha256(b"pas b")),
            make_source("c"),
        ],
        dest,
        mirror=mirror,
        on_progress=seen.append,
    )
    assert [(r.doc_id, r.status) for r in results] == [
        ("a", "absent"),
        ("b", "failed"),
        ("c", "new"),
    ]
    assert seen == results
    assert files_under(dest) == ["c.txt"]


def test_find_document_file(dest: Path) -> None:
    dest.mkdir()
    (dest / PREVIOUS_DIR).mkdir()
    (dest / PREVIOUS_DIR / "a.txt").write_bytes(b"old")
    (dest / "a.b.txt").write_bytes(b"autre document")
    source = make_source("a")
    assert find_document_file(source, dest) is None
    (dest / "a.html").write_bytes(b"<html>")
    assert find_document_file(source, dest) == dest / "a.html"
    (dest / "a.pdf").write_bytes(b"%PDF-")
    assert find_document_file(source, dest) == dest / "a.pdf"
    (dest / "a.txt").write_bytes(b"texte")
    assert find_document_file(source, dest) == dest / "a.txt"  # the declared file name wins
    assert find_document_file(make_source("a.b"), dest) == dest / "a.b.txt"


def test_find_document_file_refuses_unsafe_names(dest: Path) -> None:
    with pytest.raises(CorpusError, match="non sûr"):
        find_document_file(make_source("doc", filename="../x.txt"), dest)


def test_sync_from_real_mirror(tmp_path: Path) -> None:
    if not (REAL_MIRROR / "manifest.json").is_file():
        pytest.skip(f"corpus mirror absent: {REAL_MIRROR}")
    sources = load_sources(REPO_ROOT / "corpus" / "sources.yaml")
    dest = tmp_path / "documents"
    results = sync_corpus(sources, dest, mirror=REAL_MIRROR)
    by_status: dict[str, set[str]] = {}
    for result in results:
        by_status.setdefault(result.status, set()).add(result.doc_id)
    mirrored = {s.doc_id for s in sources if s.sha256 is not None}
    assert by_status["new"] == mirrored
    assert by_status["absent"] == {s.doc_id for s in sources if s.sha256 is None}
    assert set(by_status) == {"new", "absent"}
    for source in sources:
        if source.sha256 is not None:
            path = find_document_file(source, dest)
            assert path is not None
            assert sha256(path.read_bytes()) == source.sha256
            assert path.read_bytes() == (REAL_MIRROR / source.file_name).read_bytes()

    again = sync_corpus(sources, dest, mirror=REAL_MIRROR)
    assert {r.doc_id for r in again if r.status == "unchanged"} == mirrored
    assert not (dest / PREVIOUS_DIR).exists()


# --- HTTP ------------------------------------------------------------------------------------


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    send_length: bool = True
    trickle_s: float = 0.0
    """Pause after each byte of the body (a server that keeps a download alive forever)."""
    delay_s: float = 0.0
    """Pause before answering."""


class LoopbackServer(ThreadingHTTPServer):
    routes: dict[str, Route]
    requests: list[str]


class Handler(BaseHTTPRequestHandler):
    server: LoopbackServer

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        route = self.server.routes.get(self.path, Route(status=404, body=b"introuvable"))
        time.sleep(route.delay_s)
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        if route.send_length:
            self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        if not route.trickle_s:
            self.wfile.write(route.body)
            return
        for byte in route.body:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:  # the client gave up
                return
            time.sleep(route.trickle_s)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    httpd = LoopbackServer(("127.0.0.1", 0), Handler)
    httpd.routes = {}
    httpd.requests = []
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    # trust_env=False: a proxy configured in the environment must not intercept loopback calls.
    with httpx.Client(timeout=5.0, trust_env=False) as http_client:
        yield http_client


def base_url(server: LoopbackServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


PDF = b"%PDF-1.4\n% document de test\n"


def test_download_pdf(server: LoopbackServer, client: httpx.Client, dest: Path) -> None:
    server.routes["/decret.pdf"] = Route(body=PDF, headers={"Content-Type": "application/pdf"})
    source = make_source("decret", official_url=f"{base_url(server)}/decret.pdf")
    [result] = sync_corpus([source], dest, client=client, allow_private_hosts=True)
    assert result.status == "new"
    assert result.path == dest.resolve() / "decret.pdf"
    assert (dest / "decret.pdf").read_bytes() == PDF
    assert find_document_file(source, dest) == dest / "decret.pdf"
    assert server.requests == ["/decret.pdf"]


@pytest.mark.parametrize(
    ("path", "content_type", "body", "extension"),
    [
        ("/page", "text/html; charset=utf-8", "<p>Coopération</p>".encode(), ".html"),
        ("/texte", "text/plain; charset=utf-8", b"Article 1", ".txt"),
        ("/download/pdf?id=abc", "application/octet-stream", PDF, ".pdf"),
        ("/fichier.htm", "application/octet-stream", b"<html></html>", ".html"),
    ],
)
def test_download_extension_from_type_suffix_or_content(
    server: LoopbackServer,
    client: httpx.Client,
    dest: Path,
    path: str,
    content_type: str,
    body: bytes,
    extension: str,
) -> None:
    server.routes[path] = Route(body=body, headers={"Content-Type": content_type})
    [result] = sync_corpus(
        [make_source("doc", official_url=base_url(server) + path)],
        dest,
        client=client,
        allow_private_hosts=True,
    )
    assert result.status == "new"
    assert files_under(dest) == [f"doc{extension}"]
    assert (dest / f"doc{extension}").read_bytes() == body


def test_unknown_content_type_fails(
    server: LoopbackServer, client: httpx.Client, dest: Path
) -> None:
    server.routes["/blob"] = Route(body=b"\x00\x01", headers={"Content-Type": "image/png"})
    [result] = sync_corpus(
        [make_source("doc", official_url=f"{base_url(server)}/blob")],
        dest,
        client=client,
        allow_private_hosts=True,
    )
    assert result.status == "failed"
    assert "image/png" in result.reason
    assert files_under(dest) == []


def test_download_changed_keeps_previous(
    server: LoopbackServer, client: httpx.Client, dest: Path
) -> None:
    source = make_source("doc", official_url=f"{base_url(server)}/doc.pdf")
    server.routes["/doc.pdf"] = Route(body=PDF, headers={"Content-Type": "application/pdf"})
    assert [
        r.status for r in sync_corpus([source], dest, client=client, allow_private_hosts=True)
    ] == ["new"]
    assert [
        r.status for r in sync_corpus([source], dest, client=client, allow_private_hosts=True)
    ] == ["unchanged"]
    server.routes["/doc.pdf"] = Route(body=PDF + b"v2", headers={"Content-Type": "application/pdf"})
    [result] = sync_corpus([source], dest, client=client, allow_private_hosts=True)
    assert result.status == "changed"
    assert (dest / "doc.pdf").read_bytes() == PDF + b"v2"
    assert (dest / PREVIOUS_DIR / "doc.pdf").read_bytes() == PDF


def test_download_replacing_another_format_moves_it_to_previous(
    server: LoopbackServer, client: httpx.Client, dest: Path
) -> None:
    dest.mkdir()
    (dest / "doc.html").write_bytes(b"<html>ancienne page</html>")
    server.routes["/doc.pdf"] = Route(body=PDF, headers={"Content-Type": "application/pdf"})
    source = make_source("doc", official_url=f"{base_url(server)}/doc.pdf")
    [result] = sync_corpus([source], dest, client=client, allow_private_hosts=True)
    assert result.status == "changed"
    assert files_under(dest) == [f"{PREVIOUS_DIR}/doc.html", "doc.pdf"]


def test_download_404_fails(server: LoopbackServer, client: httpx.Client, dest: Path) -> None:
    source = make_source("absent-du-site", official_url=f"{base_url(server)}/manquant")
    [result] = sync_corpus([source], dest, client=client, allow_private_hosts=True)
    assert result.status == "failed"
    assert "« absent-du-site »" in result.reason
    assert "HTTP 404" in result.reason
    assert result.path is None
    assert files_under(dest) == []


def test_redirect_on_same_host_is_followed(
    server: LoopbackServer, client: httpx.Client, dest: Path
) -> None:
    server.routes["/ancien"] = Route(status=301, headers={"Location": "/nouveau.pdf"})
    server.routes["/nouveau.pdf"] = Route(body=PDF, headers={"Content-Type": "application/pdf"})
    [result] = sync_corpus(
        [make_source("doc", official_url=f"{base_url(server)}/ancien")],
        dest,
        client=client,
        allow_private_hosts=True,
    )
    assert result.status == "new"
    assert (dest / "doc.pdf").read_bytes() == PDF
    assert server.requests == ["/ancien", "/nouveau.pdf"]


def test_redirect_to_another_host_is_refused(
    server: LoopbackServer, client: httpx.Client, dest: Path
) -> None:
    port = server.server_address[1]
    # "localhost" reaches the same server, so following the redirect would succeed: only the
    # host check can make this fail.
    server.routes["/ailleurs"] = Route(
        status=302, headers={"Location": f"http://localhost:{port}/doc.pdf"}
    )
    server.routes["/doc.pdf"] = Route(body=PDF, headers={"Content-Type": "application/pdf"})
    [result] = sync_corpus(
        [make_source("doc", official_url=f"{base_url(server)}/ailleurs")],
        dest,
        client=client,
        allow_private_hosts=True,
    )
    assert result.status == "failed"
    assert "« localhost »" in result.reason
    assert server.requests == ["/ailleurs"]
    assert files_under(dest) == []


def test_redirect_loop_is_cut(server: LoopbackServer, client: httpx.Client, dest: Path) -> None:
    server.routes["/boucle"] = Route(status=302, headers={"Location": "/boucle"})
    [result] = sync_corpus(
        [make_source("doc", official_url=f"{base_url(server)}/boucle")],
        dest,
        client=client,
        allow_private_hosts=True,
    )
    assert result.status == "failed"
    assert "trop de redirections" in result.reason
    assert len(server.requests) == 6


@pytest.mark.parametrize("send_length", [True, False], ids=["content-length", "streamed"])
def test_oversized_body_is_refused(
    server: LoopbackServer, client: httpx.Client, dest: Path, send_length: bool
) -> None:
    server.routes["/gros.pdf"] = Route(
        body=PDF + b"x" * 5000, headers={"Content-Type": "application/pdf"}, send_length=send_length
    )
    [result] = sync_corpus(
        [make_source("doc", official_url=f"{base_url(server)}/gros.pdf")],
        dest,
        client=client,
        allow_private_hosts=True,
        max_bytes=1000,
    )
    assert result.status == "failed"
    assert "trop volumineux" in result.reason
    assert files_under(dest) == []


def test_body_at_the_limit_is_accepted(
    server: LoopbackServer, client: httpx.Client, dest: Path
) -> None:
    body = PDF + b"x" * (1000 - len(PDF))
    server.routes["/juste.pdf"] = Route(
        body=body, headers={"Content-Type": "application/pdf"}, send_length=False
    )
    [result] = sync_corpus(
        [make_source("doc", official_url=f"{base_url(server)}/juste.pdf")],
        dest,
        client=client,
        allow_private_hosts=True,
        max_bytes=1000,
    )
    assert result.status == "new"
    assert (dest / "doc.pdf").read_bytes() == body


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/doc.pdf", "file:///etc/passwd", "gopher://127.0.0.1/x"]
)
def test_non_http_scheme_is_refused(
    server: LoopbackServer, client: httpx.Client, dest: Path, url: str
) -> None:
    [result] = sync_corpus(
        [make_source("doc", official_url=url)], dest, client=client, allow_private_hosts=True
    )
    assert result.status == "failed"
    assert "schéma d'URL non autorisé" in result.reason
    assert server.requests == []
    assert files_under(dest) == []


def test_source_without_url_is_absent(client: httpx.Client, dest: Path) -> None:
    [result] = sync_corpus([make_source("doc")], dest, client=client, allow_private_hosts=True)
    assert result.status == "absent"
    assert "aucune URL officielle" in result.reason


def test_download_sha256_mismatch_fails(
    server: LoopbackServer, client: httpx.Client, dest: Path
) -> None:
    server.routes["/doc.pdf"] = Route(body=PDF, headers={"Content-Type": "application/pdf"})
    expected = sha256(b"autre chose")
    source = make_source("doc", official_url=f"{base_url(server)}/doc.pdf", sha256=expected)
    [result] = sync_corpus([source], dest, client=client, allow_private_hosts=True)
    assert result.status == "failed"
    assert expected[:12] in result.reason and sha256(PDF)[:12] in result.reason
    assert files_under(dest) == []


def test_connection_error_fails_and_others_go_on(
    server: LoopbackServer, client: httpx.Client, dest: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    server.routes["/ok.pdf"] = Route(body=PDF, headers={"Content-Type": "application/pdf"})
    results = sync_corpus(
        [
            make_source("injoignable", official_url=f"http://127.0.0.1:{closed_port}/doc.pdf"),
            make_source("ok", official_url=f"{base_url(server)}/ok.pdf"),
        ],
        dest,
        client=client,
        allow_private_hosts=True,
    )
    assert [(r.doc_id, r.status) for r in results] == [("injoignable", "failed"), ("ok", "new")]
    assert results[0].reason.startswith("« injoignable » : échec du téléchargement")
    assert files_under(dest) == ["ok.pdf"]


def test_default_client_downloads(
    server: LoopbackServer, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.lower() in {"http_proxy", "https_proxy", "all_proxy"}:
            monkeypatch.delenv(name)
    server.routes["/doc.txt"] = Route(body=b"texte", headers={"Content-Type": "text/plain"})
    [result] = sync_corpus(
        [make_source("doc", official_url=f"{base_url(server)}/doc.txt")],
        dest,
        allow_private_hosts=True,
    )
    assert result.status == "new"
    assert (dest / "doc.txt").read_bytes() == b"texte"


def test_declared_hosts() -> None:
    sources = [
        make_source("a", official_url="https://WWW.Legifrance.gouv.fr/jorf/id/X"),
        make_source("b", official_url="https://sante.gouv.fr/page"),
        make_source("c"),
    ]
    assert declared_hosts(sources) == frozenset({"www.legifrance.gouv.fr", "sante.gouv.fr"})
