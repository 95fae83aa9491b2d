"""Fetch the source documents into the local documents folder (``coop corpus sync``).

Documents come either from a local mirror directory (``--mirror ../shared/corpus``) or from their
official URL. Every document gets a :class:`SyncResult`; one bad document never stops the others.
Trust boundaries: downloads only reach public addresses of the declared hosts within a size and
a time budget; symbolic links are followed only when they stay inside their folder (mirror or
documents folder), so neither sync nor ingestion reads a file from elsewhere.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import httpx

from assistant.errors import ConfigError, CorpusError
from assistant.index.sync_state import STATE_FILE, read_sync_state
from ingest.fetch.sources import Source

__all__ = [
    "PREVIOUS_DIR",
    "STATE_FILE",
    "ProgressCallback",
    "SyncResult",
    "SyncStatus",
    "declared_hosts",
    "find_document_file",
    "read_sync_state",
    "sync_corpus",
]

logger = logging.getLogger(__name__)

SyncStatus = Literal["new", "unchanged", "changed", "failed", "absent"]

_STATUSES: tuple[SyncStatus, ...] = ("new", "unchanged", "changed", "failed", "absent")

PREVIOUS_DIR = ".previous"
"""Sub-folder of the documents folder holding the version replaced by the last sync."""


_ALLOWED_SCHEMES = frozenset({"http", "https"})
_MAX_REDIRECTS = 5
_DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_DEFAULT_DEADLINE_S = 120.0  # Settings.sync_deadline_s
_USER_AGENT = "coop-assistant/0.1 (synchronisation du corpus)"
# Order matters: find_document_file prefers the richest format when several exist.
_KNOWN_EXTENSIONS = (".pdf", ".html", ".txt")
_CONTENT_TYPES = {
    "application/pdf": ".pdf",
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
}
_URL_SUFFIXES = {".pdf": ".pdf", ".html": ".html", ".htm": ".html", ".txt": ".txt"}


@dataclass(frozen=True, slots=True)
class SyncResult:
    """Outcome of syncing one document.

    Attributes:
        doc_id: The source's id.
        status: ``new`` / ``unchanged`` / ``changed`` (written or kept), ``absent`` (nothing to
            fetch: not mirrored or no URL), ``failed`` (nothing written).
        reason: French explanation shown to the user.
        path: The local file after the sync (``None`` when absent or failed).
    """

    doc_id: str
    status: SyncStatus
    reason: str
    path: Path | None


ProgressCallback = Callable[[SyncResult], None]


class _SyncFailure(Exception):
    """Internal: one document cannot be synced; the message is the French reason."""


@dataclass(frozen=True, slots=True)
class _Fetched:
    data: bytes
    file_name: str
    origin: str


@dataclass(frozen=True, slots=True)
class _Limits:
    """What a download may do: which hosts, how many bytes, how long in all (seconds)."""

    hosts: frozenset[str]
    max_bytes: int
    deadline_s: float
    allow_private_hosts: bool


def sync_corpus(
    sources: Sequence[Source],
    dest: Path,
    *,
    mirror: Path | None = None,
    client: httpx.Client | None = None,
    allow_changed: bool = False,
    max_bytes: int = 50_000_000,
    deadline_s: float = _DEFAULT_DEADLINE_S,
    allow_private_hosts: bool = False,
    on_progress: ProgressCallback | None = None,
    now: datetime | None = None,
) -> list[SyncResult]:
    """Copy or download every source into ``dest`` and report what happened to each one.

    With ``mirror``, ``mirror/<file_name>`` is copied (a source missing from the mirror is
    ``absent``). Without it, ``official_url`` is downloaded as ``dest/<doc_id><ext>``; only
    http(s) URLs whose host appears among the sources' official URLs are fetched, redirects are
    followed by hand within those hosts, hosts resolving to a loopback, private, link-local or
    otherwise non-public address are refused (unless ``allow_private_hosts``), bodies larger than
    ``max_bytes`` are refused and a download (redirects included) taking more than ``deadline_s``
    is abandoned. A symbolic link in the mirror or in ``dest`` whose target leaves its folder is
    refused. A file whose SHA-256 differs from the source's ``sha256`` is refused unless
    ``allow_changed``. When a file changes, the replaced version is kept in ``dest/.previous/``.
    Writes are atomic; a failed document leaves its previous copy in place.

    Args:
        sources: The validated sources (``load_sources``).
        dest: The documents folder; created if needed.
        mirror: A local folder holding copies of the documents, used instead of the network.
        client: HTTP client to use (tests inject one); by default a new one with a timeout.
        allow_changed: Accept files whose digest differs from the recorded ``sha256``.
        max_bytes: Largest accepted document size.
        deadline_s: Longest time one download may take in all (``Settings.sync_deadline_s``);
            the client's own timeouts are shortened to fit in it.
        allow_private_hosts: Also fetch from loopback, private and link-local addresses
            (``Settings.allow_private_hosts``), for intranet mirrors.
        on_progress: Called with each result as soon as the document is done.
        now: Date of this sync recorded in ``dest/.sync-state.json`` (default: now, UTC).

    Returns:
        One result per source, in the order of ``sources``.

    Raises:
        CorpusError: ``dest`` cannot be created, or ``mirror`` is not a folder.
        ConfigError: ``deadline_s`` is not a positive number of seconds.
    """
    if not deadline_s > 0:  # also refuses NaN
        raise ConfigError(
            f"Délai total de synchronisation invalide : {deadline_s} s "
            "(COOP_SYNC_DEADLINE_S doit être un nombre de secondes positif)."
        )
    if mirror is not None and not mirror.is_dir():
        raise CorpusError(f"Miroir du corpus introuvable : {mirror} n'est pas un dossier.")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CorpusError(f"Impossible de créer le dossier des documents {dest} : {err}") from err
    dest = dest.resolve()
    limits = _Limits(declared_hosts(sources), max_bytes, deadline_s, allow_private_hosts)
    own_client: httpx.Client | None = None
    if mirror is None and client is None:
        own_client = client = httpx.Client(
            timeout=_DEFAULT_TIMEOUT, follow_redirects=False, headers={"User-Agent": _USER_AGENT}
        )
    results: list[SyncResult] = []
    try:
        for source in sources:
            result = _sync_one(
                source,
                dest,
                mirror=mirror,
                client=client,
                limits=limits,
                allow_changed=allow_changed,
            )
            logger.debug("sync %s: %s (%s)", result.doc_id, result.status, result.reason)
            results.append(result)
            if on_progress is not None:
                on_progress(result)
    finally:
        if own_client is not None:
            own_client.close()
    _record_state(dest, results, (now or datetime.now(UTC)).isoformat(timespec="seconds"))
    counts = {status: sum(r.status == status for r in results) for status in _STATUSES}
    logger.info(
        "synced %d sources: %d new, %d changed, %d unchanged, %d absent, %d failed",
        len(results),
        counts["new"],
        counts["changed"],
        counts["unchanged"],
        counts["absent"],
        counts["failed"],
    )
    return results


def declared_hosts(sources: Iterable[Source]) -> frozenset[str]:
    """Lower-cased host names of the sources' official URLs: the only hosts sync may contact."""
    hosts: set[str] = set()
    for source in sources:
        if not source.official_url:
            continue
        try:
            host = httpx.URL(source.official_url).host
        except httpx.InvalidURL:
            continue
        if host:
            hosts.add(host.lower())
    return frozenset(hosts)


