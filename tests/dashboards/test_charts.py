"""dashboards/charts.py: values on the chart, the table behind it, empty and zero data."""

import re
from datetime import date

import pytest
from django.template.loader import render_to_string

from dashboards.charts import bar_chart, fmt, grouped_bar_chart, time_series_chart


def test_bar_chart_prints_each_value_and_keeps_the_table():
    chart = bar_chart(title="Coverage", rows=[("Mazowieckie", 50), ("Łódzkie", 12.5)], unit="%")
    assert chart.header == ["Item", "Value (%)"]
    assert chart.rows == [["Mazowieckie", 50], ["Łódzkie", 12.5]]
    svg = str(chart.svg)
    assert 'role="img"' in svg and "aria-labelledby" in svg
    assert ">50%</text>" in svg and ">12.5%</text>" in svg
    assert "style=" not in svg
    # The longest bar fills the plot (640 - 210 - 90 = 340), the other one a quarter of it.
    assert 'width="340.0"' in svg and 'width="85.0"' in svg
    assert chart.summary == (
        "Coverage: 2 items, highest Mazowieckie (50%), lowest Łódzkie (12.5%)."
    )


def test_bar_chart_with_zero_maximum_draws_empty_bars():
    chart = bar_chart(title="Clubs", rows=[("A", 0), ("B", 0)])
    svg = str(chart.svg)
    assert 'width="0.0"' in svg and ">0</text>" in svg
    assert "nan" not in svg.lower() and "inf" not in svg.lower()


def test_empty_charts_have_no_svg_and_say_so():
    for chart in (
        bar_chart(title="Nothing", rows=[]),
        grouped_bar_chart(title="Nothing", categories=[], series=[]),
        time_series_chart(title="Nothing", months=[], series=[("Issued", [])]),
    ):
        assert chart.empty and str(chart.svg) == "" and chart.rows == []
        html = render_to_string("dashboards/includes/chart.html", {"chart": chart})
        assert "No data yet." in html and "<svg" not in html


def test_labels_are_escaped():
    chart = bar_chart(title="<b>T</b>", rows=[('<script>alert("x")</script>', 3)])
    svg = str(chart.svg)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<b>" not in svg and "&lt;b&gt;T&lt;/b&gt;" in svg
    html = render_to_string("dashboards/includes/chart.html", {"chart": chart})
    assert "<script>" not in html and "<b>T</b>" not in html


def test_grouped_bars_have_a_pattern_per_series_and_a_legend():
    chart = grouped_bar_chart(
        title="Certified per pillar",
        categories=["Pillar 1", "Pillar 2"],
        series=[("Valid", [3, 0]), ("Ever", [5, 2])],
    )
    svg = str(chart.svg)
    assert chart.header == ["Item", "Valid", "Ever"]
    assert chart.rows == [["Pillar 1", 3, 5], ["Pillar 2", 0, 2]]
    # Series 0 is solid (a class), series 1 hatched (a pattern defined in this SVG).
    assert "chart-s0" in svg and "chart-s1" in svg
    assert f'<pattern id="{chart.id}-p1"' in svg and f'fill="url(#{chart.id}-p1)"' in svg
    assert ">Valid</text>" in svg and ">Ever</text>" in svg  # the legend in words
    for value in (">3</text>", ">5</text>", ">0</text>", ">2</text>"):
        assert value in svg


def test_stacked_bars_print_the_totals():
    chart = grouped_bar_chart(
        title="Clubs by status",
        categories=["Mazowieckie"],
        series=[("Active", [30]), ("Proposed", [10])],
        stacked=True,
    )
    assert chart.header == ["Item", "Active", "Proposed", "Total"]
    assert chart.rows == [["Mazowieckie", 30, 10, 40]]
    svg = str(chart.svg)
    assert ">40</text>" in svg and ">30</text>" in svg and ">10</text>" in svg


def test_time_series_marks_series_by_shape_and_prints_values():
    months = [date(2026, m, 1) for m in (1, 2, 3)]
    chart = time_series_chart(
        title="Per month", months=months, series=[("Issued", [4, 0, 7]), ("Sessions", [1, 2, 3])]
    )
    svg = str(chart.svg)
    assert chart.header == ["Month", "Issued", "Sessions"]
    assert chart.rows == [["2026-01", 4, 1], ["2026-02", 0, 2], ["2026-03", 7, 3]]
    assert "<circle" in svg and "chart-m1" in svg and '<rect class="chart-marker' in svg
    assert "chart-l1" in svg  # the second line is dashed
    for value in (">4</text>", ">7</text>", ">2</text>", ">3</text>"):
        assert value in svg
    assert ">2026-01</text>" in svg and ">2026-03</text>" in svg
    assert chart.summary == (
        "Per month, 2026-01 to 2026-03: Issued 11 in total, 7 in the last month; "
        "Sessions 6 in total, 3 in the last month."
    )


