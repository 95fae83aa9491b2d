"""The embedder's dtype: bfloat16 only where the CPU computes it natively."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.index.dtype import choose_dtype, cpu_flags
from assistant.index.embedding import SentenceTransformerEmbedder

AVX2_ONLY = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma avx512f\n"
SAPPHIRE = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 avx512f avx512_bf16 amx_bf16\n"
GRAVITON3 = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n"


@pytest.mark.parametrize(
    ("cpuinfo", "dtype"),
    [(AVX2_ONLY, "float32"), (SAPPHIRE, "bfloat16"), (GRAVITON3, "bfloat16"), ("", "float32")],
)
def test_auto_follows_the_cpu_flags(tmp_path: Path, cpuinfo: str, dtype: str) -> None:
    path = tmp_path / "cpuinfo"
    path.write_text(cpuinfo, encoding="utf-8")
    choice = choose_dtype("auto", cpu_flags(path))
    assert choice.dtype == dtype
    assert choice.reason.startswith("automatique")


def test_unreadable_cpuinfo_means_float32(tmp_path: Path) -> None:
    assert cpu_flags(tmp_path / "absent") == frozenset()
    assert choose_dtype("auto", frozenset()).dtype == "float32"


@pytest.mark.parametrize("requested", ["float32", "bfloat16"])
def test_an_explicit_dtype_is_kept(requested: str) -> None:
    choice = choose_dtype(requested, frozenset({"avx2"}))
    assert (choice.dtype, choice.reason) == (requested, "réglé par COOP_EMBEDDING_DTYPE")


def test_the_embedder_resolves_auto_without_loading_the_model() -> None:
    embedder = SentenceTransformerEmbedder("models/absent", dtype="auto")
    assert embedder.dtype_choice.dtype in {"float32", "bfloat16"}
    assert embedder.dtype_choice == choose_dtype("auto")


def test_this_machine_is_read() -> None:
    flags = cpu_flags()
    if not Path("/proc/cpuinfo").is_file():
        pytest.skip("no /proc/cpuinfo")
    assert flags  # every Linux CPU lists some flags
    native = bool({"avx512_bf16", "amx_bf16", "bf16"} & flags)
    assert choose_dtype("auto").dtype == ("bfloat16" if native else "float32")
