"""corpus/sources.yaml (the real file) and load_sources validation."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from assistant.errors import CorpusError
from ingest.fetch.sources import Source, load_sources

REPO_ROOT = Path(__file__).parents[1]
SOURCES_YAML = REPO_ROOT / "corpus" / "sources.yaml"
MIRROR = Path(__file__).parents[2] / "shared" / "corpus"
MANIFEST = MIRROR / "manifest.json"

OFFICIAL_HOSTS = {
    "www.legifrance.gouv.fr",
    "solidarites-sante.gouv.fr",
    "sante.gouv.fr",
    "www.fecop.fr",
    "www.ordre.pharmacien.fr",
    "nouvelle-aquitaine.paps.sante.fr",
    "www.nouvelle-aquitaine.ars.sante.fr",
}

OFFICIAL_SUFFIXES = (".ars.sante.fr", ".paps.sante.fr")
UNOFFICIAL_KINDS = {"presse", "page"}

# Texts the corpus README lists as not available offline; they must still be listed.
OFFLINE_ONLY = {
    "ministere-faq-protocoles-cooperation",
    "ministere-page-protocoles-nationaux-cooperation",
    "loi-2019-774-article-66",
    "decret-2020-148-cnci-protocoles-nationaux",
    "decret-2021-06-24-protocoles-locaux-etablissements-sante",
    "decret-2021-1512-protocoles-locaux-exercice-coordonne-esms",
    "decret-2025-09-08-declaration-suivi-protocoles-cooperation",
    "arrete-2025-09-08-declaration-suivi-protocoles-cooperation",
    "arrete-2020-03-06-protocole-odynophagie",
    "loi-2023-379-article-8",
}

VALID_ENTRY = """\
  - doc_id: premier
    title: Premier texte
    kind: decret