def test_time_series_with_only_zeros_and_one_month():
    chart = time_series_chart(title="Flat", months=[date(2026, 1, 1)], series=[("A", [0])])
    svg = str(chart.svg)
    assert ">0</text>" in svg and "nan" not in svg.lower()


def test_chart_include_renders_figure_and_table():
    chart = bar_chart(title="Members", rows=[("Piaseczno", 1234)])
    html = render_to_string(
        "dashboards/includes/chart.html", {"chart": chart, "export_url": "/x/export/members/"}
    )
    assert "<figure" in html and "<table" in html and '<th scope="row">Piaseczno</th>' in html
    assert '<td class="num">1,234</td>' in html
    assert 'href="/x/export/members/?format=csv"' in html
    assert 'href="/x/export/members/?format=xlsx"' in html


def test_fmt():
    assert fmt(1234) == "1,234"
    assert fmt(2.25) in ("2.2", "2.3")
    assert fmt(None) == "–"


def test_fmt_in_polish_groups_thousands_with_a_non_breaking_space():
    from django.utils import translation

    with translation.override("pl"):
        assert fmt(1234567) == "1\u00a0234\u00a0567"
        assert fmt(1234.25, 2) == "1\u00a0234,25"
        assert fmt(0.5) == "0,5"


def test_a_long_time_series_labels_every_third_month_back_from_the_latest():
    months = [date(2024 + (3 + m) // 12, (3 + m) % 12 + 1, 1) for m in range(24)]
    values = [0] * 23 + [9]
    chart = time_series_chart(title="Two years", months=months, series=[("Issued", values)])
    svg = str(chart.svg)
    assert months[0] == date(2024, 4, 1) and months[-1] == date(2026, 3, 1)
    ticks = [f">{m:%Y-%m}</text>" for m in months]
    assert [tick in svg for tick in ticks] == [(23 - i) % 3 == 0 for i in range(24)]
    assert svg.count('class="chart-value"') == 1 and ">9</text>" in svg  # zeros not printed
    assert len(chart.rows) == 24 and chart.rows[0] == ["2024-04", 0]


def _ticks(svg: str) -> list[str]:
    return re.findall(
        r'<text class="chart-tick" x="\d+" y="[\d.]+" text-anchor="end">([^<]+)<', svg
    )


def _gridline_ys(svg: str) -> set[str]:
    return set(re.findall(r'<line class="chart-gridline" x1="\d+" y1="([\d.]+)"', svg))


def test_the_time_series_axis_has_distinct_whole_ticks_and_points_on_gridlines():
    months = [date(2026, m, 1) for m in range(1, 6)]
    chart = time_series_chart(
        title="Certificates", months=months, series=[("KPP", [0, 1, 3, 2, 3])]
    )
    assert _ticks(chart.svg) == ["0", "1", "2", "3"]  # was 0, 1, 2, 2, 3
    # Points on the plot (x 56 and right of it; the legend's marker is at x 19).
    points = re.findall(
        r'<circle class="[^"]*" cx="(?:5[6-9]|[6-9]\d|\d{3})[\d.]*" cy="([\d.]+)"', chart.svg
    )
    assert len(points) == 5 and set(points) <= _gridline_ys(chart.svg)


@pytest.mark.parametrize(
    ("peak", "ticks"),
    [
        (5, ["0", "2", "4", "6"]),
        (37, ["0", "10", "20", "30", "40"]),
        (0.4, ["0", "0.1", "0.2", "0.3", "0.4"]),
    ],
)
def test_the_axis_steps_by_one_two_or_five(peak, ticks):
    chart = time_series_chart(title="x", months=[date(2026, 1, 1)], series=[("a", [peak])])
    assert _ticks(chart.svg) == ticks


def test_a_long_bar_label_wraps_onto_two_lines_instead_of_being_clipped():
    label = "Komunikacja kryzysowa i przeciwdziałanie dezinformacji"
    chart = bar_chart(title="Pillars", rows=[(label, 3), ("Drony (BSP/UAV)", 1)])
    assert "<tspan>Komunikacja kryzysowa i</tspan>" in chart.svg
    assert ">przeciwdziałanie dezinf…</tspan>" in chart.svg
    assert ">Drony (BSP/UAV)</text>" in chart.svg  # a short one stays on one line
    assert chart.rows[0][0] == label  # the table has it whole


def test_the_numbers_behind_a_chart_start_collapsed():
    chart = bar_chart(title="Clubs", rows=[("A", 1)])
    html = render_to_string("dashboards/includes/chart.html", {"chart": chart})
    assert '<details class="chart-data">' in html
