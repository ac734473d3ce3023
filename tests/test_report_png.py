"""The PNG report: its title names the authors, the filter and the date; its n= labels never
overlap, even when two authors' forecasts put two bins' points side by side."""

from __future__ import annotations

from itertools import combinations

from matplotlib.backends.backend_agg import FigureCanvasAgg

from tests.test_report_summary import _card, _data
from tracker.reports._png import draw_figure, render_png


def _two_authors_side_by_side():
    """Ann says 60 %, Bo 61 %: two bins whose points sit 0.01 apart at the same height."""
    p = [0.6, 0.61] * 12 + [0.2] * 8
    y = [1, 1, 0, 0] * 6 + [0] * 8
    return _card(_data(p, y, ["Ann", "Bo"]))


def _label_boxes(fig):
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.canvas.draw()
    labels = [t for t in fig.axes[0].texts if t.get_gid() == "count"]
    return labels, [t.get_window_extent(renderer) for t in labels]


def test_labels_never_overlap_with_two_authors():
    card = _two_authors_side_by_side()
    fig = draw_figure(card)
    labels, boxes = _label_boxes(fig)
    assert sorted(t.get_text() for t in labels) == ["n=12", "n=12", "n=8"]
    overlapping = [(a, b) for a, b in combinations(boxes, 2) if a.overlaps(b)]
    assert overlapping == []
    # the same labels all at the default offset would overlap: the case is a real one
    for label in labels:
        label.set_position((6, 6))
    _, crowded = _label_boxes(fig)
    assert any(a.overlaps(b) for a, b in combinations(crowded, 2))


def test_title_names_authors_filter_and_date():
    card = _two_authors_side_by_side()
    title = draw_figure(card).get_suptitle()
    assert title.startswith("Calibration report: Ann, Bo\n32 forecast(s) scored, as of 2026-01-01")
    assert "baseline score (Metaculus formula)" in title
    ann = _card(_data([0.6] * 12, [1] * 6 + [0] * 6), author="Ann")
    assert draw_figure(ann).get_suptitle().startswith("Calibration report: Ann\n")
    assert render_png(card).startswith(b"\x89PNG\r\n\x1a\n")


def test_crowded_labels_at_the_bottom_stay_inside_the_plot():
    """Two bins 0.05 apart that never came true: the second count goes above, not below the
    axis onto the tick labels, and keeps a gap from the first (no "n=3n=3")."""
    card = _card(_data([0.3] * 3 + [0.35] * 3 + [0.9] * 4, [0] * 6 + [1] * 4))
    fig = draw_figure(card)
    labels, boxes = _label_boxes(fig)
    plot = fig.axes[0].get_window_extent()
    assert sorted(t.get_text() for t in labels) == ["n=3", "n=3", "n=4"]
    for box in boxes:
        assert plot.x0 <= box.x0 and box.x1 <= plot.x1 and plot.y0 <= box.y0 <= box.y1 <= plot.y1
    assert not any(a.padded(2).overlaps(b) for a, b in combinations(boxes, 2))
