"""Shared test helpers: a small synthetic corpus in the real mirror format, settings, store.

Also the crash-safety machinery (an ingestion child process killed at chosen points) shared by
tests/test_indexing.py and tests/robustness/. Kept out of conftest.py so that the crash-safety
subprocess can import it without pytest.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import chromadb
import yaml
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from assistant.config import Settings
from assistant.index.store import ChromaStore
from assistant.schema import Chunk
from ingest.fetch.sources import Source, load_sources
from ingest.indexing import Ingestor, version_hash
from tests.fakes import HashingEmbedder

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class FakeDoc:
    """One source entry and the text of its file."""

    doc_id: str
    title: str
    kind: str
    date: str
    url: str
    status: str
    body: str

    def file_text(self) -> str:
        """The file as the mirror stores it: header, separator line, body."""
        return (
            f"Titre: {self.title}\n"
            f"Type: {self.kind}\n"
            f"Date: {self.date}\n"
            f"Source: {self.url}\n"
            "Complétude: complet\n"
            f"Statut: {self.status}\n"
            "---\n"
            f"{self.body}"
        )

    def source_entry(self) -> dict[str, object]:
        """The ``sources.yaml`` entry."""
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "kind": self.kind,
            "date": self.date,
            "official_url": self.url,
            "status": self.status,
        }


# The same paragraph in two documents: retrieval must show it once.
SHARED_PARAGRAPH = (
    "## Dépôt de la déclaration\n"
    "\n"
    "La déclaration de mise en œuvre d'un protocole national se fait en ligne sur la plateforme "
    "démarches simplifiées. L'équipe indique les professionnels délégants et délégués ainsi que "
    "le lieu d'exercice.\n"
)

CODE = FakeDoc(
    doc_id="csp-l4011-test",
    title="Code de la santé publique, articles L. 4011-1 à L. 4011-3",
    kind="code",
    date="2023-05-21",
    url="https://www.legifrance.gouv.fr/codes/test-l4011",
    status="en vigueur (à vérifier)",
    body=(
        "Code de la santé publique — Coopération entre professionnels de santé\n"
        "\n"
        "Article L. 4011-1\n"
        "[COMPLET]\n"
        "[Version de la source : en vigueur depuis le 2019-07-27]\n"
        "\n"
        "Par dérogation, les professionnels de santé travaillant en équipe peuvent s'engager, à "
        "leur initiative, dans une démarche de coopération pour mieux répondre aux besoins des "
        "patients. Par des protocoles de coopération, ils opèrent entre eux des transferts "
        "d'activités ou d'actes de soins.\n"
        "\n"
        "Le patient est informé des conditions de sa prise en charge dans le cadre d'un "
        "protocole de coopération.\n"
        "\n"
        "Article L. 4011-2\n"
        "[COMPLET]\n"
        "[Version de la source : en vigueur depuis le 2019-07-27]\n"
        "\n"
        "Selon la loi, les protocoles de coopération sont rédigés par les professionnels de santé. "
        "Un décret "
        "en Conseil d'Etat, pris après avis de la Haute Autorité de santé, fixe les exigences "
        "essentielles de qualité et de sécurité des protocoles.\n"
        "\n"
        "Article L. 4011-3\n"
        "[COMPLET]\n"
        "[Version de la source : en vigueur depuis le 2023-05-21]\n"
        "\n"
        "Les protocoles nationaux sont autorisés par arrêté des ministres chargés de la santé et "
        "de la sécurité sociale après avis de la Haute Autorité de santé. Les professionnels de "
        "santé qui souhaitent mettre en œuvre un protocole national le déclarent auprès de "
        "l'agence régionale de santé.\n"
    ),
)

HISTORICAL = FakeDoc(
    doc_id="csp-l4011-historique-test",
    title="Article L. 4011-3 dans sa rédaction issue de la loi n° 2009-879 (historique)",
    kind="historique",
    date="2009-07-21",
    url="https://www.legifrance.gouv.fr/codes/test-l4011-2009",
    status="historique",
    body=(
        "Article L. 4011-3\n"
        "[COMPLET]\n"
        "[Version de la source : en vigueur depuis le 2009-07-23]\n"
        "\n"
        "Les professionnels de santé soumettent à l'agence régionale de santé des protocoles de "
        "coopération. L'agence vérifie que les protocoles répondent à un besoin de santé constaté "
        "au niveau régional puis les soumet à la Haute Autorité de santé. Le ministre chargé de la "
        "santé publie un arrêté d'autorisation du protocole.\n"
    ),
)

ARS_PAGE = FakeDoc(
    doc_id="page-ars-test",
    title="ARS — Travailler en protocole de coopération",
    kind="page-ars",
    date="2024-02-01",
    url="https://www.ars.sante.fr/test-protocoles",
    status="information",
    body=(
        "Travailler en protocole de coopération\n"
        "\n"
        "Les protocoles de coopération permettent à des professionnels de santé de se répartir "
        "autrement les tâches. Un infirmier peut ainsi réaliser des actes habituellement réservés "
        "au médecin, après une formation adaptée.\n"
        "\n"
        f"{SHARED_PARAGRAPH}"
        "\n"
        "## Formation des délégués\n"
        "\n"
        "Chaque professionnel délégué suit la formation prévue par le protocole avant de réaliser "
        "les actes dérogatoires. L'attestation de formation est conservée par la structure.\n"
    ),
)

AMI = FakeDoc(
    doc_id="ami-test-soins-palliatifs",
    title="Appel à manifestation d'intérêt — soins palliatifs par des infirmiers experts",
    kind="ami",
    date="2023-03-09",
    url="https://sante.gouv.fr/test-ami-soins-palliatifs",
    status="clos (candidatures jusqu'au 02/05/2023)",
    body=(
        "Appel à manifestation d'intérêt : soins palliatifs\n"
        "\n"
        "Le ministère lance un appel à manifestation d'intérêt pour élaborer un protocole national "
        "de prise en charge à domicile des patients requérant des soins palliatifs par des "
        "infirmiers experts.\n"
        "\n"
        f"{SHARED_PARAGRAPH}"
        "\n"
        "## Dates de candidature\n"
        "\n"
        "Les équipes candidates envoient leur dossier avant le 2 mai 2023. Le comité national des "
        "coopérations interprofessionnelles sélectionne les projets retenus.\n"
    ),
)

DOCS = (CODE, HISTORICAL, ARS_PAGE, AMI)


def write_sources(corpus_file: Path, docs: tuple[FakeDoc, ...] | list[FakeDoc]) -> None:
    """Write ``sources.yaml`` listing these documents."""
    data = {"sources": [doc.source_entry() for doc in docs]}
    corpus_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def write_corpus(corpus_file: Path, corpus_dir: Path, docs: tuple[FakeDoc, ...] = DOCS) -> None:
    """Write the sources list and one ``<doc_id>.txt`` per document."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    write_sources(corpus_file, docs)
    for doc in docs:
        (corpus_dir / f"{doc.doc_id}.txt").write_text(doc.file_text(), encoding="utf-8")


