"""The dashboard as published: its figures through the suppression rules, as tables.

The page, its charts, the CSV files and the API all read these tables and nothing else, so
a figure is withheld in the same way everywhere. Every count is a cell; the parts that add
up to a published total form a line (partnership.dashboards.suppression), and the whole
dashboard is protected at once, so a figure that appears twice is withheld in both places.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date

from partnership import words
from partnership.dashboards import suppression as rules
from partnership.dashboards.figures import Capacity, Figures, Flow, Headline, Need
from partnership.dashboards.periods import Period
from partnership.dashboards.suppression import SUPPRESSED, Line, Published, count, withhold
from partnership.models import Neighbourhood, Sector

TEXT, DATE, COUNT, RATE, DAYS, PLACES = "text", "date", "count", "rate", "days", "places"
BUSIEST = 5
OTHER_SERVICES = "All other services"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = COUNT


def figure(key: str, kind: str = COUNT) -> Column:
    """A column of one of the headline figures, named as everywhere else."""
    return Column(key, words.FIGURE[key], kind)


@dataclass(frozen=True)
class Table:
    """A published table. Rows are dicts keyed by column key; they may carry ids besides
    (need_slug, service_id …), which the API gives and the page and CSV leave out."""

    key: str  # its name in addresses: /dashboard/<key>.csv
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[dict, ...]
    total: dict | None = None

    @property
    def label_column(self) -> Column:
        return self.columns[0]


HEADLINE_COLUMNS = (
    figure("made"),
    figure("accepted"),
    figure("declined"),
    figure("completed"),
    figure("acceptance_rate", RATE),
    figure("median_days_to_accept", DAYS),
    figure("median_days_to_complete", DAYS),
    figure("overdue_now"),
    figure("unmet_need"),
)
HEADLINE_COUNTS = ("made", "accepted", "declined", "completed", "overdue_now", "unmet_need")
WEEK_COUNTS = ("made", "accepted", "declined", "completed")
TABLE_KEYS = (
    "weekly-trend",
    "demand-by-need",
    "receiving-sector",
    "busiest-services",
    "unmet-need",
    "capacity-now",
    "neighbourhoods",
)


@dataclass(frozen=True)
class Dashboard:
    neighbourhood: Neighbourhood
    period: Period
    headline: dict[str, Published]
    vcse_share: Published
    tables: dict[str, Table]


def _h(name: str) -> tuple:
    return ("headline", name)


def _headline_cells(headline: Headline) -> dict[Hashable, int]:
    cells: dict[Hashable, int] = {_h(name): getattr(headline, name) for name in HEADLINE_COUNTS}
    cells[_h("declined_for_capacity")] = headline.declined_for_capacity
    cells[_h("no_suitable_service")] = sum(headline.no_suitable_service.values())
    return cells


def _publish_headline(headline: Headline, hidden: frozenset) -> dict[str, Published]:
    """The headline row; rates and medians follow the counts they come from."""

    def withheld(name: str) -> bool:
        return _h(name) in hidden

    def days(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    published: dict[str, Published] = {
        name: count(getattr(headline, name), withheld=withheld(name)) for name in HEADLINE_COUNTS
    }
    published["acceptance_rate"] = rules.share(
        headline.accepted,
        headline.accepted + headline.declined,
        withheld=withheld("accepted") or withheld("declined"),
    )
    published["median_days_to_accept"] = rules.median(
        days(headline.days_to_accept), headline.timed_accepts, withheld=withheld("accepted")
    )
    published["median_days_to_complete"] = rules.median(
        days(headline.days_to_complete), headline.timed_completions, withheld=withheld("completed")
    )
    return published


def published_headline(headline: Headline) -> dict[str, Published]:
    """A neighbourhood's headline figures on their own (the live counters, the comparison).

    Secondary suppression never withholds a headline count (see suppression.py), so they
    come out the same here as on the whole dashboard.
    """
    return _publish_headline(headline, withhold(_headline_cells(headline)))


def _shown_first(rows: list[dict], key: str, label: str) -> list[dict]:
    """Largest first by what is shown; withheld rows after, by name, so that the order
    says nothing about the figures withheld."""
    return sorted(
        rows,
        key=lambda row: (
            row[key] == SUPPRESSED,
            -row[key] if row[key] != SUPPRESSED else 0,
            row[label],
        ),
    )


class _Cells:
    """Counts gathered for one dashboard, and the lines between them."""

    def __init__(self, headline: Headline):
        self.values: dict[Hashable, int] = _headline_cells(headline)
        self.lines: list[Line] = []
        self.hidden: frozenset = frozenset()

    def add(self, key: tuple, value: int) -> tuple:
        self.values[key] = value
        return key

    def line(self, parts, total: tuple) -> None:
        self.lines.append(Line(tuple(parts), total))

    def protect(self) -> None:
        self.hidden = withhold(self.values, self.lines, [_h(name) for name in HEADLINE_COUNTS])

    def __getitem__(self, key: tuple) -> int | str:
        return count(self.values[key], withheld=key in self.hidden)


def _weekly(figures: Figures, cells: _Cells):
    keys = []
    for number, week in enumerate(figures.weeks):
        keys.append(
            {name: cells.add(("week", number, name), getattr(week, name)) for name in WEEK_COUNTS}
        )
    for name in WEEK_COUNTS:
        cells.line([week[name] for week in keys], _h(name))

    def table() -> Table:
        rows = [
            {"week_starting": week.starts} | {name: cells[key[name]] for name in WEEK_COUNTS}
            for week, key in zip(figures.weeks, keys, strict=True)
        ]
        return Table(
            "weekly-trend",
            "Referrals made each week, and how many of them were accepted, declined and completed",
            (
                Column("week_starting", "Week starting", DATE),
                figure("made"),
                figure("accepted"),
                figure("declined"),
                figure("completed"),
            ),
            tuple(rows),
            {"week_starting": "Total"} | {name: cells[_h(name)] for name in WEEK_COUNTS},
        )

    return table


def _by_need(flows: list[Flow], cells: _Cells):
    made: defaultdict[Need, int] = defaultdict(int)
    for flow in flows:
        made[flow.need] += flow.made
    keys = {need: cells.add(("need", need.id), number) for need, number in made.items()}
    cells.line(keys.values(), _h("made"))

    def table() -> Table:
        rows = [
            {"need": need.name, "need_slug": need.slug, "made": cells[key]}
            for need, key in keys.items()
        ]
        return Table(
            "demand-by-need",
            "Referrals made by need",
            (Column("need", "Need", TEXT), figure("made")),
            tuple(_shown_first(rows, "made", "need")),
            {"need": "All needs", "made": cells[_h("made")]},
        )

    return table


def _by_sector(flows: list[Flow], cells: _Cells, made_total: int):
    made = dict.fromkeys(Sector, 0)
    for flow in flows:
        made[flow.sector] += flow.made
    keys = {sector: cells.add(("sector", sector.value), made[sector]) for sector in Sector}
    cells.line(keys.values(), _h("made"))

    def share(sector: Sector) -> Published:
        return rules.share(made[sector], made_total, withheld=keys[sector] in cells.hidden)

    def table() -> Table:
        rows = [
            {
                "sector": words.SECTOR[sector],
                "sector_code": sector.value,
                "made": cells[keys[sector]],
                "share": share(sector),
            }
            for sector in Sector
        ]
        return Table(
            "receiving-sector",
            "Referrals made by the sector of the receiving organisation",
            (
                Column("sector", "Receiving sector", TEXT),
                figure("made"),
                Column("share", "Share of referrals", RATE),
            ),
            tuple(rows),
            {"sector": "All sectors", "made": cells[_h("made")]},
        )

    return table, lambda: share(Sector.VCSE)


def _busiest(flows: list[Flow], cells: _Cells):
    """The five services that received most referrals, and all others together.

    Where every service of a sector with referrals is listed (or the rest are all of one
    sector), the services add up to the sector's figure: that is a line too.
    """
    services: dict[int, dict] = {}
    for flow in flows:
        service = services.setdefault(
            flow.service_id,
            {
                "id": flow.service_id,
                "name": flow.service,
                "organisation": flow.organisation,
                "sector": flow.sector,
                "made": 0,
            },
        )
        service["made"] += flow.made
    ranked = sorted(services.values(), key=lambda s: (-s["made"], s["name"], s["id"]))
    listed, others = ranked[:BUSIEST], ranked[BUSIEST:]
    keys = {s["id"]: cells.add(("service", s["id"]), s["made"]) for s in listed}
    other = cells.add(("service", "other"), sum(s["made"] for s in others))
    cells.line([*keys.values(), other], _h("made"))
    other_sectors = {s["sector"] for s in others}
    for sector in Sector:
        parts = [keys[s["id"]] for s in listed if s["sector"] is sector]
        if other_sectors == {sector}:
            parts.append(other)
        elif sector in other_sectors:
            continue
        cells.line(parts, ("sector", sector.value))

    def table() -> Table:
        rows = [
            {
                "service": s["name"],
                "service_id": s["id"],
                "organisation": s["organisation"],
                "made": cells[keys[s["id"]]],
            }
            for s in listed
        ]
        rows = _shown_first(rows, "made", "service")
        if others:
            rows.append(
                {
                    "service": OTHER_SERVICES,
                    "service_id": None,
                    "organisation": "",
                    "made": cells[other],
                }
            )
        return Table(
            "busiest-services",
            "The services that received most referrals",
            (
                Column("service", "Service", TEXT),
                Column("organisation", "Organisation", TEXT),
                figure("made"),
            ),
            tuple(rows),
            {"service": "All services", "made": cells[_h("made")]},
        )

    return table


def _unmet(figures: Figures, cells: _Cells):
    headline = figures.headline
    for_capacity: defaultdict[Need, int] = defaultdict(int)
    for flow in figures.flows:
        for_capacity[flow.need] += flow.declined_for_capacity
    needs = sorted(
        {n for n, v in for_capacity.items() if v} | set(headline.no_suitable_service),
        key=lambda need: need.name,
    )
    keys = {}
    for need in needs:
        capacity = cells.add(("unmet", need.id, "capacity"), for_capacity.get(need, 0))
        none = cells.add(("unmet", need.id, "none"), headline.no_suitable_service.get(need, 0))
        total = cells.add(("unmet", need.id, "total"), cells.values[capacity] + cells.values[none])
        cells.line([capacity, none], total)
        keys[need] = (capacity, none, total)
    for position, headline_name in enumerate(
        ("declined_for_capacity", "no_suitable_service", "unmet_need")
    ):
        cells.line([key[position] for key in keys.values()], _h(headline_name))
    cells.line([_h("declined_for_capacity"), _h("no_suitable_service")], _h("unmet_need"))

    def table() -> Table:
        rows = [
            {
                "need": need.name,
                "need_slug": need.slug,
                "declined_for_capacity": cells[capacity],
                "no_suitable_service": cells[none],
                "total": cells[total],
            }
            for need, (capacity, none, total) in keys.items()
        ]
        return Table(
            "unmet-need",
            "Unmet need: referrals declined for lack of capacity, and needs no service could meet",
            (
                Column("need", "Need", TEXT),
                Column("declined_for_capacity", "Declined: no capacity"),
                Column("no_suitable_service", "No suitable service"),
                Column("total", "Total unmet need"),
            ),
            tuple(rows),
            {
                "need": "All needs",
                "declined_for_capacity": cells[_h("declined_for_capacity")],
                "no_suitable_service": cells[_h("no_suitable_service")],
                "total": cells[_h("unmet_need")],
            },
        )

    return table


def capacity_table(capacity: list[Capacity]) -> Table:
    """Directory facts every partner can see: not suppressed (see suppression.py)."""
    rows = [
        {
            "status": words.CAPACITY_STATUS[row.status],
            "status_code": row.status.value,
            "services": row.services,
            "places_available": row.places,
            "stale": row.stale,
        }
        for row in capacity
    ]
    counted = [row.places for row in capacity if row.places is not None]
    return Table(
        "capacity-now",
        "Capacity now of the services covering the neighbourhood",
        (
            Column("status", "Capacity", TEXT),
            Column("services", "Services", PLACES),
            Column("places_available", "Places available", PLACES),
            Column("stale", "Not posted in the last 7 days", PLACES),
        ),
        tuple(rows),
        {
            "status": "All services",
            "services": sum(row.services for row in capacity),
            "places_available": sum(counted) if counted else None,
            "stale": sum(row.stale for row in capacity),
        },
    )


def comparison_table(neighbourhoods: list[Neighbourhood], headlines: dict[int, dict]) -> Table:
    return Table(
        "neighbourhoods",
        "All neighbourhoods compared",
        (Column("neighbourhood", "Neighbourhood", TEXT), *HEADLINE_COLUMNS),
        tuple(
            {"neighbourhood": n.name, "neighbourhood_id": n.id} | headlines[n.id]
            for n in neighbourhoods
        ),
    )


def publish(figures: Figures) -> Dashboard:
    """The whole dashboard, protected at once: each part adds its cells and lines, and
    gives back how to make its table once every cell's fate is known."""
    cells = _Cells(figures.headline)
    weekly = _weekly(figures, cells)
    by_need = _by_need(figures.flows, cells)
    by_sector, vcse_share = _by_sector(figures.flows, cells, figures.headline.made)
    busiest = _busiest(figures.flows, cells)
    unmet = _unmet(figures, cells)
    cells.protect()
    mine = figures.neighbourhood.id
    headline = _publish_headline(figures.headline, cells.hidden)
    headlines = {
        n: headline if n == mine else published_headline(figures.headlines[n])
        for n in figures.headlines
    }
    tables = [
        weekly(),
        by_need(),
        by_sector(),
        busiest(),
        unmet(),
        capacity_table(figures.capacity),
        comparison_table(figures.neighbourhoods, headlines),
    ]
    return Dashboard(
        neighbourhood=figures.neighbourhood,
        period=figures.period,
        headline=headline,
        vcse_share=vcse_share(),
        tables={table.key: table for table in tables},
    )


