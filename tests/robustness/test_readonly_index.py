"""A read-only index folder: a French error naming it, no traceback, and the index untouched.

Root ignores file permissions, so when the tests run as root the ingestion child drops to the
``nobody`` user once its imports are done (the interpreter may live under /root); otherwise the
permissions alone make the folder read-only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from assistant.errors import IndexWriteError
from ingest.indexing import Ingestor, open_index_for_writing
from tests.fakes import HashingEmbedder
from tests.helpers import AMI, REPO_ROOT, doc_path, make_settings, open_store, write_corpus

NOBODY = 65534

CHILD = """
import os, sys
sys.path.insert(0, {repo!r})
from pathlib import Path
from assistant.errors import CoopError
from ingest.indexing import Ingestor, open_index_for_writing
from tests.fakes import HashingEmbedder
from tests.helpers import make_settings

if len(sys.argv) > 2:
    os.setgid(int(sys.argv[2]))
    os.setuid(int(sys.argv[2]))
settings = make_settings(Path(sys.argv[1]))
try:
    report = Ingestor(settings, HashingEmbedder(), open_index_for_writing(settings)).run()
except CoopError as err:  # what cli.main does with it
    print(f"Erreur : {{err.message}}", file=sys.stderr)
    sys.exit(1)
print("indexé", report.total_chunks)
"""


@pytest.fixture
def shared_root() -> Iterator[Path]:
    """A folder the ``nobody`` user can traverse (pytest's tmp_path is private to root)."""
    root = Path(tempfile.mkdtemp(prefix="coop-ro-"))
    root.chmod(0o755)
    yield root
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    shutil.rmtree(root)


def file_digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def set_writable(folder: Path, writable: bool) -> None:
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~0o222)


def run_child(root: Path) -> subprocess.CompletedProcess[str]:
    script = root / "child.py"
    script.write_text(CHILD.format(repo=str(REPO_ROOT)), encoding="utf-8")
    drop = [str(NOBODY)] if os.geteuid() == 0 else []
    return subprocess.run(
        [sys.executable, "-B", str(script), str(root), *drop],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )


def test_read_only_index_folder_fails_in_french_and_keeps_the_index(shared_root: Path) -> None:
    settings = make_settings(shared_root)
    write_corpus(settings.corpus_file, settings.corpus_dir)
    Ingestor(settings, HashingEmbedder(), open_store(settings.index_dir)).run()
    SharedSystemClient.clear_system_cache()  # close the database before freezing it
    doc_path(settings, AMI).write_text(AMI.file_text() + "\nAjout.\n", encoding="utf-8")
    for path in [shared_root, *shared_root.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o055)  # readable by the child's user
    before = file_digests(settings.index_dir)
    set_writable(settings.index_dir, False)

    done = run_child(shared_root)

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"Erreur : Impossible d'écrire dans le dossier de l'index {settings.index_dir}" in (
        done.stderr
    )
    assert "permission refusée" in done.stderr
    assert "rien n'a été modifié" in done.stderr
    assert "Traceback" not in done.stderr
    assert file_digests(settings.index_dir) == before  # nothing lost, nothing half-written

    # Once the folder is writable again, the next run repairs: the change is indexed.
    set_writable(settings.index_dir, True)
    store = open_store(settings.index_dir)
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert report.failures == []
    assert {o.doc_id: o.status for o in report.outcomes}[AMI.doc_id] == "changed"


def test_index_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "un-fichier"
    blocker.write_text("pas un dossier", encoding="utf-8")
    settings = make_settings(tmp_path, index_dir=blocker / "index")
    with pytest.raises(IndexWriteError) as caught:
        open_index_for_writing(settings)
    assert str(blocker / "index") in caught.value.message
    assert "Impossible d'écrire dans le dossier de l'index" in caught.value.message
    assert blocker.read_text(encoding="utf-8") == "pas un dossier"
