"""The report of one ``coop bench`` run: JSON for the record, French tables for the terminal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from evals.bench.concurrency import ConcurrencyPoint
from evals.bench.dtype import DtypeBench
from evals.bench.harness import ratio
from evals.bench.ingest import IngestBench
from evals.bench.query import QueryBench
from evals.bench.scale import ScalePoint
from evals.bench.service import ServiceBench
from evals.bench.startup import StartupBench

Table = tuple[str, list[str], list[list[str]]]


@dataclass(slots=True)
class BenchReport:
    """Everything one ``coop bench`` run measured."""

    cpu_count: int
    ingest: IngestBench | None = None
    query: QueryBench | None = None
    scale: list[ScalePoint] = field(default_factory=list)
    concurrency: list[ConcurrencyPoint] = field(default_factory=list)
    dtype: DtypeBench | None = None
    service: ServiceBench | None = None
    startup: StartupBench | None = None
    notes: list[str] = field(default_factory=list)
    """Sections that could not be measured, and why (French)."""

    def to_json(self) -> str:
        """The report as indented JSON (seconds, MiB, KiB, ratios)."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    def tables(self) -> list[Table]:
        """(title, header, rows) of each measured section, in French, for the terminal."""
        out: list[Table] = []
        if self.ingest:
            out.append(_ingest_table(self.ingest))
        if self.query:
            out.append(_query_table(self.query))
        if self.scale:
            out.append(_scale_table(self.scale))
        if self.concurrency:
            out.append(_concurrency_table(self.concurrency))
        if self.dtype:
            out.append(_dtype_table(self.dtype))
        if self.service:
            out.append(_service_table(self.service))
        if self.startup:
            out.append(_startup_table(self.startup))
        return out


def _ingest_table(i: IngestBench) -> Table:
    rows = [
        ["documents / passages", f"{i.documents} / {i.chunks}"],
        ["coop ingest (index vide)", f"{i.ingest_s:.1f} s"],
        ["embedding seul des mêmes passages", f"{i.embed_only_s:.1f} s"],
        ["rapport ingest / embedding (objectif ≤ 1,15)", f"{i.ratio_to_embedding:.2f}"],
        ["passages / s", f"{i.chunks_per_s:.1f}"],
        ["ré-indexation sans changement", f"{i.reingest_s:.2f} s"],
        ["part de la première indexation (objectif ≤ 2 %)", f"{100 * i.reingest_share:.2f} %"],
        ["passages recalculés à la ré-indexation", str(i.reingest_embedded_chunks)],
        ["mémoire résidente max", f"{i.peak_rss_mb:.0f} Mio"],
    ]
    return "Indexation", ["mesure", "valeur"], rows


def _query_table(q: QueryBench) -> Table:
    floor = q.query_embedding.p95
    steps = [
        ("embedding de la question seul", q.query_embedding),
        ("recherche (objectif ≤ 1,3×)", q.retrieval),
        ("réponse extractive complète (objectif ≤ 1,5×)", q.answer_extractive),
        ("LangChain + Chroma similarity_search", q.langchain_similarity_search),
    ]
    rows = [
        [name, f"{t.p50 * 1000:.1f}", f"{t.p95 * 1000:.1f}", f"{ratio(t.p95, floor):.2f}"]
        for name, t in steps
    ]
    title = f"Requêtes ({q.questions} questions, {q.chunks} passages)"
    return title, ["étape", "p50 (ms)", "p95 (ms)", "p95 / embedding p95"], rows


def _scale_table(points: Sequence[ScalePoint]) -> Table:
    rows = [
        [
            f"{p.chunks:,}".replace(",", " "),
            f"{p.retrieval.p50 * 1000:.1f}",
            f"{p.retrieval.p95 * 1000:.1f}",
            f"{p.p95_vs_smallest:.2f}",
            f"{p.insert_s + p.lexical_build_s:.1f}",
            f"{p.lexical_load_s:.2f}",
            f"{p.disk_mb:.0f} ({p.disk_kb_per_chunk:.1f})",
            f"{p.rss_mb:.0f} ({p.rss_kb_per_chunk:.1f})",
        ]
        for p in points
    ]
    header = [
        "passages",
        "recherche p50 (ms)",
        "p95 (ms)",
        "p95 / plus petit",
        "construction (s)",
        "chargement BM25 (s)",
        "disque Mio (Kio/passage)",
        "RSS Mio (Kio/passage)",
    ]
    return "Passage à l'échelle (vecteurs aléatoires, embedding exclu)", header, rows


def _concurrency_table(points: Sequence[ConcurrencyPoint]) -> Table:
    rows = [
        [
            "threads" if p.mode == "threads" else "processus",
            str(p.askers),
            f"{p.throughput_qps:.2f}",
            f"{p.latency.p50 * 1000:.0f}",
            f"{p.latency.p95 * 1000:.0f}",
        ]
        for p in points
    ]
    header = ["mode", "utilisateurs", "questions / s", "p50 (ms)", "p95 (ms)"]
    return "Utilisateurs simultanés (réponse extractive complète)", header, rows


def _dtype_table(d: DtypeBench) -> Table:
    rows = [
        ["float32", f"{d.float32_s:.1f} s", f"{d.float32_per_s:.1f}"],
        ["bfloat16", f"{d.bfloat16_s:.1f} s", f"{d.bfloat16_per_s:.1f}"],
        ["débit bfloat16 / float32", "", f"{d.bfloat16_speedup:.2f}"],
        ["cosinus float32 ↔ bfloat16 min / moyen", "", f"{d.cosine_min:.4f} / {d.cosine_mean:.4f}"],
        ["COOP_EMBEDDING_DTYPE=auto choisit", "", f"{d.auto} ({d.auto_reason})"],
    ]
    title = f"Format de calcul (les {d.passages} mêmes passages)"
    return title, ["format", "durée", "passages / s"], rows


def _service_table(s: ServiceBench) -> Table:
    rows = [
        ["documents / passages", f"{s.documents} / {s.chunks}"],
        [
            "coop ingest, modèle local",
            f"{s.local_ingest_s:.1f} s ({s.local_chunks_per_s:.1f} passages/s)",
        ],
        [
            "coop ingest par le service",
            f"{s.service_ingest_s:.1f} s ({s.service_chunks_per_s:.1f} passages/s)",
        ],
        ["rapport service / local", f"{s.service_vs_local:.2f}"],
        ["requêtes au service", f"{s.requests} (lots de {s.batch_size} passages au plus)"],
        ["cosinus local ↔ service min", f"{s.cosine_min:.4f}"],
    ]
    title = "Service d'embedding (boucle locale, même modèle ; documents un par un, en alternance)"
    return title, ["mesure", "valeur"], rows


def _startup_table(s: StartupBench) -> Table:
    rows = [
        ["coop --help (objectif ≤ 0,5 s)", f"{s.help_s:.2f} s"],
        ["chargement du modèle + embedding d'une question", f"{s.model_and_question_s:.1f} s"],
        ["coop ask à froid", f"{s.cold_ask_s:.1f} s"],
        ["rapport ask à froid / modèle seul (objectif ≤ 1,3)", f"{s.cold_ask_vs_model:.2f}"],
    ]
    title = f"Démarrage (processus neufs, meilleur de {s.runs})"
    return title, ["mesure", "valeur"], rows
