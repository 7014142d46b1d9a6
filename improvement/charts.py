"""Server-rendered SVG charts of a KPI around a change: no script, no style, printable.

The site's CSP allows no inline script and no inline style, so every look is an SVG
presentation attribute (stroke, fill, stroke-dasharray, font-size) and a class name a stylesheet
may refine. Lines differ by dash pattern, not only by colour, so a black-and-white print still
tells them apart: data solid, centre or median long dashes, limits short dashes, target dash-dot,
the change a solid grey vertical line. Points outside the baseline limits are drawn as larger
open rings. Every user text (title, unit) is XML-escaped.
"""
from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape, quoteattr

from improvement.effect import Effect, Point

FULL = (640, 320, (28, 44, 40, 64))      # width, height, margins (top, right, bottom, left)
SMALL = (160, 40, (4, 4, 4, 4))
DASH_CENTRE, DASH_LIMIT, DASH_TARGET = "8 4", "2 3", "10 3 2 3"
DASH_WARNING = "4 2"   # a funnel's 2-sigma limits


class _Frame:
    """Maps dates and values to SVG coordinates inside the plot area."""

    def __init__(self, size, dates: list[date], values: list[float]):
        self.width, self.height, (top, right, bottom, left) = size
        self.left, self.right = left, self.width - right
        self.top, self.bottom = top, self.height - bottom
        self.first, self.last = min(dates), max(dates)
        self.low, self.high = _padded(values)

    def x(self, when: date) -> float:
        span = (self.last - self.first).days
        if span == 0:
            return (self.left + self.right) / 2
        return self.left + (when - self.first).days / span * (self.right - self.left)

    def y(self, value: float) -> float:
        return self.bottom - (value - self.low) / (self.high - self.low) * (self.bottom - self.top)


def run_chart_svg(points: Sequence[Point], effect: Effect | None, change_date: date, *,
                  target: float | None = None, title: str = "", unit: str = "",
                  small: bool = False, annotations: Sequence = ()) -> str:
    """A self-contained <svg> of the points, the baseline centre or limits, target and change; each of
    `annotations` (number, when, text) is a numbered mark at its date, the text its tooltip."""
    ordered = sorted(points, key=lambda p: p.when)
    limits = effect.limits if effect else None
    centre = _centre(effect)
    values = [p.plotted for p in ordered] + [v for v in (centre, target) if v is not None]
    if limits:
        values += [bound for p in ordered for bound in limits.bounds(p)]
    frame = _Frame(SMALL if small else FULL, [p.when for p in ordered] + [change_date], values)
    parts = _opening(frame, title or "Run chart", small)
    if not small:
        parts += _axes(frame, title, unit)
    parts += _annotation_marks(frame, annotations, small)
    parts.append(_vertical(frame, frame.x(change_date), "change-marker"))
    if centre is not None:
        kind = "centre" if limits else "median"
        parts.append(_horizontal(frame, frame.y(centre), kind, DASH_CENTRE))
    if limits and ordered:
        for index in (0, 1):
            d = _stepped(frame, ordered, lambda p, i=index: limits.bounds(p)[i])
            parts.append(f'<path class="limit" d="{d}" fill="none" stroke="black" '
                         f'stroke-width="1" stroke-dasharray="{DASH_LIMIT}"/>')
    if target is not None:
        parts.append(_horizontal(frame, frame.y(target), "target", DASH_TARGET))
    if not small:
        parts += _labels(frame, change_date, target)
    parts += _data(frame, ordered, effect, unit, small)
    parts.append("</svg>")
    return "\n".join(parts)


def _opening(frame: _Frame, label: str, small: bool, kind: str = "run-chart") -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{frame.width}" '
            f'height="{frame.height}" viewBox="0 0 {frame.width} {frame.height}" role="img" '
            f'aria-label={quoteattr(label)} class="{kind}{" small" if small else ""}" '
            f'font-family="sans-serif" font-size="11">',
            f"<title>{escape(label)}</title>"]


