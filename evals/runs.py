"""Saved evaluation runs: per-question results with the code, corpus and settings that gave them.

A run file is read back months later by ``coop eval --compare``, the report and
``coop corpus impact``: it says which commit answered, from which catalogue (doc id → hash),
with which settings, and keeps every answer with the passages its citations quote.
"""

from __future__ import annotations

import json
import logging
import subprocess
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.index.store import ChromaStore
from evals.metrics import ItemResult

logger = logging.getLogger(__name__)

RUN_FORMAT = 1
DEFAULT_RUNS_DIR = Path("evals/runs")

SettingValue = str | int | float | bool | None


@dataclass(slots=True)
class RunMeta:
    """Where a run comes from: enough to reproduce it or to explain a difference."""

    created_at: str = ""
    questions: str = ""
    k: int = 5
    git_commit: str = ""
    git_dirty: bool = False
    corpus: dict[str, str] = field(default_factory=dict)
    settings: dict[str, SettingValue] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    format: int = RUN_FORMAT
    note: str = ""


@dataclass(slots=True)
class SavedRun:
    """One evaluation run as saved on disk."""

    meta: RunMeta
    summary: dict[str, float]
    items: list[ItemResult] = field(default_factory=list)

    @property
    def label(self) -> str:
        """Short name for tables and charts: date and commit."""
        commit = self.meta.git_commit[:8] + ("+" if self.meta.git_dirty else "")
        return f"{self.meta.created_at[:16].replace('T', ' ')} {commit}".strip()

    def to_json(self) -> str:
        """The run as UTF-8 JSON (``summary`` and ``items`` as in ``EvalReport``).

        One question a line: a committed baseline then diffs question by question in git.
        """
        items = ",\n".join(json.dumps(asdict(item), ensure_ascii=False) for item in self.items)
        meta = json.dumps(asdict(self.meta), ensure_ascii=False)
        summary = json.dumps(self.summary)
        return f'{{"meta": {meta},\n"summary": {summary},\n"items": [\n{items}\n]}}\n'


_RUN_ADAPTER = TypeAdapter(SavedRun)


def load_run(path: Path) -> SavedRun:
    """Read a saved run (a summary-only baseline reads as a run without questions).

    Raises:
        ConfigError: missing, unreadable or invalid file (French message naming it).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"Exécution enregistrée introuvable : {path}") from err
    except (OSError, ValueError) as err:
        raise ConfigError(f"Exécution enregistrée illisible : {path} ({err})") from err
    if isinstance(data, dict):
        data.setdefault("meta", {})
    try:
        return _RUN_ADAPTER.validate_python(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path} : exécution invalide ({where} : {first['msg']}).") from err


def save_run(run: SavedRun, path: Path) -> Path:
    """Write ``run`` to ``path`` (folders created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(run.to_json(), encoding="utf-8")
    return path


def without_texts(run: SavedRun) -> SavedRun:
    """The run without any text quoted from the corpus, for a file committed to the project.

    Answers (sentences of the texts) and passage sections (a web page's first sentence) are
    left out; their fingerprints, the cited passages' hashes and every score stay, so a later
    run is still compared question by question and a corpus change still found.
    """
    items = [
        replace(
            item,
            answer="",
            answer_sha256=item.answer_fingerprint,
            passages=[replace(passage, section="") for passage in item.passages],
        )
        for item in run.items
    ]
    return replace(run, items=items)


def archive_path(run: SavedRun, folder: Path) -> Path:
    """Where ``run`` goes in the runs folder: date, question file and commit in the name."""
    stamp = run.meta.created_at.replace(":", "").replace("-", "")[:15] or "run"
    stem = Path(run.meta.questions).stem or "questions"
    commit = run.meta.git_commit[:8] or "nocommit"
    return folder / f"{stamp}-{stem}-{commit}.json"


def list_runs(folder: Path, questions: str | None = None) -> list[SavedRun]:
    """The saved runs of ``folder``, oldest first; only those of ``questions`` when given.

    Unreadable files are skipped with a warning: one bad file must not hide months of runs.
    """
    runs = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            run = load_run(path)
        except ConfigError as err:
            logger.warning("saved run skipped: %s", err)
            continue
        if questions is None or Path(run.meta.questions) == Path(questions):
            runs.append(run)
    return sorted(runs, key=lambda run: run.meta.created_at)


def git_version(root: Path) -> tuple[str, bool]:
    """(commit, whether the work tree has uncommitted changes); ('', False) outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "", False
    return commit, bool(status.strip())


def corpus_version(store: ChromaStore) -> dict[str, str]:
    """The catalogue of the index: doc id → hash of the indexed version."""
    return {doc_id: record.doc_hash for doc_id, record in sorted(store.documents().items())}


def settings_snapshot(settings: Settings) -> dict[str, SettingValue]:
    """The settings as plain values; secrets are masked by pydantic, paths become text."""
    snapshot: dict[str, SettingValue] = {}
    for name, value in settings.model_dump(mode="json").items():
        snapshot[name] = value if isinstance(value, str | int | float | bool | None) else str(value)
    return snapshot


def run_meta(
    settings: Settings,
    store: ChromaStore,
    *,
    questions: Path,
    k: int,
    timings: dict[str, float],
    root: Path = Path(),
) -> RunMeta:
    """The provenance of a run made now with these settings on this index."""
    commit, dirty = git_version(root)
    return RunMeta(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        questions=str(questions),
        k=k,
        git_commit=commit,
        git_dirty=dirty,
        corpus=corpus_version(store),
        settings=settings_snapshot(settings),
        timings=timings,
    )