# How each kind of figure reads on the page and in CSV files.


def displayed(value, kind: str) -> str:
    """A published figure as the page shows it."""
    if value is None:
        return "Not counted" if kind == PLACES else "No data"
    if value == SUPPRESSED or kind == TEXT:
        return str(value)
    if kind == DATE:
        return f"{value.day} {value:%b %Y}" if isinstance(value, date) else str(value)
    if kind == RATE:
        return f"{round(value * 100)}%"
    if kind == DAYS:
        return f"{value:.1f}"
    return f"{value:,}"


NUMERIC = (COUNT, RATE, DAYS, PLACES)


def shown_rows(table: Table, columns: tuple[Column, ...]) -> list[tuple[dict, list]]:
    """Each row with its cells as the page shows them, (text, numeric) after the label's
    text: worked out here once rather than cell by cell in the template, which was most of
    a dashboard's template time."""
    kinds = [(column.key, column.kind, column.kind in NUMERIC) for column in columns]
    return [
        (row, [(displayed(row[key], kind), numeric) for key, kind, numeric in kinds])
        for row in table.rows
    ]


def csv_value(value, kind: str):
    """A published figure as a CSV file gives it: numbers unformatted, rates in percent."""
    if value is None:
        return ""
    if value == SUPPRESSED:
        return value
    if kind == DATE:
        return value.isoformat() if isinstance(value, date) else value
    if kind == RATE:
        return round(value * 100, 1)
    return value


def csv_label(column: Column) -> str:
    return f"{column.label} (%)" if column.kind == RATE else column.label


# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value, kind: str):
    written = csv_value(value, kind)
    if isinstance(written, str) and written.startswith(FORMULA_STARTS):
        return "'" + written
    return written


def csv_text(table: Table) -> str:
    """The table as a CSV file: the same figures, withheld the same way, as on the page."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_label(column) for column in table.columns])
    for row in (*table.rows, *([table.total] if table.total else [])):
        writer.writerow([_csv_cell(row.get(c.key), c.kind) for c in table.columns])
    return out.getvalue()
