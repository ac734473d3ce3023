"""The PNG report: the diagrams of the HTML report drawn by matplotlib (Agg, no display)."""

from __future__ import annotations

import io
import threading

import matplotlib

matplotlib.use("Agg")  # before pyplot: never look for a display
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure
from matplotlib.text import Annotation
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

from tracker.reports._summary import subject
from tracker.scoring import TETLOCK_LABEL, CalibrationRow, Scorecard

#: matplotlib's state (pyplot's figure registry, font caches) is not made for concurrent
#: drawing: one PNG at a time per process (the web app's threads draw them on request)
_DRAWING = threading.Lock()


def render_png(card: Scorecard) -> bytes:
    with _DRAWING:
        fig = draw_figure(card)
        out = io.BytesIO()
        fig.savefig(out, format="png")
        plt.close("all")
        return out.getvalue()


def draw_figure(card: Scorecard) -> Figure:
    """The report's four diagrams under a title naming the author(s), filter and date."""
    fig = Figure(figsize=(12, 10), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    (rel, corp), (sharp, sens) = fig.subplots(2, 2)
    labels = _reliability(rel, card)
    _corp(corp, card)
    _sharpness(sharp, card)
    _sensitivity(sens, card)
    fig.suptitle(png_title(card))
    separate_labels(fig, labels)
    return fig


def png_title(card: Scorecard) -> str:
    """Who (the author or authors), the filter and the date, then the headline scores."""
    s = card.summary
    lines = [f"Calibration report: {subject(card)}"]
    scores = f"{s.count} forecast(s) scored, as of {card.filters.day().isoformat()}"
    if s.count:
        scores += (
            f" · Brier {s.brier:.3f} · {TETLOCK_LABEL} {s.brier_tetlock:.3f}"
            f" · baseline score (Metaculus formula) {s.metaculus_baseline:.1f}"
        )
    return "\n".join([*lines, scores])


def _square(ax: Axes, xlabel: str, ylabel: str) -> None:
    ax.plot([0, 1], [0, 1], ls="--", color="#999", lw=1, label="perfect calibration")
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.08), xlabel=xlabel, ylabel=ylabel)


def _reliability(ax: Axes, card: Scorecard) -> list[Annotation]:
    """The binned reliability diagram; returns its ``n=`` labels, placed once the figure is
    laid out (:func:`separate_labels`)."""
    _square(ax, "mean forecast in bin", "observed frequency")
    rows = [point for point in map(CalibrationRow.point, card.calibration) if point is not None]
    labels: list[Annotation] = []
    if rows:
        x = np.array([r.mean_forecast for r in rows])
        obs = np.array([r.observed for r in rows])
        err = np.array(
            [
                [r.observed - r.wilson_low for r in rows],
                [r.wilson_high - r.observed for r in rows],
            ]
        )
        err = np.maximum(err, 0.0)  # rounding must not make a bar negative
        ax.errorbar(x, obs, yerr=err, fmt="o", color="#1f5fa8", capsize=3, label="bin (Wilson 95%)")
        labels = [
            ax.annotate(
                f"n={r.forecasts}",
                (xi, oi),
                textcoords="offset points",
                xytext=(6, 6),
                fontsize=8,
                gid="count",
                in_layout=False,
            )
            for xi, oi, r in zip(x, obs, rows, strict=True)
        ]
    ax.set_title("Reliability diagram (binned)")
    ax.legend(loc="upper left", fontsize=8)
    return labels


#: vertical offsets (points) tried in turn for a label that would overlap one already placed:
#: above its point first, then below
_LABEL_OFFSETS = (6, 18, 30, 42, -14, -26, -38)
#: the gap (pixels) kept around a label, so two counts never read as one ("n=3n=3")
_LABEL_GAP = 3


def separate_labels(fig: Figure | SubFigure, labels: list[Annotation]) -> None:
    """Move each label, left to right, to the first offset where its box (measured by the
    renderer, with a small gap) stays inside its plot and overlaps no label already placed
    (failing that, the first offset clear of the other labels); the count stays next to its
    point."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig.figure)
    canvas.draw()  # type: ignore[no-untyped-call]  # lays the figure out: final boxes
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
    placed: list[Bbox] = []
    for label in sorted(labels, key=lambda a: a.xy[0]):
        plot = label.axes.get_window_extent(renderer) if label.axes else None
        boxes = {dy: _box_at(label, dy, renderer) for dy in _LABEL_OFFSETS}
        clear = [dy for dy, box in boxes.items() if not any(box.overlaps(o) for o in placed)]
        inside = [dy for dy in clear if plot is None or _contains(plot, boxes[dy])]
        best = (inside or clear or list(_LABEL_OFFSETS))[0]
        label.set_position((6, best))
        placed.append(boxes[best])


def _box_at(label: Annotation, dy: float, renderer: RendererBase) -> Bbox:
    """The label's box, gap included, when drawn ``dy`` points above its point."""
    label.set_position((6, dy))
    return label.get_window_extent(renderer).padded(_LABEL_GAP)


def _contains(outer: Bbox, inner: Bbox) -> bool:
    return bool(
        outer.x0 <= inner.x0
        and inner.x1 <= outer.x1
        and outer.y0 <= inner.y0
        and inner.y1 <= outer.y1
    )


def _corp(ax: Axes, card: Scorecard) -> None:
    _square(ax, "forecast", "recalibrated probability (PAV)")
    c = card.corp
    if len(c.x):
        if c.resamples:
            ax.fill_between(
                c.x,
                c.band_low,
                c.band_high,
                step="post",
                color="#f4a261",
                alpha=0.35,
                label=f"{c.band_level:.0%} consistency band",
            )
        ax.step(c.x, c.recalibrated, where="post", color="#c0392b", lw=2, label="CORP recalibrated")
    ax.set_title(
        f"CORP: MCB {c.miscalibration:.4f}, DSC {c.discrimination:.4f}, UNC {c.uncertainty:.4f}"
        if len(c.x)
        else "CORP reliability diagram"
    )
    ax.legend(loc="upper left", fontsize=8)


def _sharpness(ax: Axes, card: Scorecard) -> None:
    counts = card.sharpness["histogram"]
    width = 1 / len(counts)
    ax.bar(np.arange(len(counts)) * width, counts, width=width * 0.9, align="edge", color="#2a9d8f")
    ax.set(xlim=(0, 1), xlabel="forecast", ylabel="forecasts", title="Sharpness")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _sensitivity(ax: Axes, card: Scorecard) -> None:
    rows = [r for r in card.sensitivity if r.brier is not None]
    ax.set_title("Brier score under each reading of the words")
    if not rows:
        ax.text(0.5, 0.5, "no scale sensitivity", ha="center", va="center")
        ax.set_axis_off()
        return
    names = [f"{r.scale} ({r.re_read})" if r.re_read else r.scale for r in rows]
    ax.barh(names, [r.brier or 0.0 for r in rows], color="#6c5ce7")  # None was filtered out
    ax.invert_yaxis()
    ax.set_xlabel("Brier (0–1); in brackets: forecasts re-read")
