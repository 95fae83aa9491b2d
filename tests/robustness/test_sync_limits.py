"""Sync only fetches http(s) from the declared, public hosts, within a size and a time budget.

A loopback HTTP server plays the official site (allowed with ``allow_private_hosts``, except in
the tests of that refusal). Each refused download must name the document and the reason in
French, and leave the documents folder as it was.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.errors import ConfigError
from ingest.fetch import sync
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


def sync_one(
    site: LoopbackServer,
    dest: Path,
    official_url: str,
    max_bytes: int = 10_000,
    *,
    deadline_s: float = 120.0,
    allow_private_hosts: bool = True,
) -> str:
    """Sync one source over an existing copy; return the failure reason."""
    dest.mkdir(exist_ok=True)
    (dest / "decret.pdf").write_bytes(KEPT)
    source = Source(doc_id="decret", title="Décret", kind="decret", official_url=official_url)
    with httpx.Client(timeout=httpx.Timeout(5.0, connect=1.0), trust_env=False) as client:
        [result] = sync_corpus(
            [source],
            dest,
            client=client,
            max_bytes=max_bytes,
            deadline_s=deadline_s,
            allow_private_hosts=allow_private_hosts,
        )
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


# --- overall deadline -------------------------------------------------------------------------


def test_trickling_server_is_cut_at_the_deadline(site: LoopbackServer, tmp_path: Path) -> None:
    # One byte every 0.2 s: each read is well within the client's 5 s timeout, yet the body
    # would take 8 s; the per-document deadline (1 s) stops it.
    site.routes["/lent.pdf"] = Route(
        body=PDF + b"0" * 12, headers={"Content-Type": "application/pdf"}, trickle_s=0.2
    )
    started = time.monotonic()
    reason = sync_one(site, tmp_path, url(site, "/lent.pdf"), deadline_s=1.0)
    assert "délai total dépassé (1 s)" in reason
    assert time.monotonic() - started < 6.0  # generous: well under the 8 s the body takes


def test_deadline_covers_the_redirects(site: LoopbackServer, tmp_path: Path) -> None:
    # Each hop answers within the client's timeout, but the hops together outlast the deadline.
    site.routes["/a"] = Route(status=302, headers={"Location": "/b"}, delay_s=0.6)
    site.routes["/b"] = Route(status=302, headers={"Location": "/c"}, delay_s=0.6)
    site.routes["/c"] = Route(body=PDF, headers={"Content-Type": "application/pdf"})
    reason = sync_one(site, tmp_path, url(site, "/a"), deadline_s=1.0)
    assert "délai total dépassé (1 s)" in reason
    assert "/c" not in site.requests


def test_download_within_the_deadline_is_accepted(site: LoopbackServer, tmp_path: Path) -> None:
    site.routes["/decret.pdf"] = Route(body=PDF, headers={"Content-Type": "application/pdf"})
    source = Source(
        doc_id="decret", title="Décret", kind="decret", official_url=url(site, "/decret.pdf")
    )
    with httpx.Client(timeout=5.0, trust_env=False) as client:
        [result] = sync_corpus(
            [source], tmp_path, client=client, deadline_s=30.0, allow_private_hosts=True
        )
    assert result.status == "new"
    assert (tmp_path / "decret.pdf").read_bytes() == PDF


@pytest.mark.parametrize("deadline_s", [0.0, -1.0, float("nan")])
def test_invalid_deadline_is_a_config_error(tmp_path: Path, deadline_s: float) -> None:
    with pytest.raises(ConfigError, match="COOP_SYNC_DEADLINE_S"):
        sync_corpus([], tmp_path, deadline_s=deadline_s)


# --- private and local addresses -------------------------------------------------------------


def test_loopback_url_is_refused_by_default(site: LoopbackServer, tmp_path: Path) -> None:
    site.routes["/decret.pdf"] = Route(body=PDF, headers={"Content-Type": "application/pdf"})
    reason = sync_one(site, tmp_path, url(site, "/decret.pdf"), allow_private_hosts=False)
    assert "adresse privée ou locale refusée : 127.0.0.1" in reason
    assert site.requests == []


def test_host_name_resolving_to_loopback_is_refused(site: LoopbackServer, tmp_path: Path) -> None:
    site.routes["/decret.pdf"] = Route(body=PDF, headers={"Content-Type": "application/pdf"})
    reason = sync_one(
        site, tmp_path, url(site, "/decret.pdf", "localhost"), allow_private_hosts=False
    )
    assert "adresse privée ou locale refusée : localhost" in reason
    assert site.requests == []


@pytest.mark.parametrize(
    "host",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "[::1]",
        "[fe80::1]",
        "[fd00::1]",
        "[::ffff:127.0.0.1]",
    ],
)
def test_private_link_local_and_reserved_addresses_are_refused(
    site: LoopbackServer, tmp_path: Path, host: str
) -> None:
    # Refused before any connection: nothing is contacted, whatever the address.
    reason = sync_one(site, tmp_path, f"http://{host}/decret.pdf", allow_private_hosts=False)
    assert "adresse privée ou locale refusée" in reason
    assert "COOP_ALLOW_PRIVATE_HOSTS" in reason


def test_public_addresses_pass_the_check() -> None:
    for host in ("8.8.8.8", "2a00:1450:4007:80f::200e", "194.5.174.1"):
        assert sync._refused_address(host) is None
