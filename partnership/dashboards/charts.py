"""Charts drawn on the server as accessible SVG: no JavaScript, nothing to load.

Each chart is an image with a title and a description (`role="img"`, `aria-labelledby`),
labels its bars and panels directly so colour is never the only cue (a second series is
hatched as well as coloured), and draws a withheld figure as a marked gap labelled "<5":
a short hatched, dashed stub whose length says nothing about the figure. The data table
beside each chart gives every figure. Styling is by SVG presentation attributes only,
which a strict Content-Security-Policy allows.
"""

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

from partnership.dashboards.suppression import SUPPRESSED, Published
from partnership.dashboards.tables import Dashboard

INK = "#0b0c0c"
SECONDARY_INK = "#505a5f"
AXIS = "#b1b4b6"
# One colour per series, each also told apart by its fill: solid, hatched.
SERIES_COLOURS = ("#1d70b8", "#a33f00")
# Drawing units; charts scale to their column, so these are about pixels on a desktop.
WIDTH = 460  # a bar chart, in half the page
LABEL_WIDTH = 170
BAR_SPACE = 220
WEEKLY_WIDTH = 960  # the weekly chart, across the page
WEEKLY_LEFT = 60
STUB = 14  # the length of the marked gap drawn for a withheld figure
LEGEND_ROW = 24
# A bar's label is never cut: it wraps, in whole words, onto lines of the label column.
# Lines are filled to the width of this many of the font's widest common characters.
CHARACTER_WIDTH = 8.5
LINE_HEIGHT = 17
# The page's own typeface (app.scss): SVG text does not inherit GOV.UK's class-based fonts.
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"


def _number(value: Published) -> float:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _value_words(value: Published) -> str:
    if value == SUPPRESSED:
        return "fewer than 5 (withheld)"
    if value is None:
        return "no data"
    return f"{value:,}"


