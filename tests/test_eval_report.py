"""The HTML report: metric table with intervals, history chart, filterable question list."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from evals.compare import compare_runs
from evals.metrics import ItemResult, summarize
from evals.report import (
    chart_html,
    history_chart,
    history_points,
    question_rows,
    render_report,
    write_report,
)
from evals.runs import RunMeta, SavedRun, save_run

runner = CliRunner()

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "test-artifacts"
SOURCES = ("decret-2025-1234", "code-sante-publique", "ami-soins-palliatifs")


def item(number: int, *, worse: bool = False, better: bool = False) -> ItemResult:
    """Question ``number``: every tenth unanswerable; ``worse``/``better`` move its scores."""
    answerable = number % 10 != 0
    source = SOURCES[number % 3]
    refused = (not answerable) != (number % 20 == 5 and not better)
    if worse:
        refused = answerable or refused
    return ItemResult(
        id=f"q{number:03d}",
        question=f"Question {number} sur {source} ?",
        answerable=answerable,
        retrieved=[source],
        expected=[source] if answerable else [],
        answer="Réponse refusée." if refused else f"Les textes disent {number} [1].",
        citations=[] if refused else [source],
        refused=refused,
        groups_matched=[not refused, not refused or number % 2 == 0] if answerable else [],
        latency_s=0.05,
        rank=(1 if number % 4 else 2) if answerable else None,
    )


def run(items: list[ItemResult], day: int, commit: str) -> SavedRun:
    meta = RunMeta(
        created_at=f"2026-12-{day:02d}T09:00:00+00:00",
        questions="evals/questions.yaml",
        git_commit=commit,
        corpus={source: "hash" for source in SOURCES},
        settings={"k": 5, "backend": "extractive"},
        timings={"total_s": 12.5},
    )
    return SavedRun(meta, summarize(items, 5), items)


@pytest.fixture
def runs() -> list[SavedRun]:
    """Three runs of 60 questions: the last one loses 12 answers and gains 2."""
    first = run([item(n) for n in range(60)], 1, "1111111aaaa")
    second = run([item(n, better=n in (5, 45)) for n in range(60)], 3, "2222222bbbb")
    third = run(
        [item(n, worse=n in range(21, 33), better=n in (5, 45)) for n in range(60)], 6, "3333333c"
    )
    return [first, second, third]


def test_question_rows_put_the_worse_first_with_their_sources(runs: list[SavedRun]) -> None:
    comparison = compare_runs(runs[1], runs[2])

    rows = question_rows(runs[2], comparison)

    worse = [row.item.id for row in rows if row.group == "worse"]
    # q025 was already refused and q030 has no answer: refusing them again changes nothing.
    assert worse == [f"q{n:03d}" for n in range(21, 33) if n not in (25, 30)]
    assert rows[0].group == "worse" and rows[-1].group == "same"
    assert rows[0].sources == [SOURCES[21 % 3]]


def test_history_points_carry_each_metric_with_its_interval(runs: list[SavedRun]) -> None:
    points = history_points(runs)
    assert len(points) == 3 * 7
    hit = [p for p in points if p["metric"] == "hit@1"]
    assert [p["run"][:2] for p in hit] == ["1.", "2.", "3."]
    assert all(p["low"] <= p["value"] <= p["high"] for p in points)


def test_the_report_escapes_what_comes_from_the_answers(runs: list[SavedRun]) -> None:
    runs[2].items[1].answer = "<script>alert('x')</script>"
    html = render_report(runs[2], None, runs)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


def test_coop_eval_compare_writes_the_report(runs: list[SavedRun], tmp_path: Path) -> None:
    for number, saved in enumerate(runs):
        save_run(saved, tmp_path / "runs" / f"{number}.json")
    report = tmp_path / "rapport.html"
    args = ["eval", "--compare", str(tmp_path / "runs/1.json"), str(tmp_path / "runs/2.json")]
    args += ["--report", str(report), "--runs-dir", str(tmp_path / "runs")]

    result = runner.invoke(cli.app, [*args, "--fail-on", "false_refusals"])

    assert result.exit_code == 1, result.output  # 10 new false refusals of 54: beyond noise
    html = report.read_text(encoding="utf-8")
    assert "régression réelle" in html
    assert "<li>code : 2222222b → 3333333c</li>" in html
    assert "code : 2222222b → 3333333c" in result.output
    assert "Les métriques au fil des exécutions enregistrées (3)" in html


def test_without_vl_convert_the_chart_is_drawn_by_vega_embed(
    runs: list[SavedRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "vl_convert", None)  # import fails as if not installed
    html = chart_html(history_chart(runs))
    assert '<div id="history-chart-vega"></div>' in html
    assert 'vegaEmbed("#history-chart-vega", spec, embedOpt)' in html
    assert "hit@1" in html  # the data travels in the spec


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian chromium absent ({CHROMIUM})")
def test_the_report_in_chromium_filters_questions_and_shows_the_chart(
    runs: list[SavedRun], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    path = write_report(tmp_path / "rapport.html", runs[2], compare_runs(runs[1], runs[2]), runs)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1500}, locale="fr-FR")
            # No network, as in CI: without vl-convert the chart's scripts simply fail to load.
            page.route("http*://**", lambda route: route.abort())
            page.goto(path.as_uri())
            metrics = page.locator("#metrics tbody tr")
            expect(metrics).to_have_count(7)
            expect(metrics.filter(has_text="refus à tort")).to_have_class("drop")
            expect(page.locator("#shown-count")).to_have_text("60 / 60 questions")
            if importlib.util.find_spec("vl_convert"):
                # Inline SVG: the chart is drawn without any network access.
                expect(page.locator("#history-chart svg").first).to_be_visible()
                expect(page.locator("#history-chart")).to_contain_text("précision des citations")
            else:
                expect(page.locator("#history-chart-vega")).to_be_attached()
            page.screenshot(path=str(ARTIFACTS / "eval-report.png"))

            page.select_option("#filter-group", "worse")
            expect(page.locator("#shown-count")).to_have_text("10 / 60 questions")
            expect(page.locator("tr.question:visible").first).to_contain_text("moins bien")
            page.select_option("#filter-group", "")
            page.check("#filter-refused")
            refused = sum(1 for i in runs[2].items if i.refused)
            expect(page.locator("#shown-count")).to_have_text(f"{refused} / 60 questions")
            page.select_option("#filter-source", SOURCES[0])
            shown = sum(1 for i in runs[2].items if i.refused and SOURCES[0] in i.expected)
            expect(page.locator("#shown-count")).to_have_text(f"{shown} / 60 questions")
            expect(page.locator("tr.question:visible")).to_have_count(shown)
        finally:
            browser.close()
    assert (ARTIFACTS / "eval-report.png").stat().st_size > 20_000
