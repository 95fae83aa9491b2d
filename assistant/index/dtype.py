"""Which number format the embedder computes in: bfloat16 only where the CPU computes it natively.

bfloat16 halves memory traffic and is about twice as fast as float32 on CPUs with AVX512-BF16 or
AMX (Intel Sapphire Rapids and later, AMD Zen 4 and later) or ARM's BF16 extension; elsewhere
PyTorch emulates it and it is several times slower (5.7 × measured on an AVX2-only EPYC).
``auto`` reads the CPU's flags once; an explicit setting is kept as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["NATIVE_BF16_FLAGS", "DtypeChoice", "choose_dtype", "cpu_flags"]

NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")
"""x86 flags (``flags`` line) and the ARM feature (``Features`` line) of native bfloat16."""


@dataclass(frozen=True, slots=True)
class DtypeChoice:
    """The dtype the embedder uses, and why (in French, shown by ``coop doctor``)."""

    dtype: str
    reason: str


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU's feature flags (first processor), empty when they cannot be read."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() in {"flags", "features"}:
            return frozenset(value.split())
    return frozenset()


def choose_dtype(requested: str, flags: frozenset[str] | None = None) -> DtypeChoice:
    """``requested`` unless it is ``auto``; then bfloat16 only with native CPU support."""
    if requested != "auto":
        return DtypeChoice(requested, "réglé par COOP_EMBEDDING_DTYPE")
    flags = cpu_flags() if flags is None else flags
    native = [flag for flag in NATIVE_BF16_FLAGS if flag in flags]
    if native:
        return DtypeChoice(
            "bfloat16", f"automatique : le processeur calcule le bfloat16 nativement ({native[0]})"
        )
    if not flags:
        return DtypeChoice(
            "float32", "automatique : jeu d'instructions du processeur inconnu, float32 (sûr)"
        )
    return DtypeChoice(
        "float32",
        "automatique : pas de bfloat16 natif sur ce processeur (ni AVX512-BF16 ni AMX), "
        "float32 y est plus rapide",
    )
