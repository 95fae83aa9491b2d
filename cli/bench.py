"""``coop bench``: measured reports (ingestion, queries, scale, concurrency) or a soak run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import DEFAULT_MIRROR, MirrorOption, ensure_index, settings
from cli.output import console, print_table

if TYPE_CHECKING:
    from assistant.config import Settings


def bench(
    questions: Annotated[Path, typer.Option(help="Questions utilisées pour mesurer.")] = Path(
        "evals/questions.yaml"
    ),
    json_out: Annotated[Path | None, typer.Option("--json", help="Écrire les mesures.")] = None,
    quick: Annotated[
        bool, typer.Option(help="Version courte (CI) : petits corpus synthétiques, 2 utilisateurs.")
    ] = False,
    sections: Annotated[
        str,
        typer.Option(
            help="Parties à mesurer : ingest,query,scale,concurrency,dtype (float32 contre "
            "bfloat16),service (indexation par un service d'embedding local contre le modèle),"
            "startup (coop --help et coop ask à froid contre le modèle seul)."
        ),
    ] = "ingest,query,scale,concurrency,dtype,service,startup",
    scale: Annotated[
        str | None,
        typer.Option(
            help="Tailles des corpus synthétiques (défaut 1000,10000 ; ex. 1000,10000,100000)."
        ),
    ] = None,
    workers: Annotated[
        str | None, typer.Option(help="Nombres d'utilisateurs simultanés (défaut 1,2,4).")
    ] = None,
    mirror: MirrorOption = DEFAULT_MIRROR,
    soak: Annotated[
        float | None,
        typer.Option(
            help="Essai d'endurance à la place des mesures : SECONDES de questions et d'avis "
            "simultanés (erreurs, avis perdus, mémoire).",
            min=1.0,
        ),
    ] = None,
    users: Annotated[int, typer.Option(help="Utilisateurs simultanés de --soak.", min=1)] = 4,
) -> None:
    """Mesure indexation, requêtes, échelle, concurrence, formats de calcul, service d'embedding."""
    import dataclasses
    import functools
    import tempfile

    from assistant.factory import build_embedder
    from evals.bench import SECTIONS, BenchOptions, run_bench
    from evals.cases import load_cases

    config = settings()
    if soak is not None:
        _soak(config, questions, mirror, soak, users, json_out)
        return
    options = BenchOptions.quick() if quick else BenchOptions()
    chosen = tuple(s.strip() for s in sections.split(",") if s.strip())
    if unknown := set(chosen) - set(SECTIONS):
        raise typer.BadParameter(f"parties inconnues : {', '.join(sorted(unknown))}")
    try:
        sizes = tuple(int(n) for n in scale.split(",")) if scale else options.scale_sizes
        askers = tuple(int(n) for n in workers.split(",")) if workers else options.workers
    except ValueError as err:
        raise typer.BadParameter(
            "--scale et --workers : des entiers séparés par des virgules"
        ) from err
    options = dataclasses.replace(options, sections=chosen, scale_sizes=sizes, workers=askers)
    ensure_index(config, mirror)
    with tempfile.TemporaryDirectory(prefix="coop-bench-") as workdir:
        report = run_bench(
            config,
            load_cases(questions),
            functools.partial(build_embedder, config),
            options,
            workdir=Path(workdir),
        )
    for title, header, rows in report.tables():
        print_table(title, header, rows)
    for note in report.notes:
        console().print(f"[yellow]{note}[/yellow]")
    if json_out:
        json_out.write_text(report.to_json(), encoding="utf-8")


def _soak(
    config: Settings,
    questions: Path,
    mirror: Path | None,
    seconds: float,
    users: int,
    json_out: Path | None,
) -> None:
    """``coop bench --soak``: K users asking and rating for a while, then what was measured."""
    import tempfile

    from assistant.factory import build_assistant
    from assistant.present.feedback import FeedbackStore
    from evals.cases import load_cases
    from evals.soak import run_soak

    ensure_index(config, mirror)
    assistant = build_assistant(config)
    asked = [case.question for case in load_cases(questions)]
    with tempfile.TemporaryDirectory(prefix="coop-soak-") as workdir:
        feedback = FeedbackStore(Path(workdir) / "avis.sqlite3")
        with console().status(f"Endurance : {users} utilisateurs pendant {seconds:.0f} s…"):
            report = run_soak(assistant, asked, feedback, users=users, seconds=seconds)
    print_table(
        "Essai d'endurance",
        ("Mesure", "Valeur"),
        [
            ("utilisateurs simultanés", str(report.users)),
            ("durée (s)", f"{report.seconds:.0f}"),
            ("réponses", str(report.asked)),
            ("réponses par seconde", f"{report.answers_per_s:.2f}"),
            ("latence p50 / p95 (s)", f"{report.latency_p50_s:.2f} / {report.latency_p95_s:.2f}"),
            ("erreurs", str(len(report.errors))),
            (
                "avis attendus / enregistrés",
                f"{report.feedback_expected} / {report.feedback_stored}",
            ),
            (
                "mémoire après échauffement / fin / pic (Mio)",
                f"{report.rss_after_warm_up_mib:.0f} / "
                f"{report.rss_end_mib:.0f} / {report.rss_peak_mib:.0f}",
            ),
            ("croissance après échauffement (Mio)", f"{report.rss_growth_mib:+.0f}"),
        ],
    )
    for error in report.errors[:5]:
        console().print(f"[red]{error}[/red]")
    if json_out:
        json_out.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), "utf-8")
    if report.errors or not report.nothing_lost:
        raise typer.Exit(1)
