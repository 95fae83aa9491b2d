"""Two ``coop ingest`` on one index: the second waits for the first, then has nothing to do.

The children are real processes running ``cli.main`` with the hashing embedder; the first one is
held inside its first embedding call until the test lets it go, so that the second one starts
while the first holds the index, every time, without guessing delays.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import sys
import threading

import pytest
from filelock import FileLock

import cli
from assistant.config import Settings
from cli.ingest import WAITING
from ingest.indexing import IndexBusyError, index_lock, lock_path
from tests.helpers import REPO_ROOT

# argv: "hold" (block in the first embedding call until a line comes on stdin) or "free", then
# the coop arguments. Prints "embedding" when it is in its first embedding call and, at exit,
# "embedded:N", the number of texts (passages, then sentences) it embedded.
CHILD = """
import atexit, sys
from assistant import factory
from tests.fakes import HashingEmbedder

mode = sys.argv[1]
embedded = []
atexit.register(lambda: print(f"embedded:{len(embedded)}", flush=True))

class Held(HashingEmbedder):
    def embed_documents(self, texts):
        if not embedded and mode == "hold":
            print("embedding", flush=True)
            sys.stdin.readline()
        embedded.extend(texts)
        return super().embed_documents(texts)

factory.build_embedder = lambda settings: Held()
import cli
sys.argv = ["coop", *sys.argv[2:]]
cli.main()
"""


class Child:
    """A ``coop`` child process whose output lines are read as they come."""

    def __init__(self, mode: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, mode, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=REPO_ROOT,
            env=dict(os.environ) | {"COLUMNS": "200"},  # the COOP_* variables of the fixture
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        """Read lines until one contains ``text`` (fails if the process ends first)."""
        while not any(text in line for line in self.lines):
            line = self._queue.get(timeout=timeout)
            assert line is not None, f"ended before {text!r}:\n" + "\n".join(self.lines)
            self.lines.append(line)

    def finish(self, timeout: float = 120) -> str:
        """Let it go on (a line on stdin), wait for its end; all it printed."""
        assert self.process.stdin is not None
        # A "free" child may have ended already (it never reads stdin): nothing to let go.
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.write("\n")
            self.process.stdin.close()
        self.process.wait(timeout=timeout)
        while (line := self._queue.get(timeout=timeout)) is not None:
            self.lines.append(line)
        return "\n".join(self.lines)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def test_a_second_ingest_waits_for_the_first_and_embeds_nothing(env: Settings) -> None:
    first = Child("hold", "ingest")
    second: Child | None = None
    try:
        first.wait_for("embedding")  # the first one holds the index
        second = Child("free", "ingest")
        second.wait_for(WAITING)

        first_output = first.finish()
        second_output = second.finish()
    finally:
        first.kill()
        if second is not None:
            second.kill()

    assert first.process.returncode == 0, first_output
    assert second.process.returncode == 0, second_output
    embedded = re.search(r"embedded:(\d+)", first_output)
    assert embedded and int(embedded[1]) > 12  # the 12 passages, then their sentences
    assert "embedded:0" in second_output
    assert second_output.count("inchangé") == 4 and "nouveau" not in second_output
    assert "à calculer" not in second_output


def test_no_wait_exits_1_in_french_while_another_ingest_holds_the_index(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    env.index_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(lock_path(env)), pytest.raises(SystemExit) as exited:
        cli.main(["ingest", "--no-wait"])
    err = capsys.readouterr().err
    assert exited.value.code == 1
    assert err.startswith("Erreur : Une autre indexation est en cours sur cet index")
    assert "réessayez plus tard" in err and "Traceback" not in err
    assert not (env.index_dir / "chroma.sqlite3").exists()  # nothing opened, nothing written


def test_the_lock_is_free_again_after_an_ingest(env: Settings) -> None:
    with index_lock(env, wait=False):
        pass
    with index_lock(env, wait=False):  # released, even though its file stays
        assert lock_path(env).exists()


def test_a_killed_ingest_leaves_no_lock_behind(env: Settings) -> None:
    held = Child("hold", "ingest")
    try:
        held.wait_for("embedding")
        with pytest.raises(IndexBusyError), index_lock(env, wait=False):
            pass
    finally:
        held.kill()  # SIGKILL: the system releases its lock
    with index_lock(env, wait=False):
        pass
