"""What ``coop`` writes on stderr: our warnings only, library chatter with ``--verbose``.

Run in a child process: logging is configured once per process, as for a real ``coop`` run
(pytest's own log handlers would hide what a user sees).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import cli
from assistant.config import Settings
from cli.logs import StderrHandler, configure_logging
from tests.helpers import AMI, DOCS, REPO_ROOT
from tests.robustness.test_ingest_faults import misplaced_objects_pdf

# ``coop`` with the hashing embedder (no model to load), in a fresh interpreter.
CHILD = (
    "import sys\n"
    "from assistant import factory\n"
    "from tests.fakes import HashingEmbedder\n"
    "factory.build_embedder = lambda settings: HashingEmbedder()\n"
    "import cli\n"
    "sys.argv = ['coop', *sys.argv[1:]]\n"
    "cli.main()\n"
)


def coop(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ) | {"COLUMNS": "200"},  # the COOP_* variables set by the fixture
        cwd=REPO_ROOT,
        timeout=300,
        check=False,
    )


@pytest.fixture
def pdf_env(env: Settings) -> Settings:
    """``env`` with the AMI published as a PDF that makes pypdf warn."""
    entries = [doc.source_entry() for doc in DOCS]
    entries[-1]["filename"] = f"{AMI.doc_id}.pdf"
    env.corpus_file.write_text(
        yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8"
    )
    (env.corpus_dir / f"{AMI.doc_id}.txt").unlink()
    (env.corpus_dir / f"{AMI.doc_id}.pdf").write_bytes(misplaced_objects_pdf())
    return env


def test_ingest_is_quiet_and_sums_pypdf_warnings_up_per_file(pdf_env: Settings) -> None:
    run = coop("ingest")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stderr == ""
    assert re.search(rf"\b\d+ avertissements pypdf pour {AMI.doc_id}\.pdf\n", run.stdout)
    assert run.stdout.count("avertissement") == 1


def test_verbose_shows_library_logs_and_each_pypdf_warning(pdf_env: Settings) -> None:
    run = coop("ingest", "--verbose")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "DEBUG bm25s" in run.stderr
    pypdf_lines = [line for line in run.stderr.splitlines() if line.startswith("WARNING pypdf")]
    summed = re.search(r"(\d+) avertissements pypdf pour", run.stdout)
    assert summed is not None
    assert len(pypdf_lines) == int(summed[1]) > 1


def test_ask_writes_nothing_on_stderr(env: Settings) -> None:
    assert coop("ingest").returncode == 0
    run = coop("ask", "Que dit l'article L. 4011-3 ?")
    assert run.returncode == 0, run.stderr
    assert "Sources :" in run.stdout
    assert run.stderr == ""


def test_verbose_may_follow_the_command(env: Settings) -> None:
    run = coop("doctor", "--verbose")
    assert run.returncode == 0, run.stderr
    assert "coop doctor" in run.stdout


def test_configuring_twice_keeps_one_handler() -> None:
    root = logging.getLogger()
    try:
        configure_logging(verbose=False)
        configure_logging(verbose=True)
        assert sum(isinstance(h, StderrHandler) for h in root.handlers) == 1
        assert logging.getLogger("bm25s").level == logging.DEBUG
        configure_logging(verbose=False)
        assert logging.getLogger("bm25s").level == logging.WARNING
        assert logging.getLogger("pypdf").level == logging.WARNING
    finally:
        for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
            root.removeHandler(handler)


def test_verbose_is_a_global_option_in_the_help() -> None:
    result = CliRunner().invoke(cli.app, ["--help"])
    assert "--verbose" in result.output


HEAVY = ("torch", "chromadb", "sentence_transformers", "transformers", "sklearn")


def imported_by(args: list[str], env: dict[str, str] | None = None) -> set[str]:
    """Top-level packages and ``cli.*`` modules that ``coop <args>`` imported, in a child."""
    code = (
        "import sys, cli\n"
        f"sys.argv = ['coop', *{args!r}]\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} | set(sys.modules))))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return set(run.stdout.splitlines()[-1].split())


def test_coop_help_imports_no_command_and_no_heavy_library() -> None:
    modules = imported_by(["--help"])
    assert not modules & {*HEAVY, "pypdf", "pydantic", "numpy"}
    assert not {m for m in modules if m.startswith("cli.")} - {"cli.logs"}


@pytest.mark.parametrize(
    "args",
    [["ask", "--help"], ["ingest", "--help"], ["corpus", "diff"], ["feedback", "export"]],
    ids=["ask-help", "ingest-help", "corpus-diff", "feedback-export"],
)
def test_light_commands_load_no_model_and_no_database(
    env: Settings, tmp_path: Path, args: list[str]
) -> None:
    feedback = {"COOP_FEEDBACK_DB": str(tmp_path / "avis.sqlite3")}
    assert not imported_by(args, dict(os.environ) | feedback) & set(HEAVY)


def test_pdf_fixture_really_makes_pypdf_warn(tmp_path: Path) -> None:
    from ingest.read.loading import load_document

    path = tmp_path / "a.pdf"
    path.write_bytes(misplaced_objects_pdf())
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.WARNING)
    logging.getLogger("pypdf").addHandler(handler)
    try:
        assert "manifestation" in load_document(path).body
    finally:
        logging.getLogger("pypdf").removeHandler(handler)
    assert len(records) > 1


BROKEN_CHILD = (
    "import sys\n"
    "from assistant import factory\n"
    "def broken(settings):\n"
    "    raise RuntimeError('internal detail')\n"
    "factory.build_embedder = broken\n"
    "import cli\n"
    "sys.argv = ['coop', *sys.argv[1:]]\n"
    "cli.main()\n"
)


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
def test_unexpected_error_shows_its_traceback_only_with_verbose(
    env: Settings, verbose: bool
) -> None:
    run = subprocess.run(
        [sys.executable, "-c", BROKEN_CHILD, "ingest", *(["--verbose"] if verbose else [])],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=REPO_ROOT,
        timeout=300,
        check=False,
    )
    assert run.returncode == 2
    assert run.stderr.endswith(
        "Erreur inattendue : relancez avec --verbose pour le détail technique.\n"
    )
    assert ("Traceback" in run.stderr) is verbose
    assert ("RuntimeError: internal detail" in run.stderr) is verbose
