"""SVG run and control charts: valid XML, the marks a reader needs, escaped user text."""
import xml.etree.ElementTree as ET
from datetime import date, timedelta

from improvement.charts import run_chart_svg
from improvement.effect import Point, measured_effect

SVG = "{http://www.w3.org/2000/svg}"
START = date(2024, 1, 1)
CHANGE = START + timedelta(weeks=6)


def series(values, denominators=None):
    dens = denominators or [None] * len(values)
    return [Point(START + timedelta(weeks=i), v, d) for i, (v, d) in enumerate(zip(values, dens))]


def chart(points, chart_kind="xmr", **kwargs):
    effect = measured_effect(points, CHANGE, direction="higher", chart=chart_kind,
                             target=kwargs.get("target"))
    svg = run_chart_svg(points, effect, CHANGE, **kwargs)
    return svg, ET.fromstring(svg)


def with_class(root, name):
    return [e for e in root.iter() if name in e.get("class", "").split()]


def test_chart_is_an_accessible_svg_image():
    _, root = chart(series([5, 6, 5, 7, 6, 5, 9, 9, 9]), title="CSAT")
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img" and root.get("aria-label") == "CSAT"
    assert root.find(SVG + "title").text == "CSAT"


def test_chart_has_one_circle_per_point():
    points = series([5, 6, 5, 7, 6, 5, 9, 9, 9])
    _, root = chart(points)
    assert len(root.findall(f".//{SVG}circle")) == len(points)


def test_chart_marks_the_change_and_the_target():
    _, root = chart(series([5, 6, 5, 7, 6, 5, 9, 9, 9]), target=8)
    marker = with_class(root, "change-marker")
    assert len(marker) == 1 and marker[0].get("x1") == marker[0].get("x2")
    target = with_class(root, "target")
    assert len(target) == 1 and target[0].get("stroke-dasharray")


def test_xmr_chart_draws_centre_and_two_limits_and_rings_points_outside():
    _, root = chart(series([5, 6, 5, 7, 6, 5, 30, 6]))
    assert len(with_class(root, "centre")) == 1
    assert len(with_class(root, "limit")) == 2
    outside = with_class(root, "outside")
    assert len(outside) == 1 and outside[0].get("fill") == "white"


def test_run_chart_draws_the_baseline_median_without_limits():
    _, root = chart(series([5, 6, 5, 7, 6, 5, 9, 9, 9]), chart_kind="run")
    assert len(with_class(root, "median")) == 1
    assert with_class(root, "limit") == []


def test_p_chart_limits_step_with_the_denominators():
    points = series([10, 10, 10, 10, 10, 10, 5, 50], [100] * 7 + [400])
    _, root = chart(points, chart_kind="p")
    upper = with_class(root, "limit")[1].get("d")
    assert upper.count("V") == len(points)
    assert len({step.split()[0] for step in upper.split("V")[1:]}) == 2   # two limit heights


def test_user_text_is_escaped():
    svg, root = chart(series([1, 2, 3]), title="<script>alert(1)</script>", unit="a&b")
    assert "<script>" not in svg
    assert root.find(SVG + "title").text == "<script>alert(1)</script>"
    assert "a&b" in [e.text for e in root.iter(SVG + "text")]


def test_chart_uses_no_style_or_script():
    svg, root = chart(series([5, 6, 5, 7, 6, 5, 9, 9, 9]), title="t", unit="u", target=8)
    assert all(e.get("style") is None for e in root.iter())
    assert root.find(f".//{SVG}style") is None and root.find(f".//{SVG}script") is None
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_small_chart_is_a_sparkline_without_labels():
    points = series([5, 6, 5, 7, 6, 5, 9, 9, 9])
    _, root = chart(points, small=True, title="CSAT", target=8)
    assert root.get("width") == "160" and "small" in root.get("class")
    assert root.findall(f".//{SVG}text") == []
    assert len(root.findall(f".//{SVG}circle")) == len(points)


def test_no_points_draws_an_empty_chart():
    _, root = chart([], target=1)
    assert root.findall(f".//{SVG}circle") == [] and root.find(f".//{SVG}polyline") is None
    assert len(with_class(root, "change-marker")) == 1


def test_one_point_draws_one_circle_and_no_line():
    _, root = chart(series([3]), small=True)
    assert len(root.findall(f".//{SVG}circle")) == 1
    assert root.find(f".//{SVG}polyline") is None


def test_chart_without_an_effect_still_draws_the_points():
    svg = run_chart_svg(series([1, 2]), None, CHANGE)
    assert len(ET.fromstring(svg).findall(f".//{SVG}circle")) == 2


def test_the_spc_chart_rings_marked_points_greys_those_before_a_rebase_and_escapes_annotations():
    from improvement.annotations import Annotation
    from improvement.charts import spc_chart_svg
    from improvement.spc import read
    points = series([100, 100, 100, 10, 12, 10, 12, 10, 30])
    reading = read(points, "xmr", "higher", since=points[3].when)   # 10,12,10,12,10,30: 30 is outside
    note = Annotation(1, points[4].when, "rebase", "New rota <script>")
    svg = spc_chart_svg(points, reading, title="Hours & more", annotations=[note])
    root = ET.fromstring(svg)
    # from the rebase: mean 14, MR-bar 28 / 5 = 5.6, upper limit 14 + 14.9 = 28.9 < 30; nothing else is marked
    assert len(with_class(root, "outside")) == 1 and len(with_class(root, "earlier")) == 3
    assert len(with_class(root, "rebase-marker")) == 1 and "<script>" not in svg
    assert "New rota &lt;script&gt;" in svg and "Hours &amp; more" in svg


def test_the_funnel_plot_rings_the_units_above_the_limit():
    from improvement.charts import funnel_svg
    from improvement.spc import funnel
    found = funnel([("A", 1, 2), ("B", 30, 100), ("C", 10, 100), ("D", 19, 198)])
    root = ET.fromstring(funnel_svg(found, {"B": "Refunds <b>"}, title="No answers", scale=100, unit="%"))
    assert len(with_class(root, "outside")) == 1 and len(with_class(root, "point")) == 4
    assert len(with_class(root, "limit-3")) == 2 and len(with_class(root, "limit-2")) == 2