def _lines(label: str, width: float) -> list[str]:
    """The label on as many lines as it needs to fit `width` drawing units, whole words
    kept together; only a word longer than a line is broken, with a hyphen."""
    most = max(2, int(width // CHARACTER_WIDTH))
    lines: list[str] = []
    line = ""
    for word in label.split():
        while len(word) > most:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[: most - 1] + "-")
            word = word[most - 1 :]
        if line and len(line) + 1 + len(word) > most:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line or not lines else lines


def _label(label: str, right: float, middle: float) -> Markup:
    """A label ending at `right`, its lines centred on `middle` (a baseline, for one line)."""
    lines = _lines(label, right)
    if len(lines) == 1:
        return _text(label, right, middle, text_anchor="end")
    first = middle - (len(lines) - 1) * LINE_HEIGHT / 2
    spans = Markup("").join(
        _tag("tspan", line, x=f"{right:.1f}", dy="0" if number == 0 else str(LINE_HEIGHT))
        for number, line in enumerate(lines)
    )
    return _text(spans, right, first, text_anchor="end")


def _tag(name: str, body: str = "", **attributes) -> Markup:
    """An SVG element; text in `body` and every attribute value are escaped, elements made
    here are not. Attribute names are written in Python (aria_labelledby, class_)."""
    written = " ".join(
        f'{key.rstrip("_").replace("_", "-")}="{escape(value)}"'
        for key, value in attributes.items()
    )
    # Plain string building with escape(): Markup.format per attribute was a third of the
    # dashboard's chart time.
    return Markup(f"<{name} {written}>{escape(body)}</{name}>")  # noqa: S704


def _defs(chart_id: str) -> Markup:
    """Patterns: a hatch for the second series, and a grey hatch for withheld figures."""
    patterns = []
    for name, colour in (("series", SERIES_COLOURS[1]), ("withheld", SECONDARY_INK)):
        lines = _tag("rect", width="6", height="6", fill="#ffffff") + _tag(
            "line", x1="0", y1="0", x2="0", y2="6", stroke=colour, stroke_width="3"
        )
        patterns.append(
            _tag(
                "pattern",
                lines,
                id=f"{chart_id}-{name}",
                patternUnits="userSpaceOnUse",
                width="6",
                height="6",
                patternTransform="rotate(45)",
            )
        )
    return _tag("defs", Markup("").join(patterns))


def _svg(chart_id: str, title: str, description: str, height: int, width: int, body: Markup):
    return _tag(
        "svg",
        _tag("title", title, id=f"{chart_id}-title")
        + _tag("desc", description, id=f"{chart_id}-desc")
        + _defs(chart_id)
        + body,
        xmlns="http://www.w3.org/2000/svg",
        role="img",
        aria_labelledby=f"{chart_id}-title {chart_id}-desc",
        viewBox=f"0 0 {width} {height}",
        width="100%",
        class_="app-chart",
        focusable="false",
        font_family=FONT,
        font_size="14",
    )


def _withheld_stub(chart_id: str, x: float, y: float, width: float, height: float) -> Markup:
    return _tag(
        "rect",
        x=f"{x:.1f}",
        y=f"{y:.1f}",
        width=f"{width:.1f}",
        height=f"{height:.1f}",
        fill=f"url(#{chart_id}-withheld)",
        stroke=SECONDARY_INK,
        stroke_dasharray="3 2",
    )


def _text(content: str | Markup, x: float, y: float, **attributes) -> Markup:
    return _tag("text", content, x=f"{x:.1f}", y=f"{y:.1f}", fill=INK, **attributes)


def _withheld_key(chart_id: str, y: float) -> Markup:
    """The legend entry for the marked gap."""
    return _withheld_stub(chart_id, 0, y, 18, 18) + _text("Marked gap: <5, withheld", 24, y + 14)


def bar_chart(
    chart_id: str,
    title: str,
    summary: str,
    rows: Sequence[tuple[str, Sequence[Published]]],
    series: Sequence[str] = ("Referrals",),
) -> Markup:
    """Horizontal bars, one group a row, each bar labelled with its figure at its end.

    With two series a legend names them and the second is hatched as well as coloured.
    """
    bar_height = 20
    bars_height = 10 + (bar_height + 4) * len(series)
    # Each row as tall as its bars, or its label's lines if more.
    row_heights = [
        max(bars_height, 10 + LINE_HEIGHT * len(_lines(label, LABEL_WIDTH - 8)))
        for label, _values in rows
    ]
    legend = list(series) if len(series) > 1 else []
    legend_height = LEGEND_ROW * len(legend) + (6 if legend else 0)
    height = legend_height + (sum(row_heights) if rows else bars_height) + 6
    largest = max((_number(v) for _, values in rows for v in values), default=0) or 1
    parts = [
        _swatch(chart_id, number, 0, number * LEGEND_ROW)
        + _text(name, 24, number * LEGEND_ROW + 14)
        for number, name in enumerate(legend)
    ]
    words = []
    top = legend_height + 5
    for (label, values), row_height in zip(rows, row_heights, strict=True):
        parts.append(_label(label, LABEL_WIDTH - 8, top + row_height / 2))
        bars_top = top + (row_height - bars_height) / 2
        top += row_height
        for number, value in enumerate(values):
            y = bars_top + number * (bar_height + 4)
            if value == SUPPRESSED:
                parts.append(_withheld_stub(chart_id, LABEL_WIDTH, y, STUB, bar_height))
                end: float = LABEL_WIDTH + STUB
            else:
                length = BAR_SPACE * _number(value) / largest
                if length:
                    parts.append(_bar(chart_id, number, LABEL_WIDTH, y, length, bar_height))
                end = LABEL_WIDTH + length
            parts.append(_text(_value_label(value), end + 6, y + 15))
        described = ", ".join(
            f"{name}: {_value_words(value)}" if legend else _value_words(value)
            for name, value in zip(series, values, strict=True)
        )
        words.append(f"{label}: {described}")
    parts.append(
        _tag(
            "line",
            x1=str(LABEL_WIDTH),
            y1=str(legend_height),
            x2=str(LABEL_WIDTH),
            y2=str(height - 3),
            stroke=AXIS,
        )
    )
    description = f"{summary} " + ("; ".join(words) + "." if words else "No figures.")
    return _svg(chart_id, title, description, height, WIDTH, Markup("").join(parts))


def _value_label(value: Published) -> str:
    if value == SUPPRESSED or value is None:
        return "<5" if value == SUPPRESSED else "No data"
    return f"{value:,}"


def _fill(chart_id: str, series: int) -> str:
    return SERIES_COLOURS[0] if series == 0 else f"url(#{chart_id}-series)"


def _bar(chart_id: str, series: int, x: float, y: float, width: float, height: float) -> Markup:
    return _tag(
        "rect",
        x=f"{x:.1f}",
        y=f"{y:.1f}",
        width=f"{width:.1f}",
        height=f"{height:.1f}",
        fill=_fill(chart_id, series),
        stroke=SERIES_COLOURS[series],
    )


def _swatch(chart_id: str, series: int, x: float, y: float) -> str:
    return _bar(chart_id, series, x, y, 18, 18)


def _short_date(day: date) -> str:
    return f"{day.day} {day:%b}"


def weekly_chart(
    chart_id: str,
    title: str,
    summary: str,
    weeks: Sequence[date],
    panels: Sequence[tuple[str, Sequence[Published]]],
) -> Markup:
    """Small multiples: a panel of weekly columns for each figure, named on the panel,
    sharing one time axis along the bottom. A key explains the marked gap, which is also
    labelled "<5" on each column when the columns are wide enough for it."""
    pitch = (WEEKLY_WIDTH - WEEKLY_LEFT - 10) / max(len(weeks), 1)
    gap = min(8, pitch / 4)
    panel_height, plot_height = 130, 90
    key_height = LEGEND_ROW + 6
    height = key_height + panel_height * len(panels) + 24
    parts = [_withheld_key(chart_id, 0)]
    for number, (name, values) in enumerate(panels):
        top = key_height + number * panel_height
        baseline = top + 30 + plot_height
        largest = max((_number(v) for v in values), default=0)
        parts.append(_text(name, 0, top + 18, font_weight="bold"))
        if largest:
            parts.append(_text(f"{largest:,}", WEEKLY_LEFT - 8, top + 40, text_anchor="end"))
        parts.append(_text("0", WEEKLY_LEFT - 8, baseline, text_anchor="end"))
        parts.append(
            _tag(
                "line",
                x1=str(WEEKLY_LEFT),
                y1=str(baseline),
                x2=str(WEEKLY_WIDTH - 10),
                y2=str(baseline),
                stroke=AXIS,
            )
        )
        for week, value in enumerate(values):
            x = WEEKLY_LEFT + week * pitch + gap / 2
            if value == SUPPRESSED:
                parts.append(_withheld_stub(chart_id, x, baseline - 8, pitch - gap, 8))
                if pitch >= 20:
                    middle = x + (pitch - gap) / 2
                    parts.append(_text("<5", middle, baseline - 12, text_anchor="middle"))
            elif largest and (length := plot_height * _number(value) / largest):
                parts.append(_bar(chart_id, 0, x, baseline - length, pitch - gap, length))
    step = max(1, -(-len(weeks) // 8))  # at most eight dates along the axis
    for week in range(0, len(weeks), step):
        x = WEEKLY_LEFT + week * pitch + gap / 2
        parts.append(_text(_short_date(weeks[week]), x, height - 6))
    return _svg(chart_id, title, summary, height, WEEKLY_WIDTH, Markup("").join(parts))


def charts_for(dashboard: Dashboard) -> dict[str, Markup]:
    """A chart for each of the dashboard's tables that has one, by table key."""
    tables = dashboard.tables
    period = dashboard.period.words
    weekly = tables["weekly-trend"]
    charts = {
        "weekly-trend": weekly_chart(
            "chart-weekly-trend",
            "Referrals each week",
            f"Four panels for {period}: referrals made, accepted, declined and completed, "
            "with a column for each week. Weeks with a withheld figure are marked <5. "
            "The table beside the chart gives every figure.",
            [row["week_starting"] for row in weekly.rows],
            [
                (column.label, [row[column.key] for row in weekly.rows])
                for column in weekly.columns[1:]
            ],
        )
    }
    for key, title, column in (
        ("demand-by-need", "Demand by need", "made"),
        ("receiving-sector", "Referrals by receiving sector", "made"),
        ("busiest-services", "The busiest services", "made"),
        ("capacity-now", "Services by capacity now", "services"),
    ):
        table = tables[key]
        label = table.label_column.key
        charts[key] = bar_chart(
            f"chart-{key}",
            title,
            f"{table.caption}, {period}.",
            [(row[label], [row[column]]) for row in table.rows],
            (table.columns[[c.key for c in table.columns].index(column)].label,),
        )
    unmet = tables["unmet-need"]
    charts["unmet-need"] = bar_chart(
        "chart-unmet-need",
        "Unmet need by need",
        f"{unmet.caption}, {period}. Two bars for each need: declined for lack of capacity "
        "(solid) and no suitable service (hatched).",
        [
            (row["need"], [row["declined_for_capacity"], row["no_suitable_service"]])
            for row in unmet.rows
        ],
        ("Declined: no capacity", "No suitable service"),
    )
    return charts
