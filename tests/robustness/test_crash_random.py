"""SIGKILL at random moments of an ingestion or a rebuild, repeated: whole versions only.

The kill moments are drawn with a fixed seed over the measured length of a complete run, so they
land anywhere, inside Chroma's own writes included, and the same draws repeat on every run. After
each kill, a reader sees whole versions only, and one more ingestion brings the index to v2.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from assistant.factory import build_assistant
from ingest.indexing import Ingestor
from tests.fakes import HashingEmbedder
from tests.helpers import (
    V2_SOURCES,
    assert_each_document_whole,
    indexed_hash,
    make_settings,
    make_v1_snapshot,
    open_store,
    prepare_v2,
    start_child,
    visible_by_doc,
    write_crash_child,
)

SEED = 20261123


def _wait_ready(child: subprocess.Popen[str]) -> None:
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready:1"


def _go(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None
    child.stdin.write("go\n")
    child.stdin.flush()


def _full_run_seconds(
    script: Path, snapshot: Path, root: Path, *, rebuild: bool
) -> tuple[float, list[str]]:
    """Length of one uninterrupted v2 run, and the markers it prints."""
    prepare_v2(snapshot, root)
    child = start_child(script, root, "never", 0.0, hold=True, rebuild=rebuild)
    _wait_ready(child)
    started = time.perf_counter()
    _go(child)
    out, _ = child.communicate(timeout=120)
    elapsed = time.perf_counter() - started
    assert child.returncode == 0
    markers = out.split()
    assert markers[-1] == "done:1", markers
    return elapsed, markers


def _kill_runs(tmp_path: Path, kills: int, *, rebuild: bool = False) -> None:
    """Kill ``kills`` v2 runs (incremental, or ``rebuild``) over a v1 index, then repair."""
    snapshot = tmp_path / "v1"
    v1_hashes = make_v1_snapshot(snapshot)
    script = write_crash_child(tmp_path / "child_ingest.py")
    duration, markers = _full_run_seconds(script, snapshot, tmp_path / "complet", rebuild=rebuild)
    rng = random.Random(SEED)
    delays = sorted(rng.uniform(0.0, duration) for _ in range(kills))

    roots = [tmp_path / f"kill-{i}" for i in range(kills)]
    children = []
    for root in roots:
        prepare_v2(snapshot, root)
        children.append(start_child(script, root, "never", 0.0, hold=True, rebuild=rebuild))
    reached: list[str] = []
    for child, delay in zip(children, delays, strict=True):
        _wait_ready(child)  # all imports done: the clock only measures the ingestion
        _go(child)
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        reached.append(out.split()[-1] if out.split() else "ready:1")

    for root, delay, last in zip(roots, delays, reached, strict=True):
        where = f"killed after {delay:.3f} s (last step {last})"
        settings = make_settings(root)
        v2_hashes = {d.doc_id: indexed_hash(settings, d) for d in V2_SOURCES}
        store = open_store(settings.index_dir)
        store.open_for_reading(model_id="hashing-64")
        assert_each_document_whole(store, v1_hashes, v2_hashes, where)
        if rebuild:
            # A rebuild switches the whole index at once: all of v1, or all of v2.
            served = {d: r.doc_hash for d, r in store.documents().items()}
            assert served in (v1_hashes, v2_hashes), where
        assistant = build_assistant(settings, embedder=HashingEmbedder(), store=store)
        committed = sum(r.chunks for r in store.documents().values())
        assert len(assistant.retriever.lexical.chunks) == committed, where

        report = Ingestor(settings, HashingEmbedder(), store).run()

        assert report.failures == [], where
        assert {d: r.doc_hash for d, r in store.documents().items()} == v2_hashes, where
        visible = sum(len(v) for v in visible_by_doc(store).values())
        assert store.count() == report.total_chunks == visible, where
        assert_each_document_whole(store, v2_hashes, v2_hashes, f"{where}, repaired")
        assert store.delete_stale_generations() == [], where
    # The draws must spread over the run, not all land before or after it.
    assert len(set(reached)) > 1, reached
    assert set(reached) <= set(markers) | {"ready:1"}


def test_sigkill_at_random_moments_leaves_whole_versions(tmp_path: Path) -> None:
    _kill_runs(tmp_path, kills=6)


def test_sigkill_at_random_moments_of_a_rebuild_leaves_the_old_or_the_new_index(
    tmp_path: Path,
) -> None:
    _kill_runs(tmp_path, kills=6, rebuild=True)


@pytest.mark.slow
@pytest.mark.soak
def test_sigkill_at_many_random_moments_leaves_whole_versions(tmp_path: Path) -> None:
    _kill_runs(tmp_path, kills=30)


@pytest.mark.slow
@pytest.mark.soak
def test_sigkill_at_many_random_moments_of_a_rebuild(tmp_path: Path) -> None:
    _kill_runs(tmp_path, kills=30, rebuild=True)
