"""A neighbourhood's dashboard over the API: the page's figures, withheld the same way.

The figures come from the same published tables as the page and its CSV files
(partnership.dashboards.tables), so a count from 1 to 4, or a figure that would reveal
one, is the string "<5" here too. Leads of the neighbourhood and admins only; 404 for
anyone else, as on the page.
"""

from datetime import date
from typing import Annotated, Literal

from flask import jsonify
from pydantic import BaseModel, ConfigDict, Field

from partnership.access import dashboard_neighbourhood
from partnership.api import api
from partnership.api.auth import api_user
from partnership.api.openapi import ProblemDocument, documented
from partnership.api.schemas import Query
from partnership.api.validation import query_args
from partnership.dashboards import periods
from partnership.dashboards.figures import dashboard_figures
from partnership.dashboards.periods import PeriodError
from partnership.dashboards.tables import RATE, Table, publish
from partnership.problems import Problem

WITHHELD = 'The string "<5" when withheld: a count from 1 to 4, or a figure that would reveal one.'

Count = Annotated[int | Literal["<5"], Field(description=WITHHELD)]
Rate = Annotated[
    float | Literal["<5"] | None,
    Field(description="A fraction from 0 to 1; null without data. " + WITHHELD),
]
Days = Annotated[
    float | Literal["<5"] | None,
    Field(description="Days, to one decimal place; null without data. " + WITHHELD),
]


class DashboardQuery(Query):
    from_: str | None = Field(
        None,
        alias="from",
        max_length=10,
        description="The first day, YYYY-MM-DD (default: 12 weeks up to `to`)",
    )
    to: str | None = Field(
        None, max_length=10, description="The last day, YYYY-MM-DD (default: today)"
    )


class DashboardPeriod(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date


class DashboardNeighbourhood(BaseModel):
    id: int
    name: str


class HeadlineFigures(BaseModel):
    """Of the referrals made (sent) in the period: how many, and how they went."""

    made: Count
    accepted: Count
    declined: Count
    completed: Count
    acceptance_rate: Rate = Field(description="Accepted ÷ answered (accepted or declined)")
    median_days_to_accept: Days
    median_days_to_complete: Days
    overdue_now: Count = Field(description="Waiting for a reply past the due date, now")
    unmet_need: Count = Field(description="Declined for lack of capacity, plus no suitable service")


class WeekRow(BaseModel):
    week_starting: date
    made: Count
    accepted: Count
    declined: Count
    completed: Count


class NeedRow(BaseModel):
    need: str
    need_slug: str
    made: Count


class SectorRow(BaseModel):
    sector: str
    sector_code: Literal["nhs", "council", "vcse", "other"]
    made: Count
    share: Rate


class ServiceRow(BaseModel):
    service: str
    service_id: int | None = Field(description="null for the row of all other services")
    organisation: str
    made: Count


class UnmetRow(BaseModel):
    need: str
    need_slug: str
    declined_for_capacity: Count
    no_suitable_service: Count
    total: Count


class UnmetTotal(BaseModel):
    declined_for_capacity: Count
    no_suitable_service: Count
    total: Count


class UnmetNeedTable(BaseModel):
    rows: list[UnmetRow]
    total: UnmetTotal


class CapacityRow(BaseModel):
    """Directory facts, public to every partner: never withheld."""

    status: str
    status_code: Literal["open", "limited", "waitlist", "full", "closed"]
    services: int
    places_available: int | None = Field(description="null: none of them counts places")
    stale: int = Field(description="Capacity not posted in the last 7 days, or never posted")


class CapacityTotal(BaseModel):
    services: int
    places_available: int | None
    stale: int


class CapacityTable(BaseModel):
    rows: list[CapacityRow]
    total: CapacityTotal


class ComparisonRow(HeadlineFigures):
    neighbourhood: str
    neighbourhood_id: int


class DashboardDocument(BaseModel):
    """A neighbourhood's dashboard: aggregates only, no personal data, no free text.

    The totals of the weekly trend and of demand by need, by sector and by service are the
    headline figures.
    """

    neighbourhood: DashboardNeighbourhood
    period: DashboardPeriod
    headline: HeadlineFigures
    vcse_share: Rate = Field(description="The voluntary and community sector's share")
    weekly_trend: list[WeekRow]
    demand_by_need: list[NeedRow]
    receiving_sector: list[SectorRow]
    busiest_services: list[ServiceRow] = Field(
        description="The five services that received most referrals, then all others"
    )
    unmet_need: UnmetNeedTable
    capacity_now: CapacityTable
    neighbourhoods: list[ComparisonRow] = Field(description="Every neighbourhood, compared")


def _api_value(value, kind: str):
    if kind == RATE and isinstance(value, float):
        return round(value, 3)
    return value


def _rows(table: Table) -> list[dict]:
    kinds = {column.key: column.kind for column in table.columns}
    return [
        {key: _api_value(value, kinds.get(key, "")) for key, value in row.items()}
        for row in table.rows
    ]


def _headline(headline: dict) -> dict:
    return headline | {"acceptance_rate": _api_value(headline["acceptance_rate"], RATE)}


def _total(table: Table) -> dict:
    label = table.label_column.key
    return {key: value for key, value in (table.total or {}).items() if key != label}


@api.get("/neighbourhoods/<int:neighbourhood_id>/dashboard")
@documented(
    "get",
    "/neighbourhoods/{neighbourhood_id}/dashboard",
    summary="A neighbourhood's dashboard (its leads and admins), small numbers withheld",
    tag="Dashboards",
    query=DashboardQuery,
    responses={
        200: ("The dashboard's figures", DashboardDocument),
        404: ("No such neighbourhood, or not yours to see", ProblemDocument),
        422: ("Dates that are not real, not in order, or in the future", ProblemDocument),
    },
)
def get_dashboard(neighbourhood_id: int):
    neighbourhood = dashboard_neighbourhood(api_user(), neighbourhood_id)
    if neighbourhood is None:
        raise Problem(404, "Not found", "There is no such neighbourhood whose dashboard you lead.")
    query = query_args(DashboardQuery)
    try:
        period = periods.from_to(query.from_, query.to)
    except PeriodError as error:
        raise Problem(
            422,
            "Invalid period",
            str(error),
            errors=[
                {"field": field, "message": message} for field, message in error.errors.items()
            ],
        ) from None
    dashboard = publish(dashboard_figures(neighbourhood, period))
    tables = dashboard.tables
    # The tables' rows are dicts keyed by column: the document checks them as it reads them.
    document = DashboardDocument.model_validate(
        {
            "neighbourhood": {"id": neighbourhood.id, "name": neighbourhood.name},
            "period": {"from": period.start, "to": period.end},
            "headline": _headline(dashboard.headline),
            "vcse_share": _api_value(dashboard.vcse_share, RATE),
            "weekly_trend": _rows(tables["weekly-trend"]),
            "demand_by_need": _rows(tables["demand-by-need"]),
            "receiving_sector": _rows(tables["receiving-sector"]),
            "busiest_services": _rows(tables["busiest-services"]),
            "unmet_need": {
                "rows": _rows(tables["unmet-need"]),
                "total": _total(tables["unmet-need"]),
            },
            "capacity_now": {
                "rows": _rows(tables["capacity-now"]),
                "total": _total(tables["capacity-now"]),
            },
            "neighbourhoods": _rows(tables["neighbourhoods"]),
        }
    )
    return jsonify(document.model_dump(mode="json", by_alias=True))
