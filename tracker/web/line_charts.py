"""SVG line charts for the author and question pages: probabilities over time (every forecaster
and baseline on one question), scores by quarter, and Murphy diagrams of a head to head.

Drawn from numbers only; every label (author and baseline names come from files and feeds)
goes through ``markupsafe.escape``.  Series are told apart by colour *and* dash pattern, with
a legend, so the chart reads in greyscale too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

W, H = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40
_COLOURS = ("#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#555555")
_DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 4", "10 4")


@dataclass(frozen=True)
class Series:
    """One line: (x, y) points with x in [0, 1] and y in [0, y_max]; ``steps`` holds each value
    until the next point (a probability stands until restated)."""

    label: str
    points: Sequence[tuple[float, float]]
    steps: bool = False
    marker: bool = True


def _px(x: float) -> float:
    return LEFT + x * (W - LEFT - RIGHT)


def _py(y: float, y_max: float) -> float:
    return H - BOTTOM - (y / y_max) * (H - TOP - BOTTOM)


def _path(series: Series, y_max: float, end_x: float | None) -> str:
    points = list(series.points)
    if series.steps and points:
        stepped: list[tuple[float, float]] = []
        for (x, y), nxt in zip(points, [*points[1:], None], strict=True):
            stepped.append((x, y))
            stepped.append((nxt[0] if nxt else (end_x if end_x is not None else x), y))
        points = stepped
    return " ".join(
        f"{'M' if i == 0 else 'L'}{_px(x):.1f},{_py(y, y_max):.1f}"
        for i, (x, y) in enumerate(points)
    )


def _frame(x_ticks: Sequence[tuple[float, str]], y_max: float, y_label: str) -> list[str]:
    parts = [
        (
            f'<rect x="{LEFT}" y="{TOP}" width="{W - LEFT - RIGHT}" height="{H - TOP - BOTTOM}" '
            'fill="#fff" stroke="#888"/>'
        )
    ]
    for i in range(5):
        v = y_max * i / 4
        y = _py(v, y_max)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(f'{v:.0%}' if y_max == 1 else f'{v:.2f}')}</text>"
        )
    for x, label in x_ticks:
        anchor = "start" if x <= 0.02 else "end" if x >= 0.98 else "middle"
        parts.append(
            f'<text x="{_px(x):.1f}" y="{H - BOTTOM + 16}" text-anchor="{anchor}" font-size="11">'
            f"{escape(label)}</text>"
        )
    parts.append(
        f'<text transform="translate(12,{(TOP + H - BOTTOM) / 2}) rotate(-90)" '
        f'text-anchor="middle" font-size="12">{escape(y_label)}</text>'
    )
    return parts


def _legend(labels: Sequence[str]) -> list[str]:
    """Three entries a row under the plot (the SVG grows a row for every three more)."""
    parts = []
    for i, label in enumerate(labels):
        x, y = LEFT + (i % 3) * 195, H - 6 + (i // 3) * 14
        colour, dash = _COLOURS[i % len(_COLOURS)], _DASHES[i % len(_DASHES)]
        parts.append(
            f'<line x1="{x}" y1="{y - 4}" x2="{x + 22}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="2" stroke-dasharray="{dash}"/>'
            f'<text x="{x + 26}" y="{y}" font-size="11">{escape(label[:30])}</text>'
        )
    return parts


def line_chart(
    title: str,
    series: Sequence[Series],
    *,
    x_ticks: Sequence[tuple[float, str]],
    y_max: float = 1.0,
    y_label: str = "probability",
    end_x: float | None = 1.0,
    rule_x: tuple[float, str] | None = None,
) -> Markup:
    """A chart of ``series``; ``rule_x`` draws a labelled vertical line (a resolution)."""
    body = _frame(x_ticks, y_max, y_label)
    if rule_x is not None:
        x = _px(rule_x[0])
        body.append(
            f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{H - BOTTOM}" stroke="#000" '
            f'stroke-dasharray="3 3"><title>{escape(rule_x[1])}</title></line>'
            f'<text x="{x - 4:.1f}" y="{TOP + 12}" text-anchor="end" font-size="11">'
            f"{escape(rule_x[1])}</text>"
        )
    for i, line in enumerate(series):
        colour, dash = _COLOURS[i % len(_COLOURS)], _DASHES[i % len(_DASHES)]
        body.append(
            f'<path d="{_path(line, y_max, end_x)}" fill="none" stroke="{colour}" '
            f'stroke-width="2" stroke-dasharray="{dash}"><title>{escape(line.label)}</title></path>'
        )
        if line.marker:
            body.extend(
                f'<circle cx="{_px(x):.1f}" cy="{_py(y, y_max):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(line.label)}: {escape(f'{y:.3g}')}</title></circle>"
                for x, y in line.points
            )
    body.extend(_legend([s.label for s in series]))
    return Markup(
        f'<svg class="diagram line-chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {W} {H + 14 * ((len(series) - 1) // 3)}" width="{W}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _date_x(start: date, end: date) -> tuple[int, int]:
    return start.toordinal(), max(1, (end - start).days)


def probability_lines(
    title: str,
    lines: Sequence[tuple[str, Sequence[tuple[date, float]]]],
    start: date,
    end: date,
    resolved: tuple[date, str] | None = None,
) -> Markup:
    """Each forecaster's (and baseline's) probability over ``start``..``end``, held until the
    next statement; ``resolved`` marks the resolution (day, label)."""
    origin, span = _date_x(start, end)

    def x_of(day: date) -> float:
        return min(1.0, max(0.0, (day.toordinal() - origin) / span))

    series = [
        Series(label, [(x_of(d), p) for d, p in points], steps=True, marker=len(points) <= 60)
        for label, points in lines
        if points
    ]
    ticks = [(x_of(start), start.isoformat()), (x_of(end), end.isoformat())]
    middle = date.fromordinal(origin + span // 2)
    ticks.insert(1, (x_of(middle), middle.isoformat()))
    rule = (x_of(resolved[0]), resolved[1]) if resolved else None
    return line_chart(title, series, x_ticks=ticks, rule_x=rule)


def scores_by_period(title: str, periods: Sequence[str], lines: Sequence[Series]) -> Markup:
    """Scores (Brier: 0 to 1) by period, one point per period."""
    n = max(1, len(periods) - 1)
    ticks = [(i / n, p) for i, p in enumerate(periods)]
    if len(ticks) > 8:
        step = -(-len(ticks) // 8)
        ticks = ticks[::step]
    highest = max([y for line in lines for _, y in line.points] + [0.25])
    y_max = min(1.0, math.ceil(highest * 4) / 4)
    return line_chart(title, lines, x_ticks=ticks, y_max=y_max, y_label="Brier (lower is better)")


def murphy_chart(
    title: str, thresholds: Sequence[float], curves: Sequence[tuple[str, Sequence[float]]]
) -> Markup:
    """Mean elementary scores against the threshold (Ehm et al. 2016): the lower curve is
    better for every decision maker whose cost ratio is that threshold."""
    top = max([v for _, c in curves for v in c if v == v] + [0.05])
    series = [
        Series(label, [(t, v) for t, v in zip(thresholds, c, strict=True) if v == v], marker=False)
        for label, c in curves
    ]
    ticks = [(t / 10, f"{t / 10:.1f}") for t in range(0, 11, 2)]
    return line_chart(
        title,
        series,
        x_ticks=ticks,
        y_max=math.ceil(top * 1.1 * 25) / 25,  # a multiple of 0.04: its quarters read 0.01, 0.02
        y_label="mean elementary score",
    )