def find_document_file(source: Source, dest: Path) -> Path | None:
    """Return the synced file of ``source`` in ``dest``, or ``None`` if there is none yet.

    Looks for ``dest/<file_name>`` first, then ``dest/<doc_id>.pdf|.html|.txt`` (downloads are
    named after their content type). Files kept in ``dest/.previous`` are never returned. A
    symbolic link is accepted only when its target is a file inside ``dest``: ingestion must never
    index a file from elsewhere (``link.txt`` → ``/etc/passwd``).

    Raises:
        CorpusError: the source's id or file name is not a plain file name, or one of the
            candidate names is a symbolic link leaving ``dest`` (or a link loop).
    """
    try:
        return _find_document(source, dest)
    except _SyncFailure as err:
        raise CorpusError(str(err)) from err
    except OSError as err:  # a name the file system refuses (too long…): not this document's file
        raise CorpusError(
            f"« {source.doc_id[:80]} » : nom de fichier inutilisable ({err.strerror})."
        ) from err


def _find_document(source: Source, dest: Path) -> Path | None:
    """:func:`find_document_file`, failing with :class:`_SyncFailure`."""
    doc_id = _safe_name(source.doc_id, source.doc_id)
    names = [_safe_name(source.file_name, doc_id)]
    names += [f"{doc_id}{extension}" for extension in _KNOWN_EXTENSIONS]
    folder = _resolve(dest, doc_id)
    for name in names:
        candidate = dest / name
        _check_link(candidate, folder, doc_id, "du corpus")
        if candidate.is_file():
            return candidate
    return None