def _annotation_marks(frame: _Frame, annotations: Sequence, small: bool) -> list[str]:
    """A dotted vertical line per annotation inside the chart's dates, its number on top, its text the tooltip."""
    parts = []
    for note in annotations:
        if not frame.first <= note.when <= frame.last:
            continue
        x = frame.x(note.when)
        parts.append(f'<g class="annotation {escape(note.kind)}"><title>{note.number}. '
                     f'{escape(note.when.isoformat())}: {escape(note.text)}</title>'
                     f'<line x1="{x:.1f}" y1="{frame.top}" x2="{x:.1f}" y2="{frame.bottom}" stroke="#777" '
                     f'stroke-width="1" stroke-dasharray="1 2"/>')
        if not small:
            parts.append(f'<text x="{x:.1f}" y="{frame.top - 3}" text-anchor="middle" font-size="9">'
                         f'{note.number}</text>')
        parts.append("</g>")
    return parts


def spc_chart_svg(points: Sequence[Point], reading, *, target: float | None = None, title: str = "",
                  unit: str = "", small: bool = False, annotations: Sequence = ()) -> str:
    """A metric's control chart the Making Data Count way (`reading` is improvement.spc's): the points,
    those before a rebase in grey, the centre and limits from the rebase date on, the points some rule marks
    as larger open rings, the target, and the numbered annotations."""
    ordered = sorted(points, key=lambda p: p.when)
    limits, read_points = reading.limits, list(reading.points)
    values = [p.plotted for p in ordered] + ([target] if target is not None else [])
    if limits:
        values += [limits.centre] + [bound for p in read_points for bound in limits.bounds(p)]
    frame = _Frame(SMALL if small else FULL, [p.when for p in ordered] + [a.when for a in annotations], values)
    parts = _opening(frame, title or "Control chart", small, "spc-chart")
    if not small:
        parts += _axes(frame, title, unit)
    parts += _annotation_marks(frame, annotations, small)
    start = frame.left
    if reading.since and read_points and reading.since > ordered[0].when:   # a rebase inside the chart's dates
        start = frame.x(read_points[0].when)
        parts.append(_vertical(frame, start, "rebase-marker"))
    if limits and read_points:
        parts.append(f'<line class="centre" x1="{start:.1f}" y1="{frame.y(limits.centre):.1f}" x2="{frame.right}" '
                     f'y2="{frame.y(limits.centre):.1f}" stroke="black" stroke-width="1" '
                     f'stroke-dasharray="{DASH_CENTRE}"/>')
        for index in (0, 1):
            d = _stepped(frame, read_points, lambda p, i=index: limits.bounds(p)[i], start)
            parts.append(f'<path class="limit" d="{d}" fill="none" stroke="black" '
                         f'stroke-width="1" stroke-dasharray="{DASH_LIMIT}"/>')
    if target is not None:
        parts.append(_horizontal(frame, frame.y(target), "target", DASH_TARGET))
        if not small:
            parts.append(f'<text class="target-label" x="{frame.right}" y="{frame.y(target) - 3:.1f}" '
                         f'text-anchor="end">target</text>')
    marked = {read_points[i] for i in reading.marked()}
    before = {p for p in ordered if reading.since and p.when < reading.since}
    parts += _plotted(frame, ordered, marked, unit, small, before)
    parts.append("</svg>")
    return "\n".join(parts)


def _centre(effect: Effect | None) -> float | None:
    if effect is None:
        return None
    return effect.limits.centre if effect.limits else effect.baseline.median


