"""Sync only fetches http(s) from the declared hosts, follows no redirect elsewhere, caps sizes.

A loopback HTTP server plays the official site. Each refused download must name the document and
the reason in French, and leave the documents folder as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest.fetch.sources import Source
from ingest.fetch.sync import sync_corpus
from tests.test_sync import Handler, LoopbackServer, Route

PDF = b"%PDF-1.4\n% document de test\n"
KEPT = b"%PDF-1.4\n% version deja synchronisee\n"


@pytest.fixture
def site() -> Iterator[LoopbackServer]:
    httpd = LoopbackServer(("127.0.0.1", 0), Handler)
    httpd.routes, httpd.requests = {}, []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def url(site: LoopbackServer, path: str, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{site.server_address[1]}{path}"


def sync_one(site: LoopbackServer, dest: Path, official_url: str, max_bytes: int = 10_000) -> str:
    """Sync one source over an existing copy; return the failure reason."""
    dest.mkdir(exist_ok=True)
    (dest / "decret.pdf").write_bytes(KEPT)
    source = Source(doc_id="decret", title="Décret", kind="decret", official_url=official_url)
    with httpx.Client(timeout=5.0, trust_env=False) as client:
        [result] = sync_corpus([source], dest, client=client, max_bytes=max_bytes)
    assert result.status == "failed"
    assert result.reason.startswith("« decret » : ")
    # Nothing lost, nothing added: the synced copy is untouched.
    assert sorted(p.name for p in dest.iterdir() if p.suffix != ".json") == ["decret.pdf"]
    assert (dest / "decret.pdf").read_bytes() == KEPT
    return result.reason


@pytest.mark.parametrize(
    "official_url", ["ftp://127.0.0.1/decret.pdf", "file:///etc/passwd", "data:,texte"]
)
def test_only_http_and_https(site: LoopbackServer, tmp_path: Path, official_url: str) -> None:
    reason = sync_one(site, tmp_path, official_url)
    assert "schéma d'URL non autorisé" in reason
    assert site.requests == []


def test_redirect_to_an_undeclared_host_is_not_followed(
    site: LoopbackServer, tmp_path: Path
) -> None:
    # "localhost" is the same server: only the host check stops the download.
    site.routes["/decret"] = Route(
        status=302, headers={"Location": url(site, "/x.pdf", "localhost")}
    )
    site.routes["/x.pdf"] = Route(body=PDF, headers={"Content-Type": "application/pdf"})
    reason = sync_one(site, tmp_path, url(site, "/decret"))
    assert "l'hôte « localhost » ne figure pas parmi les URL officielles" in reason
    assert site.requests == ["/decret"]


@pytest.mark.parametrize("send_length", [True, False], ids=["announced", "streamed"])
def test_download_is_size_capped(site: LoopbackServer, tmp_path: Path, send_length: bool) -> None:
    site.routes["/gros.pdf"] = Route(
        body=PDF + b"0" * 50_000,
        headers={"Content-Type": "application/pdf"},
        send_length=send_length,
    )
    reason = sync_one(site, tmp_path, url(site, "/gros.pdf"), max_bytes=10_000)
    assert "document trop volumineux" in reason


def test_mirror_copy_is_size_capped(tmp_path: Path) -> None:
    mirror = tmp_path / "miroir"
    mirror.mkdir()
    with (mirror / "decret.pdf").open("wb") as handle:
        handle.truncate(60_000_000)  # sparse
    dest = tmp_path / "documents"
    source = Source(doc_id="decret", title="Décret", kind="decret", filename="decret.pdf")
    [result] = sync_corpus([source], dest, mirror=mirror)
    assert result.status == "failed"
    assert "dépasse la taille maximale (60000000 > 50000000 octets)" in result.reason
    assert [p for p in dest.iterdir() if p.suffix != ".json"] == []