def _record_state(dest: Path, results: Sequence[SyncResult], synced_at: str) -> None:
    """Write the sync state: documents of this sync and of the one before, change dates."""
    before = read_sync_state(dest)
    old_docs = before.get("documents")
    old = old_docs if isinstance(old_docs, dict) else {}
    documents: dict[str, object] = {}
    for result in results:
        previous = old.get(result.doc_id)
        if result.path is None:
            if isinstance(previous, dict):  # not fetched this time: the local copy stays
                documents[result.doc_id] = previous | {"status": "unchanged"}
            continue
        if result.status in {"new", "changed"}:
            updated = synced_at
        elif isinstance(previous, dict):
            updated = str(previous.get("updated_at", synced_at))
        else:
            # First recorded sync: the file was last written when its content last changed.
            mtime = datetime.fromtimestamp(result.path.stat().st_mtime, UTC)
            updated = mtime.isoformat(timespec="seconds")
        documents[result.doc_id] = {
            "file": result.path.name,
            "status": result.status,
            "updated_at": updated,
        }
    state = {
        "synced_at": synced_at,
        "previous_synced_at": before.get("synced_at", ""),
        "previous_documents": sorted(old),
        "documents": documents,
    }
    _write_atomic(dest / STATE_FILE, (json.dumps(state, indent=2) + "\n").encode())


def _sync_one(
    source: Source,
    dest: Path,
    *,
    mirror: Path | None,
    client: httpx.Client | None,
    limits: _Limits,
    allow_changed: bool,
) -> SyncResult:
    try:
        _safe_name(source.doc_id, source.doc_id)
        if mirror is not None:
            fetched = _read_mirror(source, mirror, limits.max_bytes)
        elif not source.official_url:
            return SyncResult(
                source.doc_id,
                "absent",
                "aucune URL officielle connue : document à fournir manuellement.",
                None,
            )
        elif client is None:
            raise TypeError("a client is required to download without a mirror")
        else:
            fetched = _download(source, source.official_url, client, limits)
        if fetched is None:
            return SyncResult(
                source.doc_id, "absent", f"absent du miroir {mirror} : non synchronisé.", None
            )
        note = _check_digest(source, fetched.data, allow_changed)
        return _store(source, dest, fetched, note)
    except _SyncFailure as err:
        return SyncResult(source.doc_id, "failed", str(err), None)
    except OSError as err:
        reason = f"« {source.doc_id} » : erreur de lecture ou d'écriture ({err})."
        return SyncResult(source.doc_id, "failed", reason, None)


def _safe_name(name: str, doc_id: str) -> str:
    """Return ``name`` if it is a plain file name that cannot leave its folder."""
    if (
        not name
        or name in {".", ".."}
        or ".." in name
        or name.startswith(".")
        or any(sep in name for sep in ("/", "\\", "\0"))
        or Path(name).name != name
    ):
        raise _SyncFailure(f"« {doc_id} » : nom de fichier non sûr {name!r}, refusé.")
    return name


def _inside(folder: Path, name: str, doc_id: str, place: str) -> Path:
    """``folder / name``, refused if it is a symbolic link whose target leaves ``folder``."""
    path = folder / _safe_name(name, doc_id)
    _check_link(path, _resolve(folder, doc_id), doc_id, place)
    return path


def _resolve(path: Path, doc_id: str) -> Path:
    """``path`` with every symbolic link resolved; a link loop is a failure, not a crash."""
    try:
        return path.resolve()
    except (OSError, RuntimeError) as err:  # a loop: RuntimeError up to Python 3.12
        raise _SyncFailure(
            f"« {doc_id} » : lien symbolique invalide (boucle ou chemin illisible) refusé : {path}."
        ) from err


def _check_link(path: Path, folder: Path, doc_id: str, place: str) -> None:
    """Refuse ``path`` if it is a symbolic link whose target is not inside ``folder`` (resolved).

    ``place`` names the folder in the French reason (« du corpus », « du miroir »).
    """
    if not path.is_symlink():
        return
    target = _resolve(path, doc_id)
    if target == folder or not target.is_relative_to(folder):
        raise _SyncFailure(
            f"« {doc_id} » : lien symbolique hors du dossier {place} refusé : {path} → {target}."
        )


def _read_mirror(source: Source, mirror: Path, max_bytes: int) -> _Fetched | None:
    path = _inside(mirror, source.file_name, source.doc_id, "du miroir")
    if not path.exists():
        return None
    if not path.is_file():
        raise _SyncFailure(f"« {source.doc_id} » : {path} n'est pas un fichier.")
    size = path.stat().st_size
    if size > max_bytes:
        raise _SyncFailure(
            f"« {source.doc_id} » : {path} dépasse la taille maximale "
            f"({size} > {max_bytes} octets)."
        )
    return _Fetched(path.read_bytes(), source.file_name, str(path))