def _padded(values: list[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    pad = (high - low) * 0.05
    return low - pad, high + pad


def _axes(frame: _Frame, title: str, unit: str) -> list[str]:
    parts = [f'<path class="axis" d="M{frame.left},{frame.top} V{frame.bottom} H{frame.right}" '
             f'fill="none" stroke="black" stroke-width="1"/>']
    for value in _value_ticks(frame.low, frame.high):
        y = frame.y(value)
        parts += _tick((frame.left - 4, y, frame.left, y), (frame.left - 6, y + 4), "end",
                       f"{value:g}")
    for when in _date_ticks(frame.first, frame.last):
        x = frame.x(when)
        parts += _tick((x, frame.bottom, x, frame.bottom + 4), (x, frame.bottom + 16), "middle",
                       when.isoformat())
    if title:
        parts.append(f'<text class="chart-title" x="{frame.left}" y="16" font-size="13" '
                     f'font-weight="bold">{escape(title)}</text>')
    if unit:
        middle = (frame.top + frame.bottom) / 2
        parts.append(f'<text class="unit" x="14" y="{middle:.1f}" text-anchor="middle" '
                     f'transform="rotate(-90 14 {middle:.1f})">{escape(unit)}</text>')
    return parts


def _tick(line: tuple[float, ...], at: tuple[float, float], anchor: str, label: str) -> list[str]:
    x1, y1, x2, y2 = line
    return [f'<line class="tick" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="black"/>',
            f'<text x="{at[0]:.1f}" y="{at[1]:.1f}" text-anchor="{anchor}">{escape(label)}</text>']


def _labels(frame: _Frame, change_date: date, target: float | None) -> list[str]:
    parts = [f'<text class="change-label" x="{frame.x(change_date) + 3:.1f}" '
             f'y="{frame.top + 10}" fill="#555">change</text>']
    if target is not None:
        parts.append(f'<text class="target-label" x="{frame.right}" '
                     f'y="{frame.y(target) - 3:.1f}" text-anchor="end">target</text>')
    return parts


def _data(frame: _Frame, ordered: list[Point], effect: Effect | None, unit: str,
          small: bool) -> list[str]:
    return _plotted(frame, ordered, {o.point for o in effect.points_outside} if effect else set(), unit, small)


def _plotted(frame: _Frame, ordered: list[Point], outside: set, unit: str, small: bool,
             greyed: set = frozenset()) -> list[str]:
    """The line and the points; points in `outside` as larger open rings, those in `greyed` grey."""
    coords = [(frame.x(p.when), frame.y(p.plotted)) for p in ordered]
    parts = []
    if len(coords) >= 2:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline class="data" points="{line}" fill="none" stroke="black" '
                     f'stroke-width="{1 if small else 1.5}"/>')
    for p, (x, y) in zip(ordered, coords):
        tip = escape(f"{p.when.isoformat()}: {p.plotted:.4g} {unit}".rstrip())
        if p in outside:
            look = f'class="point outside" r="{2.5 if small else 4.5}" fill="white" stroke-width="2"'
        elif p in greyed:
            look = f'class="point earlier" r="{1.5 if small else 3}" fill="#999" stroke-width="1"'
        else:
            look = f'class="point" r="{1.5 if small else 3}" fill="black" stroke-width="1"'
        parts.append(f'<circle {look} cx="{x:.1f}" cy="{y:.1f}" stroke="{"#999" if p in greyed else "black"}">'
                     f'<title>{tip}</title></circle>')
    return parts


def _horizontal(frame: _Frame, y: float, kind: str, dash: str) -> str:
    return (f'<line class="{kind}" x1="{frame.left}" y1="{y:.1f}" x2="{frame.right}" '
            f'y2="{y:.1f}" stroke="black" stroke-width="1" stroke-dasharray="{dash}"/>')


def _vertical(frame: _Frame, x: float, kind: str) -> str:
    return (f'<line class="{kind}" x1="{x:.1f}" y1="{frame.top}" x2="{x:.1f}" '
            f'y2="{frame.bottom}" stroke="#555" stroke-width="1.5"/>')


def _stepped(frame: _Frame, ordered: list[Point], bound, start: float | None = None) -> str:
    """A stepped path from `start` (the left edge): each point's limit held from halfway to its neighbours."""
    xs = [frame.x(p.when) for p in ordered]
    edges = [frame.left if start is None else start] + [(a + b) / 2 for a, b in zip(xs, xs[1:])] + [frame.right]
    steps = [f"M{edges[0]:.1f},{frame.y(bound(ordered[0])):.1f}"]
    for i, p in enumerate(ordered):
        steps.append(f"V{frame.y(bound(p)):.1f} H{edges[i + 1]:.1f}")
    return " ".join(steps)


def _value_ticks(low: float, high: float, wanted: int = 5) -> list[float]:
    raw = (high - low) / wanted
    if not raw >= sys.float_info.min:  # a range too narrow for labels (values like 1e-320): none
        return []
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step)
    return [round(k * step, 10) for k in range(first, math.floor(high / step) + 1)]


def _date_ticks(first: date, last: date, wanted: int = 4) -> list[date]:
    span = (last - first).days
    if span == 0:
        return [first]
    return sorted({date.fromordinal(first.toordinal() + round(k * span / (wanted - 1)))
                   for k in range(wanted)})


