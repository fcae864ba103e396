"""The SVG charts on their own: named and described, labelled directly, withheld figures
drawn as a marked gap, and text escaped."""

import re
from datetime import date, timedelta

from partnership.dashboards.charts import (
    CHARACTER_WIDTH,
    LABEL_WIDTH,
    STUB,
    bar_chart,
    weekly_chart,
)


def _bars(svg: str) -> list[float]:
    return [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)]


def test_a_bar_chart_is_an_image_with_a_title_and_a_description():
    svg = bar_chart("chart-need", "Demand by need", "Referrals by need.", [("Food", [12])])
    assert svg.startswith("<svg ")
    assert 'role="img"' in svg
    assert 'aria-labelledby="chart-need-title chart-need-desc"' in svg
    assert '<title id="chart-need-title">Demand by need</title>' in svg
    assert '<desc id="chart-need-desc">Referrals by need. Food: 12.</desc>' in svg
    assert "style=" not in svg


def test_each_bar_is_labelled_with_its_figure():
    svg = bar_chart("c", "t", "s", [("Food", [12]), ("Housing", [6]), ("Money", [0])])
    labels = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    assert labels == ["Food", "12", "Housing", "6", "Money", "0"]
    assert _bars(svg) == [220.0, 110.0]  # in proportion; nothing drawn for 0


def test_a_withheld_figure_is_a_marked_gap_labelled_lt5_that_says_nothing_of_its_size():
    svg = bar_chart("c", "t", "s", [("Food", [40]), ("Housing", ["<5"]), ("Money", ["<5"])])
    assert svg.count('fill="url(#c-withheld)"') == 2
    assert svg.count('stroke-dasharray="3 2"') == 2
    assert svg.count(">&lt;5</text>") == 2
    widths = _bars(svg)
    assert widths[1:] == [float(STUB), float(STUB)]
    assert "Housing: fewer than 5 (withheld)" in svg


def test_a_second_series_is_hatched_and_named_in_a_legend():
    svg = bar_chart(
        "c", "t", "s", [("Food", [3, 8])], ("Declined: no capacity", "No suitable service")
    )
    assert '<pattern id="c-series"' in svg
    assert 'fill="url(#c-series)"' in svg
    assert ">Declined: no capacity</text>" in svg and ">No suitable service</text>" in svg
    assert "Food: Declined: no capacity: 3, No suitable service: 8" in svg


def test_labels_are_escaped():
    svg = bar_chart("c", "<b>t</b>", "s & s", [('<script>alert("x")</script>', [5])])
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg
    assert "s &amp; s" in svg


def test_the_weekly_chart_has_a_panel_for_each_figure_and_a_key_to_the_gaps():
    weeks = [date(2026, 1, 4) + timedelta(days=7 * n) for n in range(12)]
    svg = weekly_chart(
        "w",
        "Referrals each week",
        "Four panels.",
        weeks,
        [("Referrals made", [10] * 11 + ["<5"]), ("Declined", [0] * 12)],
    )
    assert '<title id="w-title">Referrals each week</title>' in svg
    assert ">Referrals made</text>" in svg and ">Declined</text>" in svg
    assert ">Marked gap: &lt;5, withheld</text>" in svg
    assert svg.count(">&lt;5</text>") == 1
    assert ">4 Jan</text>" in svg


def test_a_long_label_wraps_onto_lines_in_whole_words_and_is_never_cut():
    """It was cut to 20 characters and then clipped on the left: "oluntary and commu…"."""
    label = "Voluntary, community and social enterprise"
    svg = bar_chart("c", "t", "s", [(label, [12]), ("Food", [3])])
    assert "…" not in svg
    spans = re.findall(r"<tspan [^>]*>([^<]*)</tspan>", svg)
    assert " ".join(spans) == label
    assert len(spans) > 1
    assert all(len(line) * CHARACTER_WIDTH <= LABEL_WIDTH - 8 for line in spans)
    # Its row grows to hold the lines: the next row starts below them.
    food = float(re.search(r'<text x="[\d.]+" y="([\d.]+)" [^>]*>Food</text>', svg).group(1))
    last = float(re.findall(r'<text x="[\d.]+" y="([\d.]+)"[^>]*><tspan', svg)[0])
    assert food > last + (len(spans) - 1) * 17


def test_a_word_too_long_for_a_line_is_broken_with_a_hyphen_not_cut():
    word = "Supercalifragilisticexpialidocious"
    svg = bar_chart("c", "t", "s", [(word, [1])])
    spans = re.findall(r"<tspan [^>]*>([^<]*)</tspan>", svg)
    assert "".join(span.removesuffix("-") for span in spans) == word
