"""Small inline SVG charts, drawn from numbers only (no text from users goes into geometry)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tracker.models import ProbabilityUpdate

WIDTH, HEIGHT = 360, 120
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 8, 20


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class StepChart:
    """A step line of a probability over time, in SVG user units."""

    width: int
    height: int
    path: str
    points: list[ChartPoint]
    gridlines: list[tuple[float, str]]  # (y, label)
    x_labels: list[tuple[float, str]]  # (x, label)
    plot_left: int
    plot_right: int


def probability_chart(
    updates: Sequence[ProbabilityUpdate], opens: date, closes: date
) -> StepChart | None:
    """The probability history from ``opens`` to ``closes`` (or the last update, if later)."""
    if not updates:
        return None
    start = min(opens, updates[0].as_of)
    end = max(closes, updates[-1].as_of)
    span = max((end - start).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(day: date) -> float:
        return round(LEFT + plot_w * (day - start).days / span, 1)

    def y_of(p: float) -> float:
        return round(TOP + plot_h * (1 - p), 1)

    points = [
        ChartPoint(
            x_of(u.as_of), y_of(u.probability), f"{u.as_of.isoformat()}: {u.probability:.0%}"
        )
        for u in updates
    ]
    path = f"M{points[0].x},{points[0].y}"
    for point in points[1:]:
        path += f" H{point.x} V{point.y}"
    path += f" H{x_of(end)}"
    return StepChart(
        width=WIDTH,
        height=HEIGHT,
        path=path,
        points=points,
        gridlines=[(y_of(p), f"{p:.0%}") for p in (0.0, 0.5, 1.0)],
        x_labels=[(x_of(start), start.isoformat()), (x_of(end), end.isoformat())],
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
    )