def funnel_svg(funnel, names: dict, *, title: str = "", scale: float = 1.0, unit: str = "",
               size_label: str = "") -> str:
    """A funnel plot (`funnel` is improvement.spc's): each unit's rate (times `scale`) against its size, the
    pooled centre, the 2-sigma limits (long dashes) and the 3-sigma limits (short dashes) as curves; units
    above the upper limit as larger open rings. `names` maps a unit's key to the name in its tooltip."""
    width, height, (top, right, bottom, left) = FULL
    largest = max(u.size for u in funnel.units)
    smallest = min(1.0, min(u.size for u in funnel.units))    # the curves open from one answer (or view) on
    sizes = sorted({smallest * (largest / smallest) ** (k / 80) for k in range(81)} | {u.size for u in funnel.units})
    curves = {(sigmas, index): [funnel.bounds(size, sigmas)[index] * scale for size in sizes]
              for sigmas in (2, 3) for index in (0, 1)}
    values = [u.rate * scale for u in funnel.units] + [funnel.centre * scale]
    values += [v for curve in curves.values() for v in curve if v <= 2 * max(values)]
    low, high = _padded(values)

    def x(size: float) -> float:
        return left + (size / largest if largest else 0) * (width - right - left)

    def y(value: float) -> float:
        return max(top, height - bottom - (value - low) / (high - low) * (height - bottom - top))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr(title or "Funnel plot")} '
             f'class="funnel-chart" font-family="sans-serif" font-size="11">',
             f"<title>{escape(title or 'Funnel plot')}</title>",
             f'<path class="axis" d="M{left},{top} V{height - bottom} H{width - right}" fill="none" '
             f'stroke="black" stroke-width="1"/>']
    for value in _value_ticks(low, high):
        parts += _tick((left - 4, y(value), left, y(value)), (left - 6, y(value) + 4), "end", f"{value:g}")
    for size in _value_ticks(0, largest):
        if size >= 0:
            parts += _tick((x(size), height - bottom, x(size), height - bottom + 4),
                           (x(size), height - bottom + 16), "middle", f"{size:g}")
    if title:
        parts.append(f'<text class="chart-title" x="{left}" y="16" font-size="13" font-weight="bold">'
                     f'{escape(title)}</text>')
    if size_label:
        parts.append(f'<text class="unit" x="{(left + width - right) / 2:.1f}" y="{height - 8}" '
                     f'text-anchor="middle">{escape(size_label)}</text>')
    if unit:
        middle = (top + height - bottom) / 2
        parts.append(f'<text class="unit" x="14" y="{middle:.1f}" text-anchor="middle" '
                     f'transform="rotate(-90 14 {middle:.1f})">{escape(unit)}</text>')
    parts.append(f'<line class="centre" x1="{left}" y1="{y(funnel.centre * scale):.1f}" x2="{width - right}" '
                 f'y2="{y(funnel.centre * scale):.1f}" stroke="black" stroke-width="1" '
                 f'stroke-dasharray="{DASH_CENTRE}"/>')
    for (sigmas, _index), curve in curves.items():
        line = " ".join(f"{x(size):.1f},{y(value):.1f}" for size, value in zip(sizes, curve))
        parts.append(f'<polyline class="limit limit-{sigmas}" points="{line}" fill="none" stroke="black" '
                     f'stroke-width="1" stroke-dasharray="{DASH_LIMIT if sigmas == 3 else DASH_WARNING}"/>')
    for unit_ in funnel.units:
        tip = escape(f"{names.get(unit_.key, unit_.key)}: {unit_.rate * scale:.3g} ({unit_.events:g} / "
                     f"{unit_.size:g})")
        if unit_.outcome == "above":
            look = 'class="point outside" r="5" fill="white" stroke-width="2"'
        else:
            look = 'class="point" r="3" fill="black" stroke-width="1"'
        parts.append(f'<circle {look} cx="{x(unit_.size):.1f}" cy="{y(unit_.rate * scale):.1f}" stroke="black">'
                     f'<title>{tip}</title></circle>')
    parts.append("</svg>")
    return "\n".join(parts)