def _check_url(url: httpx.URL, limits: _Limits, doc_id: str) -> None:
    """Refuse a URL (first or redirected) that sync may not contact."""
    if url.scheme not in _ALLOWED_SCHEMES:
        raise _SyncFailure(
            f"« {doc_id} » : schéma d'URL non autorisé « {url.scheme} » ({url}) ; "
            "seuls http et https sont acceptés."
        )
    if url.host.lower() not in limits.hosts:
        raise _SyncFailure(
            f"« {doc_id} » : l'hôte « {url.host} » ne figure pas parmi les URL officielles "
            f"des sources ({url}), refusé."
        )
    if limits.allow_private_hosts:
        return
    host = url.raw_host.decode("ascii")
    try:
        refused = _refused_address(host)
    except (OSError, UnicodeError) as err:
        raise _SyncFailure(
            f"« {doc_id} » : impossible de résoudre l'hôte « {url.host} » ({url}) ; "
            "son adresse ne peut pas être vérifiée, refusé."
        ) from err
    if refused is not None:
        shown = host if refused == host else f"{host} ({refused})"
        raise _SyncFailure(
            f"« {doc_id} » : adresse privée ou locale refusée : {shown} ({url}) ; "
            "COOP_ALLOW_PRIVATE_HOSTS=true pour l'autoriser (intranet)."
        )


def _refused_address(host: str) -> str | None:
    """The first address of ``host`` that is not public (loopback, private…), or ``None``.

    An IP literal is checked as is; a name is resolved and every address it resolves to must be
    public. The address the HTTP client then connects to is resolved again, so a DNS server that
    answers differently the second time is not covered.

    Raises:
        OSError: the name cannot be resolved (``socket.gaierror``).
    """
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        addresses = [ipaddress.ip_address(str(info[4][0])) for info in infos]
        if not addresses:
            raise socket.gaierror(f"no address for {host}") from None
    for address in addresses:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global or any(
            (
                address.is_private,
                address.is_loopback,
                address.is_link_local,
                address.is_reserved,
                address.is_multicast,
                address.is_unspecified,
            )
        ):
            return str(address)
    return None


def _download(source: Source, url: str, client: httpx.Client, limits: _Limits) -> _Fetched:
    doc_id = source.doc_id
    deadline = time.monotonic() + limits.deadline_s
    try:
        current = httpx.URL(url)
        for _ in range(_MAX_REDIRECTS + 1):
            _check_url(current, limits, doc_id)
            timeout = _timeout_within(client.timeout, deadline, limits.deadline_s, doc_id)
            with client.stream("GET", current, follow_redirects=False, timeout=timeout) as response:
                if response.is_redirect:
                    current = _redirect_target(response, current, doc_id)
                    continue
                if response.status_code != httpx.codes.OK:
                    raise _SyncFailure(
                        f"« {doc_id} » : le serveur a répondu HTTP {response.status_code} "
                        f"pour {current}."
                    )
                data = _read_capped(response, limits, deadline, doc_id)
                extension = _extension(response.headers.get("content-type", ""), current, data)
                if extension is None:
                    raise _SyncFailure(
                        f"« {doc_id} » : type de contenu non pris en charge "
                        f"« {response.headers.get('content-type', '')} » ({current})."
                    )
                return _Fetched(data, f"{doc_id}{extension}", str(current))
    except httpx.TimeoutException as err:
        if time.monotonic() >= deadline:
            raise _deadline_failure(doc_id, limits.deadline_s) from err
        raise _SyncFailure(
            f"« {doc_id} » : échec du téléchargement de {url} "
            f"(délai d'attente du serveur dépassé : {type(err).__name__})."
        ) from err
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as err:
        cause = str(err) or type(err).__name__
        raise _SyncFailure(f"« {doc_id} » : échec du téléchargement de {url} ({cause}).") from err
    raise _SyncFailure(f"« {doc_id} » : trop de redirections (plus de {_MAX_REDIRECTS}) ({url}).")


def _redirect_target(response: httpx.Response, current: httpx.URL, doc_id: str) -> httpx.URL:
    location = response.headers.get("location")
    if not location:
        raise _SyncFailure(f"« {doc_id} » : redirection sans adresse de destination ({current}).")
    target = current.join(location)
    # A redirect that drops TLS would let anyone on the path substitute the text.
    if current.scheme == "https" and target.scheme != "https":
        raise _SyncFailure(f"« {doc_id} » : redirection de HTTPS vers {target} refusée.")
    logger.debug("%s: redirected from %s to %s", doc_id, current, target)
    return target