def make_settings(root: Path, **overrides: object) -> Settings:
    """Settings on the synthetic corpus under ``root`` (nothing read from ``.env``)."""
    values: dict[str, object] = {
        "corpus_file": root / "sources.yaml",
        "corpus_dir": root / "documents",
        "index_dir": root / "index",
        "chunk_size": 400,
        "chunk_overlap": 50,
        "k": 4,
        "fetch_k": 10,
        # The hashing embedder's similarities are lower than a real model's.
        "min_score": 0.2,
        "min_coverage": 0.15,
        "llamacpp_model_path": root / "absent.gguf",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type,call-arg]


def open_store(index_dir: Path, name: str = "coop") -> ChromaStore:
    """A ChromaStore on a real embedded Chroma in ``index_dir``."""
    client = chromadb.PersistentClient(
        path=str(index_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    return ChromaStore(client, name)


def make_source(**overrides: object) -> Source:
    """A catalog entry for chunking tests: a code in force, fields overridable."""
    fields: dict[str, object] = {
        "doc_id": "test-doc",
        "title": "Document de test",
        "kind": "code",
        "date": "2021-04-28",
        "official_url": "https://www.legifrance.gouv.fr/",
        "status": "en vigueur",
        "complete": True,
    }
    fields.update(overrides)
    return Source.model_validate(fields)


def make_chunk(
    doc_id: str,
    index: int,
    text: str,
    *,
    doc_hash: str = "a" * 64,
    article: str = "",
    **fields: Any,
) -> Chunk:
    """A chunk built by hand, with the same id and hash scheme as the chunker."""
    content_hash = hashlib.sha256(text.encode()).hexdigest()
    values: dict[str, object] = {
        "id": hashlib.sha1(f"{doc_id}\x1f{index}\x1f{content_hash}".encode()).hexdigest(),
        "text": text,
        "doc_id": doc_id,
        "title": f"Titre de {doc_id}",
        "kind": "code",
        "date": "2023-05-21",
        "official_url": f"https://www.legifrance.gouv.fr/{doc_id}",
        "section": f"Article {article}" if article else "",
        "article": article,
        "page": 0,
        "start": 0,
        "end": len(text),
        "chunk_index": index,
        "content_hash": content_hash,
        "doc_hash": doc_hash,
        "status": "en vigueur",
    }
    values.update(fields)
    return Chunk(**values)  # type: ignore[arg-type]


# --- crash safety ----------------------------------------------------------------------------

# The ingestion runs in a child process that prints a marker at each step of the per-document
# transaction. At the chosen marker it blocks, and the test SIGKILLs it there: every crash point
# is hit deterministically, without guessing delays. With ``hold`` = 1 the child also waits for a
# line on stdin after "ready:1", so that many children can start in parallel and then run one at
# a time, each killed after its own delay.
CRASH_CHILD = """
import sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
from assistant.index.store import ChromaStore
from ingest.indexing import Ingestor
from tests.fakes import HashingEmbedder
from tests.helpers import make_settings, open_store

root, stop_at, delay = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
hold = len(sys.argv) > 4 and sys.argv[4] == "1"
rebuild = len(sys.argv) > 5 and sys.argv[5] == "rebuild"
counts = {{}}

def step(name):
    counts[name] = counts.get(name, 0) + 1
    marker = f"{{name}}:{{counts[name]}}"
    print(marker, flush=True)
    if marker == stop_at:
        sys.stdin.readline()  # wait here for SIGKILL

class SlowEmbedder(HashingEmbedder):
    def embed_documents(self, texts):
        step("embed")
        time.sleep(delay)
        return super().embed_documents(texts)

class SteppingStore(ChromaStore):
    def add_chunks(self, chunks, vectors):
        super().add_chunks(chunks, vectors)
        step("added")
    def commit_document(self, record):
        super().commit_document(record)
        step("committed")
    def remove_document(self, doc_id):
        super().remove_document(doc_id)
        step("removed")
    def purge_orphans(self):
        step("purge")
        return super().purge_orphans()
    def activate(self, staged):
        step("activate")
        super().activate(staged)
        step("activated")
    def _delete_generation(self, name):
        step("delete-generation")
        super()._delete_generation(name)

settings = make_settings(root)
store = SteppingStore(open_store(settings.index_dir)._client)
step("ready")
if hold:
    sys.stdin.readline()
Ingestor(settings, SlowEmbedder(), store).run(rebuild=rebuild)
step("done")
"""

# v2 changes every document but drops the historical one from the sources list.
V2_DOCS = tuple(replace(d, body=d.body + "\nParagraphe ajouté en version 2.\n") for d in DOCS)
V2_SOURCES = [d for d in V2_DOCS if d.doc_id != HISTORICAL.doc_id]


def write_crash_child(path: Path) -> Path:
    """Write the crash-safety child script to ``path``."""
    path.write_text(CRASH_CHILD.format(repo=str(REPO_ROOT)), encoding="utf-8")
    return path


def start_child(
    script: Path,
    root: Path,
    stop_at: str,
    delay: float,
    *,
    hold: bool = False,
    rebuild: bool = False,
) -> subprocess.Popen[str]:
    """Start an ingestion (or a ``rebuild``) of ``root`` that blocks at marker ``stop_at``."""
    mode = "rebuild" if rebuild else "update"
    return subprocess.Popen(
        [sys.executable, str(script), str(root), stop_at, str(delay), "1" if hold else "0", mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )


def kill_at_marker(child: subprocess.Popen[str], marker: str) -> list[str]:
    """Read the child's markers up to ``marker``, SIGKILL it there; return the markers seen."""
    assert child.stdout is not None
    seen = []
    for line in child.stdout:
        seen.append(line.strip())
        if line.strip() == marker:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, seen
    assert seen[-1] == marker, f"child ended before {marker}: {seen}"
    return seen


def make_v1_snapshot(root: Path) -> dict[str, str]:
    """Index the v1 corpus under ``root`` and close it (ready to copy); return its doc hashes."""
    settings = make_settings(root)
    write_corpus(settings.corpus_file, settings.corpus_dir)
    store = open_store(settings.index_dir)
    Ingestor(settings, HashingEmbedder(), store).run()
    hashes = {d: r.doc_hash for d, r in store.documents().items()}
    SharedSystemClient.clear_system_cache()  # flush and close before the copy
    return hashes


def prepare_v2(snapshot: Path, root: Path) -> Settings:
    """A copy of the v1 index under ``root`` with the v2 corpus beside it."""
    shutil.copytree(snapshot / "index", root / "index")
    settings = make_settings(root)
    write_corpus(settings.corpus_file, settings.corpus_dir, V2_DOCS)
    write_sources(settings.corpus_file, V2_SOURCES)
    return settings


def visible_by_doc(store: ChromaStore) -> dict[str, list[str]]:
    """doc_id → doc_hash of each visible chunk."""
    found: dict[str, list[str]] = {}
    for chunk in store.iter_chunks():
        found.setdefault(chunk.doc_id, []).append(chunk.doc_hash)
    return found


def doc_path(settings: Settings, doc: FakeDoc) -> Path:
    """The synthetic document's file in the corpus folder."""
    return settings.corpus_dir / f"{doc.doc_id}.txt"


def indexed_hash(settings: Settings, doc: FakeDoc, *, original: bool = False) -> str:
    """The doc_hash the ingestor gives to ``doc`` (its original text when ``original``)."""
    data = doc.file_text().encode() if original else doc_path(settings, doc).read_bytes()
    source = next(s for s in load_sources(settings.corpus_file) if s.doc_id == doc.doc_id)
    return version_hash(hashlib.sha256(data).hexdigest(), source, settings)


def assert_each_document_whole(
    store: ChromaStore, v1: dict[str, str], v2: dict[str, str], where: str
) -> None:
    """Every cataloged document shows exactly one whole version, v1 or v2, never a mix."""
    catalog = store.documents()
    visible = visible_by_doc(store)
    assert set(visible) == set(catalog), where
    for doc_id, record in catalog.items():
        assert record.doc_hash in {v1.get(doc_id), v2.get(doc_id)}, f"{where}: {doc_id}"
        assert set(visible[doc_id]) == {record.doc_hash}, f"{where}: {doc_id} mixes versions"
        assert len(visible[doc_id]) == record.chunks, f"{where}: {doc_id} incomplete"
    # Only the document dropped from the sources may have left the catalog.
    assert set(v1) - set(catalog) <= {HISTORICAL.doc_id}, where


def coop_env(settings: Settings) -> dict[str, str]:
    """The COOP_* variables that make a separate ``Settings()`` equal to these test settings."""
    return {
        "COOP_CORPUS_FILE": str(settings.corpus_file),
        "COOP_CORPUS_DIR": str(settings.corpus_dir),
        "COOP_INDEX_DIR": str(settings.index_dir),
        "COOP_CHUNK_SIZE": str(settings.chunk_size),
        "COOP_CHUNK_OVERLAP": str(settings.chunk_overlap),
        "COOP_MIN_SCORE": str(settings.min_score),
    }
