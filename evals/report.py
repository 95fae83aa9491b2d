"""The evaluation as a page to look at: metric table with intervals, history chart, questions.

The page is a Jinja2 template (``templates/report.html.j2``); the chart is an Altair chart,
inlined as SVG when ``vl-convert-python`` is installed (the page then works offline), else
embedded with vega-embed from its CDN.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import jinja2
import pandas as pd

from evals.compare import (
    GROUP_ORDER,
    Group,
    MetricChange,
    RunComparison,
    metric_intervals,
    provenance_changes,
)
from evals.metrics import RATIO_METRICS, ItemResult
from evals.runs import SavedRun
from evals.stats import Interval

METRIC_LABELS = {
    "hit_at_1": "hit@1",
    "hit_at_5": "hit@5",
    "mrr": "MRR",
    "key_fact_coverage": "faits clés",
    "citation_precision": "précision des citations",
    "refusal_accuracy": "refus corrects",
    "false_refusals": "refus à tort",
}
GROUP_LABELS: dict[Group, str] = {
    "worse": "moins bien",
    "improved": "mieux",
    "changed": "changé, mêmes scores",
    "same": "identique",
}


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One line of the metric table."""

    name: str
    label: str
    now: Interval
    reference: float | None = None
    difference: Interval | None = None
    verdict: str = ""


@dataclass(frozen=True, slots=True)
class QuestionRow:
    """One question of the list, with what the filters need."""

    item: ItemResult
    group: Group | None
    group_label: str
    rank_before: int | None
    facts_before: int | None
    sources: list[str]
    diff: list[tuple[str, str]]

    @property
    def facts(self) -> int:
        """Key-fact groups matched now."""
        return sum(self.item.groups_matched)


def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def metric_rows(run: SavedRun, comparison: RunComparison | None) -> list[MetricRow]:
    """The table: each ratio metric with its interval, and against the reference if compared."""
    if comparison is not None:
        return [_compared_row(change) for change in comparison.metrics]
    intervals = metric_intervals(run.items, run.meta.k) if run.items else {}
    return [
        MetricRow(m, METRIC_LABELS[m], intervals.get(m, _point(run.summary.get(m, 0.0))))
        for m in RATIO_METRICS
    ]


def _compared_row(change: MetricChange) -> MetricRow:
    verdict = (
        "régression réelle"
        if change.significant_drop
        else "amélioration réelle"
        if change.significant_gain
        else "dans le bruit"
    )
    return MetricRow(
        change.metric,
        METRIC_LABELS[change.metric],
        change.after,
        change.before.value,
        change.difference,
        verdict,
    )


def _point(value: float) -> Interval:
    return Interval(value, value, value)


def question_rows(run: SavedRun, comparison: RunComparison | None) -> list[QuestionRow]:
    """Every question of the run, worse first when compared, else in file order."""
    diffs = {q.id: q for q in comparison.questions} if comparison else {}
    rows = []
    for item in run.items:
        diff = diffs.get(item.id)
        rows.append(
            QuestionRow(
                item=item,
                group=diff.group if diff else None,
                group_label=GROUP_LABELS[diff.group] if diff else "",
                rank_before=diff.before.rank if diff else None,
                facts_before=sum(diff.before.groups_matched) if diff else None,
                sources=sorted(set(item.expected) | set(item.citations)),
                diff=list(diff.answer_diff) if diff else [],
            )
        )
    if comparison is not None:
        order = {group: position for position, group in enumerate(GROUP_ORDER)}
        rows.sort(key=lambda row: order[row.group] if row.group else len(order))
    return rows


def history_points(runs: Sequence[SavedRun]) -> list[dict[str, Any]]:
    """One point per run and metric (value and 95 % interval) for the chart."""
    points = []
    for position, run in enumerate(runs, start=1):
        intervals = metric_intervals(run.items, run.meta.k) if run.items else {}
        for metric in RATIO_METRICS:
            ci = intervals.get(metric, _point(run.summary.get(metric, 0.0)))
            points.append(
                {
                    "run": f"{position}. {run.label}",
                    "metric": METRIC_LABELS[metric],
                    "value": round(ci.value, 4),
                    "low": round(ci.low, 4),
                    "high": round(ci.high, 4),
                }
            )
    return points


def history_chart(runs: Sequence[SavedRun]) -> alt.FacetChart:
    """Small multiples: each metric over the saved runs, with its 95 % interval."""
    data = pd.DataFrame(history_points(runs), columns=["run", "metric", "value", "low", "high"])
    x = alt.X("run:N", sort=None, title=None, axis=alt.Axis(labelAngle=-30, labelLimit=120))
    line = (
        alt.Chart()
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            tooltip=["run:N", "value:Q", "low:Q", "high:Q"],
        )
    )
    band = alt.Chart().mark_errorbar(ticks=True).encode(x=x, y="low:Q", y2="high:Q")
    facet = alt.Facet("metric:N", title=None, sort=list(METRIC_LABELS.values()))
    chart: alt.FacetChart = (
        alt.layer(band, line, data=data)
        .properties(width=200, height=120)
        .facet(facet=facet, columns=4)
        .resolve_scale(y="independent")
    )
    return chart


def chart_html(chart: alt.FacetChart) -> str:
    """The chart as inline SVG when vl-convert is installed, else a vega-embed block."""
    spec = chart.to_dict()
    try:
        import vl_convert
    except ImportError:
        return _embedded(spec)
    svg: str = vl_convert.vegalite_to_svg(spec)
    return svg


def _embedded(spec: dict[str, Any]) -> str:
    from altair.utils.html import spec_to_html

    return spec_to_html(
        spec,
        mode="vega-lite",
        vega_version=alt.VEGA_VERSION,
        vegaembed_version=alt.VEGAEMBED_VERSION,
        vegalite_version=alt.VEGALITE_VERSION,
        output_div="history-chart-vega",
        fullhtml=False,
    )


def render_report(
    run: SavedRun, comparison: RunComparison | None, history: Sequence[SavedRun]
) -> str:
    """The report page as HTML text."""
    runs = list(history)
    if all(saved.meta.created_at != run.meta.created_at for saved in runs):
        runs.append(run)
    rows = question_rows(run, comparison)
    sources = sorted({source for row in rows for source in row.sources})
    template = _templates().get_template("report.html.j2")
    return template.render(
        run=run,
        reference=comparison.before if comparison else None,
        provenance=provenance_changes(comparison.before.meta, run.meta) if comparison else [],
        metrics=metric_rows(run, comparison),
        chart=chart_html(history_chart(runs)),
        runs_count=len(runs),
        rows=rows,
        sources=sources,
        groups=GROUP_LABELS if comparison else {},
        counts={g: sum(1 for r in rows if r.group == g) for g in GROUP_LABELS},
        settings_json=json.dumps(run.meta.settings, ensure_ascii=False, indent=1),
    )


def write_report(
    path: Path, run: SavedRun, comparison: RunComparison | None, history: Sequence[SavedRun]
) -> Path:
    """Render the report into ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(run, comparison, history), encoding="utf-8")
    return path
