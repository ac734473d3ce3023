"""Inline SVG diagrams for the HTML report: hand-drawn for small, legible, self-contained
files.  Every piece of text goes through ``markupsafe.escape``; numbers are formatted here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from markupsafe import Markup, escape

from tracker.scoring import HeadToHead, Scorecard

W, H = 440, 400
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 48


def _x(v: float) -> float:
    return LEFT + v * (W - LEFT - RIGHT)


def _y(v: float) -> float:
    return H - BOTTOM - v * (H - TOP - BOTTOM)


def _svg(label: str, body: Iterable[str], klass: str) -> Markup:
    return Markup(
        f'<svg class="diagram {klass}" role="img" aria-label="{escape(label)}" viewBox="0 0 {W} '
        f'{H}" '
        f'width="{W}" height="{H}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _axes(x_label: str, y_label: str, y_max: float = 1.0, y_fmt: str = "{:.1f}") -> list[str]:
    parts = [
        (
            f'<rect x="{LEFT}" y="{TOP}" width="{W - LEFT - RIGHT}" height="{H - TOP - BOTTOM}" '
            'fill="#fff" stroke="#888"/>'
        )
    ]
    for i in range(11):
        v = i / 10
        parts.append(
            f'<line x1="{_x(v):.1f}" y1="{H - BOTTOM}" x2="{_x(v):.1f}" y2="{H - BOTTOM + 4}" '
            'stroke="#444"/>'
        )
        if i % 2 == 0:
            parts.append(
                f'<text x="{_x(v):.1f}" y="{H - BOTTOM + 17}" text-anchor="middle" '
                f'font-size="11">{v:.1f}</text>'
            )
        parts.append(
            f'<line x1="{LEFT - 4}" y1="{_y(v):.1f}" x2="{LEFT}" y2="{_y(v):.1f}" stroke="#444"/>'
        )
        if i % 2 == 0:
            parts.append(
                f'<text x="{LEFT - 7}" y="{_y(v) + 4:.1f}" text-anchor="end" font-size="11">'
                f"{escape(y_fmt.format(v * y_max))}</text>"
            )
    parts.append(
        f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 10}" text-anchor="middle" font-size="12">'
        f"{escape(x_label)}</text>"
    )
    parts.append(
        f'<text transform="translate(14,{(TOP + H - BOTTOM) / 2}) rotate(-90)" '
        'text-anchor="middle" '
        f'font-size="12">{escape(y_label)}</text>'
    )
    return parts


def _diagonal() -> str:
    return (
        f'<line x1="{_x(0)}" y1="{_y(0)}" x2="{_x(1)}" y2="{_y(1)}" stroke="#999" '
        'stroke-dasharray="4 3"><title>perfect calibration</title></line>'
    )


def reliability_diagram(card: Scorecard, bin_links: Sequence[str] | None = None) -> Markup:
    """Binned reliability diagram: observed frequency against mean forecast, Wilson 95%
    bars, and each bin's count written beside its point.  ``bin_links[k]``: where bin k's
    point leads (the web's list of its forecasts); none in a report file."""
    parts = _axes("mean forecast in bin", "observed frequency")
    parts.append(_diagonal())
    for k, row in enumerate(card.calibration):
        point = row.point()
        if point is None:
            continue
        x, lo, hi = _x(point.mean_forecast), _y(point.wilson_low), _y(point.wilson_high)
        tip = (
            f"{row.label}: {row.count} forecast(s), mean forecast {point.mean_forecast:.3f}, "
            f"observed {point.observed:.3f} "
            f"(Wilson 95% {point.wilson_low:.3f}-{point.wilson_high:.3f})"
        )
        point_svg = (
            f'<g class="bin"><title>{escape(tip)}</title>'
            f'<line class="wilson" x1="{x:.1f}" y1="{lo:.1f}" x2="{x:.1f}" y2="{hi:.1f}" '
            'stroke="#1f5fa8" stroke-width="1.5"/>'
            f'<line x1="{x - 4:.1f}" y1="{lo:.1f}" x2="{x + 4:.1f}" y2="{lo:.1f}" '
            'stroke="#1f5fa8"/>'
            f'<line x1="{x - 4:.1f}" y1="{hi:.1f}" x2="{x + 4:.1f}" y2="{hi:.1f}" '
            'stroke="#1f5fa8"/>'
            f'<circle cx="{x:.1f}" cy="{_y(point.observed):.1f}" r="4.5" fill="#1f5fa8"/>'
            f'<text class="count" x="{x + 7:.1f}" y="{_y(point.observed) - 6:.1f}" font-size="11" '
            f'fill="#333">n={row.count}</text></g>'
        )
        if bin_links:
            point_svg = f'<a class="bin-link" href="{escape(bin_links[k])}">{point_svg}</a>'
        parts.append(point_svg)
    return _svg(
        "Reliability diagram (binned, Wilson 95% intervals, bin counts)", parts, "reliability"
    )


def corp_diagram(card: Scorecard) -> Markup:
    """CORP reliability diagram: the PAV-recalibrated curve (a step function) inside the
    consistency band of a calibrated forecaster."""
    c = card.corp
    parts = _axes("forecast", "recalibrated probability (PAV)")
    parts.append(_diagonal())
    if len(c.x):
        band_ok = c.resamples > 0
        if band_ok:
            upper = _steps(c.x, c.band_high)
            lower = _steps(c.x, c.band_low)[::-1]
            points = " ".join(f"{_x(a):.1f},{_y(b):.1f}" for a, b in upper + lower)
            parts.append(
                f'<polygon class="band" points="{points}" fill="#f4a261" fill-opacity="0.35" '
                f'stroke="none"><title>{int(c.band_level * 100)}% consistency band '
                f"({c.resamples} calibrated redraws)</title></polygon>"
            )
        curve = " ".join(f"{_x(a):.1f},{_y(b):.1f}" for a, b in _steps(c.x, c.recalibrated))
        parts.append(
            f'<polyline class="corp" points="{curve}" fill="none" stroke="#c0392b" '
            'stroke-width="2">'
            "<title>CORP recalibrated forecast</title></polyline>"
        )
        for a, b in zip(c.x if len(c.x) <= 60 else [], c.recalibrated, strict=False):
            parts.append(f'<circle cx="{_x(a):.1f}" cy="{_y(b):.1f}" r="3" fill="#c0392b"/>')
    return _svg("CORP reliability diagram with consistency band", parts, "corp")


def _steps(x: np.ndarray, v: np.ndarray) -> list[tuple[float, float]]:
    """A right-continuous step function through (x_i, v_i), drawn to the last x."""
    points: list[tuple[float, float]] = []
    for i, (a, b) in enumerate(zip(x, v, strict=True)):
        if i:
            points.append((float(a), float(v[i - 1])))
        points.append((float(a), float(b)))
    return points


def sharpness_histogram(card: Scorecard) -> Markup:
    """How many forecasts fall in each probability bin."""
    counts = card.sharpness["histogram"]
    top = max(5, -(-max(counts, default=0) // 5) * 5)  # a multiple of 5: whole-number ticks
    parts = _axes("forecast", "forecasts", y_max=top, y_fmt="{:.0f}")
    width = 1 / len(counts)
    for k, count in enumerate(counts):
        x0, x1 = _x(k * width), _x((k + 1) * width)
        y = _y(count / top)
        parts.append(
            f'<rect class="bar" x="{x0 + 2:.1f}" y="{y:.1f}" width="{x1 - x0 - 4:.1f}" '
            f'height="{_y(0) - y:.1f}" fill="#2a9d8f"><title>{count} forecast(s)</title></rect>'
        )
        if count:
            parts.append(
                f'<text x="{(x0 + x1) / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                'font-size="11">'
                f"{count}</text>"
            )
    return _svg("Sharpness: histogram of forecasts", parts, "sharpness")


_CURVES = (("#1f5fa8", ""), ("#c0392b", "6 3"))  # colour and dash: legible in greyscale too
#: the Murphy diagram's label steps (its top is five of them); no curve exceeds 1
_STEPS = (0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2)


def head_to_head_diagram(duel: HeadToHead) -> Markup:
    """The Murphy diagram of a head to head (Ehm et al. 2016): each forecaster's mean
    elementary score against the threshold on their common questions; the lower curve is
    better for a decision maker with that cost ratio, and a curve nowhere above the other
    wins under every proper scoring rule.  The legend sits in the top margin."""
    values = [float(v) for v in (*duel.murphy_a, *duel.murphy_b) if v == v]
    highest = max(values, default=0.0) * 1.05
    step = next((s for s in _STEPS if 5 * s >= highest), _STEPS[-1])
    top = 5 * step  # the axis labels every fifth of it: round numbers
    parts = _axes("threshold θ (cost ratio)", "mean elementary score", y_max=top, y_fmt="{:.2f}")
    for k, (name, curve) in enumerate(((duel.a, duel.murphy_a), (duel.b, duel.murphy_b))):
        colour, dash = _CURVES[k]
        points = " ".join(
            f"{_x(float(t)):.1f},{_y(float(v) / top):.1f}"
            for t, v in zip(duel.thresholds, curve, strict=True)
            if v == v
        )
        parts.append(
            f'<polyline class="murphy-{"ab"[k]}" points="{points}" fill="none" '
            f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}">'
            f"<title>{escape(name)}</title></polyline>"
        )
        x = LEFT + k * (W - LEFT - RIGHT) / 2
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP - 12}" x2="{x + 22:.1f}" y2="{TOP - 12}" '
            f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
            f'<text x="{x + 26:.1f}" y="{TOP - 8}" font-size="11">{escape(_short(name))}</text>'
        )
    return _svg(f"Murphy diagram: {duel.a} and {duel.b}", parts, "murphy")


def _short(name: str, limit: int = 26) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