"""


@pytest.fixture(scope="module")
def real_sources() -> dict[str, Source]:
    return {source.doc_id: source for source in load_sources(SOURCES_YAML)}


@pytest.fixture(scope="module")
def manifest() -> list[dict[str, object]]:
    if not MANIFEST.is_file():
        pytest.skip(f"corpus mirror absent: {MANIFEST}")
    entries: list[dict[str, object]] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return entries


def test_every_manifest_document_is_listed_with_its_metadata(
    real_sources: dict[str, Source], manifest: list[dict[str, object]]
) -> None:
    assert len(manifest) == 43
    for doc in manifest:
        source = real_sources[str(doc["doc_id"])]
        assert source.title == doc["title"]
        assert source.kind == doc["kind"]
        assert source.date == doc["date"]
        assert source.official_url == doc["official_url"]
        assert source.status == doc["status"]
        assert source.complete is doc["complete"]
        assert source.file_name == doc["file"]
        assert source.filename is None  # every mirrored file is <doc_id>.txt


def test_manifest_sha256_matches_the_mirror_files(
    real_sources: dict[str, Source], manifest: list[dict[str, object]]
) -> None:
    for doc in manifest:
        source = real_sources[str(doc["doc_id"])]
        digest = hashlib.sha256((MIRROR / str(doc["file"])).read_bytes()).hexdigest()
        assert source.sha256 == doc["sha256"] == digest, doc["doc_id"]


def test_offline_only_texts_are_listed_without_digest(
    real_sources: dict[str, Source], manifest: list[dict[str, object]]
) -> None:
    mirrored = {str(doc["doc_id"]) for doc in manifest}
    extra = set(real_sources) - mirrored
    assert extra == OFFLINE_ONLY
    for doc_id in extra:
        assert real_sources[doc_id].sha256 is None
        assert real_sources[doc_id].filename is None


def test_offline_only_texts_point_to_legifrance_where_known(
    real_sources: dict[str, Source],
) -> None:
    expected = {
        "decret-2021-1512-protocoles-locaux-exercice-coordonne-esms": (
            "https://www.legifrance.gouv.fr/eli/decret/2021/11/19/SSAH2130563D/jo/texte"
        ),
        "decret-2020-148-cnci-protocoles-nationaux": (
            "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000041615826"
        ),
        "loi-2019-774-article-66": "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000038821260",
        "arrete-2020-03-06-protocole-odynophagie": (
            "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000041697956"
        ),
    }
    for doc_id, url in expected.items():
        assert real_sources[doc_id].official_url == url


def test_every_official_url_is_https_on_an_official_host(
    real_sources: dict[str, Source],
) -> None:
    with_url = [s for s in real_sources.values() if s.official_url is not None]
    assert len(with_url) >= 35
    for source in with_url:
        parsed = httpx.URL(source.official_url or "")
        assert parsed.scheme == "https", source.official_url
        if source.kind in UNOFFICIAL_KINDS:
            continue  # press and other sites: their own host, never ranked as official
        assert parsed.host in OFFICIAL_HOSTS or parsed.host.endswith(OFFICIAL_SUFFIXES), parsed.host


def test_dates_are_iso_strings(real_sources: dict[str, Source]) -> None:
    dated = [s for s in real_sources.values() if s.date is not None]
    assert len(dated) >= 20
    for source in dated:
        assert len(source.date or "") == 10 and (source.date or "")[4] == "-", source.doc_id


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("second_entry", "expected"),
    [
        (
            "  - doc_id: second\n    title: T\n    kind: roman\n",
            "source n° 2 : champ « kind » invalide",
        ),
        (
            "  - doc_id: ../x\n    title: T\n    kind: loi\n",
            "source n° 2 : champ « doc_id » invalide",
        ),
        (
            "  - doc_id: a/b\n    title: T\n    kind: loi\n",
            "source n° 2 : champ « doc_id » invalide",
        ),
        (
            "  - doc_id: Majuscule\n    title: T\n    kind: loi\n",
            "source n° 2 : champ « doc_id » invalide",
        ),
        (
            "  - doc_id: premier\n    title: Doublon\n    kind: loi\n",
            "source n° 2 : doc_id en double « premier »",
        ),
        (
            "  - doc_id: second\n    title: T\n    kind: loi\n    sha256: abc\n",
            "source n° 2 : champ « sha256 » invalide",
        ),
        (
            "  - doc_id: second\n    title: T\n    kind: loi\n    auteur: X\n",
            "source n° 2 : champ « auteur » invalide",
        ),
        (
            # An unquoted date becomes a datetime.date, not the expected string.
            "  - doc_id: second\n    title: T\n    kind: loi\n    date: 2023-03-09\n",
            "source n° 2 : champ « date » invalide",
        ),
        (
            "  - doc_id: second\n    kind: loi\n",
            "source n° 2 : champ « title » invalide",
        ),
    ],
    ids=[
        "bad-kind",
        "dotdot-id",
        "slash-id",
        "uppercase-id",
        "duplicate-id",
        "bad-sha256",
        "unknown-field",
        "unquoted-date",
        "missing-title",
    ],
)
def test_invalid_entry_gives_corpus_error_with_position(
    tmp_path: Path, second_entry: str, expected: str
) -> None:
    path = _write(tmp_path, "sources:\n" + VALID_ENTRY + second_entry)
    with pytest.raises(CorpusError) as info:
        load_sources(path)
    assert expected in info.value.message
    assert str(path) in info.value.message


def test_valid_file_loads_with_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, "sources:\n" + VALID_ENTRY)
    [source] = load_sources(path)
    assert source.doc_id == "premier"
    assert source.file_name == "premier.txt"
    assert source.sha256 is None and source.official_url is None
    assert source.in_force is True


def test_missing_file_is_a_corpus_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="introuvable"):
        load_sources(tmp_path / "absent.yaml")


def test_invalid_yaml_is_a_corpus_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "sources: [\n  - doc_id: x\n")
    with pytest.raises(CorpusError, match="YAML invalide"):
        load_sources(path)


def test_sources_must_be_a_list(tmp_path: Path) -> None:
    path = _write(tmp_path, "sources:\n  doc_id: x\n")
    with pytest.raises(CorpusError, match="liste de sources"):
        load_sources(path)
