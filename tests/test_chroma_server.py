"""A real ``chroma run`` server on loopback, shared by several processes (COOP_CHROMA_URL).

Each querying process has its own COOP_INDEX_DIR, as separate Streamlit workers or machines
would: the persisted lexical index there must follow the server's contents.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.factory import build_store
from ingest.indexing import Ingestor
from tests.fakes import HashingEmbedder
from tests.helpers import AMI, DOCS, REPO_ROOT, make_settings, write_corpus

# Runs in a fresh interpreter: settings from the COOP_* environment, as `coop ask` would.
_ASKER = """
import json, sys
from assistant.config import Settings
from assistant.factory import build_assistant
from tests.fakes import HashingEmbedder

assistant = build_assistant(Settings(), embedder=HashingEmbedder())
hits = assistant.retriever.search(sys.argv[1], 3)
print(json.dumps({
    "version": assistant.retriever.lexical.version,
    "chunks": len(assistant.retriever.lexical.chunks),
    "docs": [hit.chunk.doc_id for hit in hits],
    "texts": [hit.chunk.text for hit in hits],
}))
"""


def _chroma_command() -> str | None:
    beside = Path(sys.executable).parent / "chroma"
    return str(beside) if beside.exists() else shutil.which("chroma")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``chroma run`` on a free loopback port, stopped after the module."""
    command = _chroma_command()
    if command is None:
        pytest.skip("the `chroma` command of chromadb is not installed")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("w", encoding="utf-8")
    server = subprocess.Popen(
        [command, "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((path / "server.log").read_text(encoding="utf-8"))
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _ask_in_processes(url: str, index_dirs: list[Path], question: str) -> list[dict[str, object]]:
    """Run the same search in one process per index dir, all at once."""
    procs = []
    for index_dir in index_dirs:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")} | {
            "COOP_CHROMA_URL": url,
            "COOP_INDEX_DIR": str(index_dir),
            "COOP_FETCH_K": "10",
            "PYTHONPATH": str(REPO_ROOT),
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", _ASKER, question],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_two_processes_share_one_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, chroma_url=chroma_url)
    write_corpus(settings.corpus_file, settings.corpus_dir)
    store = build_store(settings)
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert not report.failures and report.total_chunks > 0
    # Nothing was written to the local folder but the lexical index: vectors live on the server.
    assert not (settings.index_dir / "chroma.sqlite3").exists()

    workers = [tmp_path / "worker-a", tmp_path / "worker-b"]
    question = "soins palliatifs à domicile par des infirmiers experts"
    first, second = _ask_in_processes(chroma_url, workers, question)
    assert first == second
    assert first["docs"][0] == AMI.doc_id
    assert first["chunks"] == report.total_chunks

    # Another process re-ingests a changed document through the server...
    changed = dataclasses.replace(
        AMI, body=AMI.body + "\n## Zorglubienne\n\nLa procédure zorglubienne s'applique.\n"
    )
    write_corpus(
        settings.corpus_file,
        settings.corpus_dir,
        tuple(changed if d.doc_id == AMI.doc_id else d for d in DOCS),
    )
    writer = make_settings(tmp_path / "writer", chroma_url=chroma_url)
    writer = writer.model_copy(
        update={"corpus_file": settings.corpus_file, "corpus_dir": settings.corpus_dir}
    )
    again = Ingestor(writer, HashingEmbedder(), build_store(writer)).run()
    assert [o.status for o in again.outcomes if o.doc_id == AMI.doc_id] == ["changed"]

    # ...and the workers, whose persisted lexical index is now stale, see the new version, even
    # two processes rebuilding it at once in the same folder (workers of one machine).
    after = _ask_in_processes(chroma_url, [*workers, workers[0]], "procédure zorglubienne")
    assert after[0] == after[1] == after[2]
    after_a = after[0]
    assert after_a["version"] != first["version"]
    assert after_a["docs"][0] == AMI.doc_id
    assert "zorglubienne" in str(after_a["texts"][0])

    # A rebuild through the server: the reader opened before it follows the new generation.
    reader = build_store(settings)
    reader.open_for_reading(model_id=HashingEmbedder.model_id)
    served = {d: r.doc_hash for d, r in reader.documents().items()}
    rebuilt = Ingestor(writer, HashingEmbedder(), build_store(writer)).run(rebuild=True)
    assert not rebuilt.failures and rebuilt.total_chunks == again.total_chunks
    # The same versions, now read from the new generation.
    assert {d: r.doc_hash for d, r in reader.documents().items()} == served
    assert reader.generation == build_store(settings).active_generation() != settings.collection
    assert build_store(settings).delete_stale_generations() == []
