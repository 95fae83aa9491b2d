"""The user's own documents: ``coop corpus add`` and ``coop corpus remove``.

A document is read first (a bad file fails here, before anything is copied or recorded), then
copied into the documents folder as ``<doc_id><suffix>`` and recorded in ``local.yaml`` beside
the official ``sources.yaml``. What the file says of itself (PDF metadata, first heading, date
in the title) fills in whatever the user did not give.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

import yaml
from pydantic import ValidationError

from assistant.errors import CorpusError
from ingest.fetch.sources import (
    Kind,
    Source,
    load_catalogue,
    load_sources,
    local_catalogue_path,
)
from ingest.read.loading import SUPPORTED_SUFFIXES, load_document
from ingest.read.metadata import infer_header

__all__ = ["add_document", "guess_kind", "remove_document", "slug"]

_MAX_SLUG = 60
_OPENING_CHARS = 2000
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# First words of a title → kind, checked in order (folded: lower case, no accents).
_KIND_WORDS: tuple[tuple[str, Kind], ...] = (
    ("code ", "code"),
    ("loi ", "loi"),
    ("decret", "decret"),
    ("arrete", "arrete"),
    ("instruction", "instruction"),
    ("circulaire", "instruction"),
    ("appel a manifestation", "ami"),
    ("ami ", "ami"),
    ("foire aux questions", "faq"),
    ("faq", "faq"),
    ("questions-reponses", "faq"),
    ("communique", "communique"),
)
_HEADER_COMMENT = (
    "# Documents added locally with `coop corpus add` (kept out of git; see sources.yaml for\n"
    "# the meaning of each field). Ingestion reads this list after the official one.\n"
)


def add_document(
    file: Path,
    corpus_file: Path,
    corpus_dir: Path,
    *,
    doc_id: str | None = None,
    title: str | None = None,
    kind: Kind | None = None,
    date: str | None = None,
    url: str | None = None,
    status: str | None = None,
) -> Source:
    """Copy ``file`` into ``corpus_dir`` and record it in the local catalogue.

    Raises:
        CorpusError: the file is unreadable or unsupported, the same bytes or the same doc_id
            are already in the catalogue, or the catalogue is invalid. Nothing is written then.
    """
    if date and _ISO_DATE.fullmatch(date) is None:
        raise CorpusError(f"date « {date} » : format attendu AAAA-MM-JJ (ex. 2024-03-15).")
    document = load_document(file)  # the usual French message for a bad file, before any copy
    header = document.header
    if "titre" not in header:
        header = infer_header(document.body) | header
    catalogue = load_catalogue(corpus_file)
    for known in catalogue:
        if known.sha256 == document.sha256:
            raise CorpusError(
                f"{file} : ce document est déjà dans le catalogue sous « {known.doc_id} »."
            )
    title = title or header.get("titre") or _title_from_name(file)
    opening = document.body[:_OPENING_CHARS]
    chosen_id = doc_id or _free_id(slug(title), {s.doc_id for s in catalogue})
    if any(s.doc_id == chosen_id for s in catalogue):
        raise CorpusError(f"« {chosen_id} » est déjà un identifiant du catalogue.")
    suffix = file.suffix.lower()
    try:
        source = Source(
            doc_id=chosen_id,
            title=title,
            kind=kind or guess_kind(title, suffix, opening),
            date=date or header.get("date") or None,
            official_url=url or header.get("source") or None,
            sha256=document.sha256,
            filename=f"{chosen_id}{suffix}",
            status=status or header.get("statut", ""),
            origin="local",
        )
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        reason = str(first.get("ctx", {}).get("error", "")) or first["msg"]
        raise CorpusError(f"{file} : champ « {field} » invalide ({reason}).") from err
    local_file = local_catalogue_path(corpus_file)
    local = [s for s in catalogue if s.origin == "local"]
    target = corpus_dir / source.file_name
    _copy_into(file, target)
    try:
        _write_catalogue(local_file, [*local, source])
    except CorpusError:
        target.unlink(missing_ok=True)
        raise
    return source


def remove_document(doc_id: str, corpus_file: Path, corpus_dir: Path) -> Source:
    """Drop a local document from the catalogue and delete its copy in ``corpus_dir``.

    Raises:
        CorpusError: ``doc_id`` is an official source, or no local document has it.
    """
    local_file = local_catalogue_path(corpus_file)
    local = load_sources(local_file, origin="local") if local_file.is_file() else []
    found = next((s for s in local if s.doc_id == doc_id), None)
    if found is None:
        official = {s.doc_id for s in load_sources(corpus_file)}
        if doc_id in official:
            raise CorpusError(
                f"« {doc_id} » est une source officielle ({corpus_file}) : seule une modification "
                "de ce fichier peut la retirer."
            )
        raise CorpusError(f"« {doc_id} » : aucun document ajouté localement sous ce nom.")
    _write_catalogue(local_file, [s for s in local if s.doc_id != doc_id])
    (corpus_dir / found.file_name).unlink(missing_ok=True)
    return found


def guess_kind(title: str, suffix: str = "", opening: str = "") -> Kind:
    """The kind a title announces (« Décret n° … » → decret); ``page`` when it says nothing.

    A web page whose title or opening text names an ARS is a ``page-ars``.
    """
    folded = _fold(title).lower()
    for words, kind in _KIND_WORDS:
        if folded.startswith(words) or (len(words) > 6 and words in folded[:80]):
            return kind
    about = f"{folded} {_fold(opening).lower()}"
    if suffix in (".html", ".htm") and re.search(r"\bars\b|agence regionale de sante", about):
        return "page-ars"
    return "page"


def slug(title: str) -> str:
    """A doc_id from a title: lower-case ASCII words joined by « - », at most 60 characters."""
    words = re.findall(r"[a-z0-9]+", _fold(title).lower())
    text = ""
    for word in words:
        candidate = f"{text}-{word}" if text else word
        if len(candidate) > _MAX_SLUG:
            break
        text = candidate
    return text or "document"


def _free_id(base: str, taken: set[str]) -> str:
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    return candidate


def _title_from_name(file: Path) -> str:
    return " ".join(re.split(r"[_\s-]+", file.stem)).strip() or file.name


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _copy_into(file: Path, target: Path) -> None:
    """Copy through a temporary file, so that a failure never leaves half a document."""
    if file.suffix.lower() not in SUPPORTED_SUFFIXES:  # pragma: no cover - load_document refused
        raise CorpusError(f"{file} : format non pris en charge.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if file.resolve() == target.resolve():
            return
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as tmp:
            temporary = Path(tmp.name)
        shutil.copyfile(file, temporary)
        os.replace(temporary, target)
    except OSError as err:
        raise CorpusError(f"{target} : copie impossible ({err.strerror or err}).") from err


def _write_catalogue(path: Path, sources: list[Source]) -> None:
    entries = [
        source.model_dump(exclude={"origin"}, exclude_defaults=True) | {"doc_id": source.doc_id}
        for source in sources
    ]
    ordered = [{"doc_id": e.pop("doc_id"), **e} for e in entries]
    text = _HEADER_COMMENT + yaml.safe_dump(
        {"sources": ordered}, allow_unicode=True, sort_keys=False, width=100
    )
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".part"
        ) as tmp:
            tmp.write(text)
        os.replace(tmp.name, path)
    except OSError as err:
        raise CorpusError(f"{path} : écriture impossible ({err.strerror or err}).") from err
