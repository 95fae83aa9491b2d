"""``coop eval``: answer a question set, compare runs, gate on floors and paired bootstrap."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

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
    from assistant.config import Backend, RetrieverMode
    from evals.cases import EvalCase
    from evals.compare import RunComparison
    from evals.runs import SavedRun

DEFAULT_BASELINE = Path("evals/baseline.json")
DEFAULT_RUNS_DIR = Path("evals/runs")


FailOnOption = Annotated[
    list[str] | None,
    typer.Option(
        "--fail-on",
        help="Métrique dont une baisse au-delà du bruit (bootstrap apparié, 95 %) fait échouer "
        "--compare et --gate ; répétable. Par défaut : celles de --thresholds.",
    ),
]


def evaluate(
    runs: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Avec --compare : A.json B.json, ou B.json seul (comparé à la référence), "
            "ou rien (la dernière exécution enregistrée comparée à la référence).",
            show_default=False,
        ),
    ] = None,
    questions: Annotated[Path, typer.Option(help="Fichier YAML de questions.")] = Path(
        "evals/questions.yaml"
    ),
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json",
            help="Enregistrer l'exécution (réponses, passages cités, version du code, du "
            "corpus, réglages, durées) dans ce fichier et dans --runs-dir.",
        ),
    ] = None,
    k: Annotated[int, typer.Option("--k", help="Nombre de passages retrouvés (1 à 50).")] = 5,
    backend: BackendOption = None,
    retriever: RetrieverOption = None,
    langchain_baseline: Annotated[
        bool,
        typer.Option(help="Mesurer la référence LangChain simple (découpage fixe, dense seul)."),
    ] = False,
    gate: Annotated[
        bool,
        typer.Option(
            help="Échouer si une métrique passe sous son plancher (evals/thresholds.yaml) ou "
            "baisse au-delà du bruit par rapport à la référence (bootstrap apparié)."
        ),
    ] = False,
    thresholds: Annotated[
        Path, typer.Option(help="Planchers absolus de la porte de régression.")
    ] = Path("evals/thresholds.yaml"),
    baseline: Annotated[
        Path, typer.Option(help="Exécution de référence (commitée).")
    ] = DEFAULT_BASELINE,
    update_baseline: Annotated[
        bool, typer.Option(help="Enregistrer cette exécution comme nouvelle référence.")
    ] = False,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Comparer deux exécutions enregistrées question par question, sans rien "
            "réévaluer.",
        ),
    ] = False,
    fail_on: FailOnOption = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Écrire un rapport HTML : métriques et intervalles, courbes des exécutions "
            "enregistrées, questions avec filtres.",
        ),
    ] = None,
    runs_dir: Annotated[
        Path, typer.Option(help="Dossier des exécutions enregistrées (ignoré par git).")
    ] = DEFAULT_RUNS_DIR,
    mirror: MirrorOption = DEFAULT_MIRROR,
    show_items: Annotated[bool, typer.Option(help="Afficher chaque question.")] = False,
    cv: Annotated[
        int,
        typer.Option(
            "--cv",
            help="Validation croisée en K parties des réglages ajustés (décote des sources "
            "secondaires, poids de l'autorité, seuil de refus, péage d'un nouveau document, "
            "seuil de citation, en français et en anglais, poids du rang du passage, cosinus "
            "minimal d'une phrase avec une partie d'une question composée) : chiffres honnêtes, "
            "sans les questions qui ont servi au choix. 0 : aucune.",
            min=0,
        ),
    ] = 0,
) -> None:
    """Évalue les réponses sur un jeu de questions, ou compare deux exécutions enregistrées."""
    from evals.runs import load_run

    check_k(k)
    gated = fail_on or _gated_metrics(thresholds)
    if compare:
        before, after = _runs_to_compare(runs or [], baseline, runs_dir, questions)
        _compare(before, after, gated, report, runs_dir)
        return
    if runs:
        raise CoopError("Des fichiers d'exécution ne se donnent qu'avec --compare.")
    if cv:
        _cross_validate_command(questions, k, backend, retriever, mirror, cv)
        return
    run = _run(questions, k, backend, retriever, mirror, langchain_baseline)
    if show_items:
        _print_items(run)
    reference = load_run(baseline) if baseline.is_file() else None
    comparison = _print_metrics(run, reference, questions)
    _save(run, json_out, runs_dir, baseline if update_baseline else None)
    if report:
        _write_report(report, run, comparison, runs_dir)
    if gate:
        _gate(run, comparison, thresholds, gated)


def _print_items(run: SavedRun) -> None:
    for item in run.items:
        mark = "ok" if item.rank == 1 or (not item.answerable and item.refused) else "--"
        console().print(
            f"{mark} {item.id} rang={item.rank} refus={item.refused} {item.question}",
            markup=False,
        )


def _gate(
    run: SavedRun, comparison: RunComparison | None, thresholds: Path, gated: list[str]
) -> None:
    """Exit 1 when a metric is under its floor or drops beyond its noise against the baseline."""
    from evals import runner
    from evals.compare import regressions

    failures = runner.gate(run.summary, runner.load_thresholds(thresholds))
    if comparison is not None:
        failures += regressions(comparison, gated)
    else:
        console().print("Pas de référence question par question : planchers seuls.")
    for failure in failures:
        console().print(f"Régression : {failure}", markup=False)
    if failures:
        raise typer.Exit(1)
    console().print("Porte de régression : planchers respectés, aucune baisse au-delà du bruit.")


def _gated_metrics(thresholds: Path) -> list[str]:
    from evals import runner
    from evals.metrics import RATIO_METRICS

    if not thresholds.is_file():
        return list(RATIO_METRICS)
    return [m for m in runner.load_thresholds(thresholds) if m in RATIO_METRICS]


def _run(
    questions: Path,
    k: int,
    backend: Backend | None,
    retriever: RetrieverMode | None,
    mirror: Path | None,
    langchain_baseline: bool,
) -> SavedRun:
    """Answer the question set and return the run with its provenance."""
    from assistant.factory import build_assistant, build_store
    from evals import runner
    from evals.cases import load_cases
    from evals.runs import SavedRun, run_meta

    config = settings()
    cases = load_cases(questions)
    embedder = ensure_index(config, mirror)  # the model it loaded, if it had to build the index
    store = build_store(config)
    store.open_for_reading(model_id=None)
    started = time.perf_counter()
    if langchain_baseline:
        from evals.baseline import run_langchain_baseline

        result = run_langchain_baseline(config, cases, k=k)
    else:
        assistant = build_assistant(
            config, embedder=embedder, backend=backend, retriever=retriever, store=store
        )
        result = runner.run_eval(assistant, cases, k=k)
    total = time.perf_counter() - started
    timings = {"total_s": round(total, 3), "per_question_s": round(total / max(1, len(cases)), 4)}
    meta = run_meta(config, store, questions=questions, k=k, timings=timings)
    if backend or retriever or langchain_baseline:
        meta.note = f"backend={backend} retriever={retriever} langchain={langchain_baseline}"
    return SavedRun(meta, result.summary, result.items)


def _save(run: SavedRun, json_out: Path | None, runs_dir: Path, baseline: Path | None) -> None:
    from evals.runs import archive_path, save_run, without_texts

    if json_out:
        save_run(run, json_out)
        archived = save_run(run, archive_path(run, runs_dir))
        console().print(f"Exécution enregistrée : {json_out} et {archived}")
    if baseline:
        # Committed to the project: no text of the corpus in it.
        save_run(without_texts(run), baseline)
        console().print(f"Nouvelle référence : {baseline}")


def _runs_to_compare(
    paths: list[Path], baseline: Path, runs_dir: Path, questions: Path
) -> tuple[SavedRun, SavedRun]:
    from evals.runs import list_runs, load_run

    if len(paths) > 2:
        raise CoopError("--compare : deux exécutions au plus (A.json B.json).")
    if len(paths) == 2:
        return load_run(paths[0]), load_run(paths[1])
    if len(paths) == 1:
        return load_run(baseline), load_run(paths[0])
    saved = list_runs(runs_dir, str(questions))
    if not saved:
        raise CoopError(
            f"Aucune exécution de {questions} dans {runs_dir} : lancez `coop eval --json "
            "FICHIER` ou donnez les fichiers à comparer."
        )
    return load_run(baseline), saved[-1]


def _compare(
    before: SavedRun, after: SavedRun, gated: list[str], report: Path | None, runs_dir: Path
) -> None:
    """Print the comparison; exit 1 when a gated metric drops beyond its noise."""
    from evals.compare import compare_runs, regressions

    if not before.items or not after.items:
        raise CoopError(
            "Comparaison impossible : une des exécutions n'a pas de résultats par question "
            "(ancienne référence ?). Régénérez-la avec `coop eval --json`."
        )
    comparison = compare_runs(before, after)
    print_comparison(comparison)
    if report:
        _write_report(report, after, comparison, runs_dir)
    drops = regressions(comparison, gated)
    for drop in drops:
        console().print(f"Régression : {drop}")
    if drops:
        raise typer.Exit(1)


def _print_metrics(
    run: SavedRun, reference: SavedRun | None, questions: Path
) -> RunComparison | None:
    """Metric table with 95 % intervals, and the paired difference to the reference if any.

    A reference run on other questions (the dev baseline beside a held-out set) is left out:
    there is nothing to pair, and its figures are not this set's.
    """
    from evals.compare import compare_runs, metric_intervals

    if reference is not None and not {i.id for i in reference.items} & {i.id for i in run.items}:
        reference = None
    comparison = compare_runs(reference, run) if reference and reference.items else None
    if comparison is not None:
        print_metric_changes(comparison, f"Évaluation ({questions}) et référence")
        return comparison
    intervals = metric_intervals(run.items, run.meta.k)
    rows = []
    for metric, value in run.summary.items():
        ci = intervals.get(metric)
        before = reference.summary.get(metric) if reference else None
        rows.append(
            (
                metric,
                f"{value:.3f}",
                f"[{ci.low:.3f} ; {ci.high:.3f}]" if ci else "",
                f"{before:.3f}" if before is not None else "",
                f"{value - before:+.3f}" if before is not None else "",
            )
        )
    print_table(
        f"Évaluation ({questions})", ("Métrique", "Valeur", "IC 95 %", "Référence", "Écart"), rows
    )
    return None


def _write_report(
    path: Path, run: SavedRun, comparison: RunComparison | None, runs_dir: Path
) -> None:
    from evals.report import write_report
    from evals.runs import list_runs

    history = list_runs(runs_dir, run.meta.questions or None)
    write_report(path, run, comparison, history)
    console().print(f"Rapport écrit : {path}")


def _cross_validate_command(
    questions: Path,
    k: int,
    backend: Backend | None,
    retriever: RetrieverMode | None,
    mirror: Path | None,
    folds: int,
) -> None:
    from assistant.factory import build_assistant
    from evals.cases import load_cases

    config = settings()
    cases = load_cases(questions)
    embedder = ensure_index(config, mirror)
    assistant = build_assistant(config, embedder=embedder, backend=backend, retriever=retriever)
    _cross_validate(assistant, cases, folds, k)


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
    _cross_validate_switches(assistant, cases, folds, k)
    _cross_validate_sentence_weights(assistant, cases, folds, k)


def _cross_validate_switches(
    assistant: Assistant, cases: list[EvalCase], folds: int, k: int
) -> None:
    """Each answerability check on and off: does cross-validation keep it?"""
    from evals.cv import SWITCHES, cross_validate, run_grid
    from evals.metrics import summarize

    results = run_grid(assistant, cases, SWITCHES, k=k)
    report = cross_validate(results, folds, k=k)
    names = [knob.name for knob in SWITCHES]
    rows = []
    for point, items in results.items():
        summary = summarize(items, k)
        label = ", ".join(f"{n} {'oui' if v else 'non'}" for n, v in zip(names, point, strict=True))
        rows.append((label, *(f"{summary[m]:.3f}" for m in _SWITCH_METRICS)))
    print_table(
        f"Vérifications de répondabilité (entraînement ; {folds} parties)",
        ("Vérifications", *_SWITCH_METRICS),
        rows,
    )
    console().print(f"Choix par partie : {report.chosen_per_fold}")


_SWITCH_METRICS = ("key_fact_coverage", "refusal_accuracy", "false_refusals")


def _cross_validate_sentence_weights(
    assistant: Assistant, cases: list[EvalCase], folds: int, k: int
) -> None:
    """Sentence-choice weights fitted per fold (logistic regression) against the hand-set ones."""
    from evals.sentence_fit import cross_validate_weights, describe

    fit = cross_validate_weights(assistant, cases, folds, k=k)
    print_table(
        f"Poids du choix des phrases (régression logistique, {folds} parties)",
        ("Métrique", "Réglés à la main", "Ajustés, validation croisée", "Ajustés, entraînement"),
        (
            (
                metric,
                f"{value:.3f}",
                f"{fit.cross_validated[metric]:.3f}",
                f"{fit.train[metric]:.3f}",
            )
            for metric, value in fit.hand.items()
        ),
    )
    console().print(f"Poids ajustés sur toutes les questions : {describe(fit.weights)}")


GROUP_LABELS = {
    "worse": "moins bien",
    "improved": "mieux",
    "changed": "changé, mêmes scores",
    "same": "identique",
}
SCORE_LABELS = {
    "refusal": "refus",
    "key_facts": "faits clés",
    "reciprocal_rank": "rang de la source attendue",
    "citation_precision": "précision des citations",
}
CHANGE_LABELS = SCORE_LABELS | {"answer": "texte", "citations": "citations", "rank": "rang"}


def print_metric_changes(comparison: RunComparison, title: str) -> None:
    """Each metric in both runs with its 95 % interval, and the paired difference."""
    rows = []
    for m in comparison.metrics:
        verdict = "régression réelle" if m.significant_drop else ""
        verdict = verdict or ("amélioration réelle" if m.significant_gain else "dans le bruit")
        rows.append(
            (
                m.metric,
                f"{m.before.value:.3f}",
                f"{m.after.value:.3f} [{m.after.low:.3f} ; {m.after.high:.3f}]",
                f"{m.difference.value:+.3f} [{m.difference.low:+.3f} ; {m.difference.high:+.3f}]",
                verdict,
            )
        )
    header = ("Métrique", "Référence", "Valeur [IC 95 %]", "Écart [IC 95 % apparié]", "Verdict")
    print_table(title, header, rows)


def diff_text(ops: Sequence[tuple[str, str]]) -> Text:
    """A word diff for the terminal: removed words struck in red, added words in green."""
    text = Text()
    for op, words in ops:
        style = "red strike" if op == "-" else "green" if op == "+" else ""
        text.append(words + " ", style=style)
    return text


def print_comparison(comparison: RunComparison) -> None:
    """Metrics, then the questions that changed, worse first, each with its word diff."""
    from evals.compare import provenance_changes

    out = console()
    labels = comparison.before.label or "référence", comparison.after.label
    out.print("Avant : {} ; après : {}".format(*labels), markup=False)
    for line in provenance_changes(comparison.before.meta, comparison.after.meta):
        out.print(f"  {line}", markup=False, highlight=False)
    print_metric_changes(comparison, "Métriques (mêmes questions)")
    counts = ", ".join(
        f"{GROUP_LABELS[group]} : {len(comparison.group(group))}"
        for group in ("worse", "improved", "changed", "same")
    )
    out.print(counts)
    for group in ("worse", "improved", "changed"):
        for question in comparison.group(group):
            moved = [f"{SCORE_LABELS[s]} ↓" for s in question.worse]
            moved += [f"{SCORE_LABELS[s]} ↑" for s in question.better]
            what = ", ".join(moved or [CHANGE_LABELS[c] for c in question.changes])
            out.print(
                Text(f"[{GROUP_LABELS[group]}] {question.id} — {question.question}", style="bold")
            )
            before, after = question.before, question.after
            out.print(
                f"  {what} | rang {before.rank} → {after.rank} | refus {before.refused} → "
                f"{after.refused} | faits {sum(before.groups_matched)} → "
                f"{sum(after.groups_matched)}/{len(after.groups_matched)}",
                markup=False,
                highlight=False,
            )
            if before.citations != after.citations:
                out.print(
                    f"  citations {before.citations} → {after.citations}",
                    markup=False,
                    highlight=False,
                )
            if question.answer_diff:
                out.print(Text("  ") + diff_text(question.answer_diff))
    if comparison.only_before or comparison.only_after:
        out.print(
            f"Questions retirées : {len(comparison.only_before)} ; "
            f"ajoutées : {len(comparison.only_after)}"
        )
