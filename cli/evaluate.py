"""``coop eval``: answer a question set, print the metrics, gate on thresholds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.errors import CoopError
from assistant.options import check_k
from cli.common import (
    DEFAULT_MIRROR,
    BackendOption,
    MirrorOption,
    RetrieverOption,
    ensure_index,
    settings,
)
from cli.output import console, print_table

if TYPE_CHECKING:
    from assistant.answer.answering import Assistant
    from evals.cases import EvalCase


def evaluate(
    questions: Annotated[Path, typer.Option(help="Fichier YAML de questions.")] = Path(
        "evals/questions.yaml"
    ),
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Écrire le résultat détaillé en JSON.")
    ] = None,
    k: Annotated[int, typer.Option("--k", help="Nombre de passages retrouvés (1 à 50).")] = 5,
    backend: BackendOption = None,
    retriever: RetrieverOption = None,
    langchain_baseline: Annotated[
        bool,
        typer.Option(help="Mesurer la référence LangChain simple (découpage fixe, dense seul)."),
    ] = False,
    gate: Annotated[
        bool, typer.Option(help="Échouer si une métrique passe sous evals/thresholds.yaml.")
    ] = False,
    thresholds: Annotated[Path, typer.Option(help="Seuils de la porte de régression.")] = Path(
        "evals/thresholds.yaml"
    ),
    baseline: Annotated[Path, typer.Option(help="Dernière référence enregistrée.")] = Path(
        "evals/baseline.json"
    ),
    update_baseline: Annotated[
        bool, typer.Option(help="Enregistrer ce résultat comme nouvelle référence.")
    ] = False,
    mirror: MirrorOption = DEFAULT_MIRROR,
    show_items: Annotated[bool, typer.Option(help="Afficher chaque question.")] = False,
    cv: Annotated[
        int,
        typer.Option(
            "--cv",
            help="Validation croisée en K parties des réglages ajustés (décote des sources "
            "secondaires, poids de l'autorité, seuil de refus) : chiffres honnêtes, sans "
            "les questions qui ont servi au choix. 0 : aucune.",
            min=0,
        ),
    ] = 0,
) -> None:
    """Évalue les réponses sur un jeu de questions et affiche les métriques."""
    from assistant.factory import build_assistant
    from evals import runner
    from evals.cases import load_cases

    config = settings()
    check_k(k)
    cases = load_cases(questions)
    embedder = ensure_index(config, mirror)  # the model it loaded, if it had to build the index
    if cv:
        assistant = build_assistant(config, embedder=embedder, backend=backend, retriever=retriever)
        _cross_validate(assistant, cases, cv, k)
        return
    if langchain_baseline:
        from evals.baseline import run_langchain_baseline

        report = run_langchain_baseline(config, cases, k=k)
    else:
        assistant = build_assistant(config, embedder=embedder, backend=backend, retriever=retriever)
        report = runner.run_eval(assistant, cases, k=k)
    out = console()
    if show_items:
        for item in report.items:
            mark = "ok" if item.rank == 1 or (not item.answerable and item.refused) else "--"
            out.print(f"{mark} {item.id} rang={item.rank} refus={item.refused} {item.question}")
    deltas = runner.diff_with_baseline(report.summary, baseline)
    rows = []
    for metric, value in report.summary.items():
        before = deltas.get(metric)
        rows.append(
            (
                metric,
                f"{value:.3f}",
                f"{before[0]:.3f}" if before else "",
                f"{before[2]:+.3f}" if before else "",
            )
        )
    print_table(f"Évaluation ({questions})", ("Métrique", "Valeur", "Référence", "Écart"), rows)
    if json_out:
        json_out.write_text(report.to_json(), encoding="utf-8")
    if update_baseline:
        baseline.write_text(
            json.dumps({"summary": report.summary}, indent=2) + "\n", encoding="utf-8"
        )
    if gate:
        _gate(report.summary, thresholds)


def _cross_validate(assistant: Assistant, cases: list[EvalCase], folds: int, k: int) -> None:
    """Grid of the fitted knobs, K-fold choice, and the cross-validated metrics beside train."""
    from evals.cv import KNOBS, cross_validate, run_grid

    if folds < 2:
        raise CoopError("--cv : au moins 2 parties (par exemple --cv 5).")
    out = console()
    out.print("Grille : " + ", ".join(f"{knob.name} ∈ {list(knob.values)}" for knob in KNOBS))
    results = run_grid(assistant, cases, k=k, on_point=lambda p: out.print(f"  point {p}"))
    report = cross_validate(results, folds, k=k)
    print_table(
        f"Validation croisée ({folds} parties, {len(cases)} questions)",
        ("Métrique", "Validation croisée", "Entraînement (meilleur point)"),
        (
            (metric, f"{value:.3f}", f"{report.train[metric]:.3f}")
            for metric, value in report.cross_validated.items()
        ),
    )
    names = ", ".join(knob.name for knob in KNOBS)
    out.print(f"Meilleur point sur toutes les questions ({names}) : {report.best}")
    out.print(f"Choix par partie : {report.chosen_per_fold}")


def _gate(summary: dict[str, float], thresholds: Path) -> None:
    """Print each metric under its threshold and exit 1 if there is any."""
    from evals import runner

    failures = runner.gate(summary, runner.load_thresholds(thresholds))
    for failure in failures:
        console().print(f"Régression : {failure}")
    if failures:
        raise typer.Exit(1)
    console().print("Porte de régression : toutes les métriques au-dessus des seuils.")