def _timeout_within(
    timeout: httpx.Timeout, deadline: float, deadline_s: float, doc_id: str
) -> httpx.Timeout:
    """``timeout`` with each phase shortened to the time left before ``deadline``.

    httpx only times each network operation; capping them keeps one request from outliving the
    whole-download deadline by more than one slow read.
    """
    left = deadline - time.monotonic()
    if left <= 0:
        raise _deadline_failure(doc_id, deadline_s)

    def cap(value: float | None) -> float:
        return left if value is None else min(value, left)

    return httpx.Timeout(
        connect=cap(timeout.connect),
        read=cap(timeout.read),
        write=cap(timeout.write),
        pool=cap(timeout.pool),
    )


def _deadline_failure(doc_id: str, deadline_s: float) -> _SyncFailure:
    return _SyncFailure(
        f"« {doc_id} » : délai total dépassé ({deadline_s:g} s) ; téléchargement interrompu, "
        "la copie locale éventuelle est conservée (COOP_SYNC_DEADLINE_S)."
    )


def _read_capped(response: httpx.Response, limits: _Limits, deadline: float, doc_id: str) -> bytes:
    """The body, refused past ``limits.max_bytes`` or once ``deadline`` has passed."""
    max_bytes = limits.max_bytes
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _SyncFailure(
            f"« {doc_id} » : document trop volumineux ({declared} octets annoncés, "
            f"maximum {max_bytes})."
        )
    chunks: list[bytes] = []
    total = 0
    # No chunk size: each piece is handed over as it arrives, so a trickling body is checked often.
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            raise _deadline_failure(doc_id, limits.deadline_s)
        total += len(chunk)
        if total > max_bytes:
            raise _SyncFailure(
                f"« {doc_id} » : document trop volumineux (plus de {max_bytes} octets), "
                "téléchargement interrompu."
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _extension(content_type: str, url: httpx.URL, data: bytes) -> str | None:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in _CONTENT_TYPES:
        return _CONTENT_TYPES[media_type]
    suffix = Path(url.path).suffix.lower()
    if suffix in _URL_SUFFIXES:
        return _URL_SUFFIXES[suffix]
    # Légifrance serves PDFs from /download/pdf?id=… with a generic type.
    if data.startswith(b"%PDF-"):
        return ".pdf"
    return None


def _check_digest(source: Source, data: bytes, allow_changed: bool) -> str:
    """Return a note for the result's reason; raise when the digest differs and is not allowed."""
    if source.sha256 is None:
        return ""
    received = hashlib.sha256(data).hexdigest()
    if received == source.sha256:
        return ""
    detail = f"attendue {source.sha256[:12]}…, reçue {received[:12]}…"
    if not allow_changed:
        raise _SyncFailure(
            f"« {source.doc_id} » : empreinte SHA-256 différente de celle de sources.yaml "
            f"({detail}) ; rien n'a été écrit (--allow-changed pour accepter)."
        )
    return f" Empreinte SHA-256 différente de sources.yaml ({detail}), acceptée."


def _store(source: Source, dest: Path, fetched: _Fetched, note: str) -> SyncResult:
    target = _inside(dest, fetched.file_name, source.doc_id, "du corpus")
    existing = target if target.is_file() else _find_document(source, dest)
    if existing is None:
        _write_atomic(target, fetched.data)
        reason = f"nouveau document ({len(fetched.data)} octets, depuis {fetched.origin})."
        return SyncResult(source.doc_id, "new", reason + note, target)
    previous = existing.read_bytes()
    if existing == target and previous == fetched.data:
        return SyncResult(source.doc_id, "unchanged", "identique à la copie locale." + note, target)
    previous_dir = dest / PREVIOUS_DIR
    previous_dir.mkdir(exist_ok=True)
    _write_atomic(_inside(previous_dir, existing.name, source.doc_id, "du corpus"), previous)
    _write_atomic(target, fetched.data)
    if existing != target:
        existing.unlink()
    reason = (
        f"contenu modifié ({len(previous)} → {len(fetched.data)} octets) ; "
        f"version précédente conservée dans {PREVIOUS_DIR}/{existing.name}."
    )
    return SyncResult(source.doc_id, "changed", reason + note, target)


def _write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target``, then rename it over ``target``."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
