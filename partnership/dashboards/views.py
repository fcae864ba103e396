"""Dashboard pages, their CSV files and the counters that the live stream refreshes.

Every address here checks the same thing first: the neighbourhood's leads and admins may
look, and anyone else gets 404, whatever else is wrong with the request.
"""

import re
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from partnership.access import (
    dashboard_neighbourhood,
    dashboard_neighbourhoods,
    may_see_dashboard,
    requires_role,
)
from partnership.dashboards import periods
from partnership.dashboards.charts import charts_for
from partnership.dashboards.figures import dashboard_figures, headline_figures
from partnership.dashboards.periods import PeriodError
from partnership.dashboards.tables import (
    TABLE_KEYS,
    csv_text,
    displayed,
    publish,
    published_headline,
    shown_rows,
)
from partnership.fragments import rendered, rendered_once
from partnership.models import Neighbourhood, Role

dashboards = Blueprint("dashboards", __name__)


@dashboards.app_template_global()
def dashboard_figure(value, kind: str) -> str:
    """A published figure as the page shows it ("<5", "85%", "1,234")."""
    return displayed(value, kind)


@dashboards.app_template_global()
def dashboard_rows(table, columns) -> list:
    """A published table's rows with their cells as shown (partials/dashboard-table.html)."""
    return shown_rows(table, tuple(columns))


def _neighbourhood_or_404(neighbourhood_id: int) -> Neighbourhood:
    neighbourhood = dashboard_neighbourhood(current_user, neighbourhood_id)
    if neighbourhood is None:
        abort(404)
    return neighbourhood


def _date_inputs(field: str, day: date) -> dict:
    return {f"{field}-day": day.day, f"{field}-month": day.month, f"{field}-year": day.year}


def _form_values(period: periods.Period | None) -> dict[str, str]:
    """What the period form shows: the period chosen, or what was typed if it was wrong
    (ISO dates from an address go into the date inputs)."""
    if period is None:
        typed = request.args.to_dict()
        for field in periods.DATE_FIELDS:
            if day := periods.iso_date(typed.get(field) or ""):
                typed |= _date_inputs(field, day)
        return typed
    if period.weeks:
        return {"weeks": str(period.weeks)}
    return {"weeks": "dates"} | _date_inputs("from", period.start) | _date_inputs("to", period.end)


def period_form(neighbourhood: Neighbourhood, entered: dict, errors: dict) -> Markup:
    """The period form; while it has no errors, rendered once per neighbourhood and choice
    (every lead's page shows one of a handful: 4, 12 or 52 weeks, or dates)."""
    context = {"neighbourhood": neighbourhood, "entered": entered, "errors": errors}
    if errors:
        return rendered("partials/dashboard-period.html", **context)
    key = (neighbourhood.id, tuple(sorted((k, str(v)) for k, v in entered.items())))
    return rendered_once(key, "partials/dashboard-period.html", **context)


@dashboards.route("/dashboards")
@requires_role(Role.LEAD, Role.ADMIN)
def index():
    """A lead with one neighbourhood goes straight to its dashboard."""
    neighbourhoods = dashboard_neighbourhoods(current_user)
    if current_user.role is Role.LEAD and len(neighbourhoods) == 1:
        return redirect(url_for(".dashboard", neighbourhood_id=neighbourhoods[0].id))
    return render_template("views/dashboards/index.html", neighbourhoods=neighbourhoods)


@dashboards.route("/neighbourhoods/<int:neighbourhood_id>/dashboard")
@requires_role(Role.LEAD, Role.ADMIN)
def dashboard(neighbourhood_id: int):
    neighbourhood = _neighbourhood_or_404(neighbourhood_id)
    try:
        period = periods.requested(request.args)
    except PeriodError as error:
        return render_template(
            "views/dashboards/dashboard.html",
            neighbourhood=neighbourhood,
            errors=error.errors,
            period_form=period_form(neighbourhood, _form_values(None), error.errors),
        )
    published = publish(dashboard_figures(neighbourhood, period))
    compared = published.tables["neighbourhoods"].rows
    return render_template(
        "views/dashboards/dashboard.html",
        neighbourhood=neighbourhood,
        dashboard=published,
        headline=published.headline,
        linked_neighbourhoods={
            row["neighbourhood_id"]
            for row in compared
            if may_see_dashboard(current_user, row["neighbourhood_id"])
        },
        period=period,
        charts=charts_for(published),
        errors={},
        period_form=period_form(neighbourhood, _form_values(period), {}),
    )


@dashboards.route("/neighbourhoods/<int:neighbourhood_id>/dashboard/counters")
@requires_role(Role.LEAD, Role.ADMIN)
def counters(neighbourhood_id: int):
    """Just the headline counters, for the live stream to swap in."""
    neighbourhood = _neighbourhood_or_404(neighbourhood_id)
    try:
        period = periods.requested(request.args)
    except PeriodError as error:
        return Response(str(error), status=400, mimetype="text/plain")
    return render_template(
        "partials/dashboard-counters.html",
        neighbourhood=neighbourhood,
        headline=published_headline(headline_figures(neighbourhood, period)),
        period=period,
    )


def _file_name(neighbourhood: Neighbourhood, table: str, period: periods.Period) -> str:
    place = re.sub(r"[^a-z0-9]+", "-", neighbourhood.name.lower()).strip("-") or "neighbourhood"
    return f"{place}-{table}-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"


@dashboards.route("/neighbourhoods/<int:neighbourhood_id>/dashboard/<name>.csv")
@requires_role(Role.LEAD, Role.ADMIN)
def table_csv(neighbourhood_id: int, name: str):
    """One of the dashboard's tables as a CSV file, withheld exactly as on the page."""
    neighbourhood = _neighbourhood_or_404(neighbourhood_id)
    if name not in TABLE_KEYS:
        abort(404)
    try:
        period = periods.requested(request.args)
    except PeriodError as error:
        return Response(str(error), status=400, mimetype="text/plain")
    table = publish(dashboard_figures(neighbourhood, period)).tables[name]
    return Response(
        csv_text(table),
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{_file_name(neighbourhood, name, period)}"'
            )
        },
    )
