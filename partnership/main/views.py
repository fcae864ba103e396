"""Home pages by role, and the pages every service has (accessibility, cookies, health)."""

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user

from partnership import access
from partnership.extensions import csrf
from partnership.main import health
from partnership.main import home as pages
from partnership.models import Role
from partnership.problems import problem
from partnership.services import organisation_services

main = Blueprint("main", __name__)


@main.route("/")
def home():
    """Each role lands on its own home page; anyone signed out goes to sign in."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    user = current_user
    if user.role is Role.ADMIN:
        return render_template("views/main/home-admin.html", summary=pages.partnership_summary())
    if user.role is Role.LEAD:
        return render_template(
            "views/main/home-lead.html",
            overview=pages.neighbourhood_overview(access.dashboard_neighbourhoods(user)),
        )
    services = organisation_services(user.organisation_id)
    return render_template(
        f"views/main/home-{user.role.value}.html",
        referrals=pages.referral_summary(user.organisation_id),
        services=services,
    )


@main.route("/accessibility")
def accessibility():
    return render_template("views/main/accessibility.html")


@main.route("/cookies")
def cookies():
    return render_template("views/main/cookies.html")


@main.route("/healthz")
@csrf.exempt  # probes carry no session and no token
def healthz():
    """For load balancers and monitors: no sign-in, nothing about the failure but its name."""
    checks = health.checks()
    if not health.healthy(checks):
        return problem(
            503,
            "Service unavailable",
            "A service this instance needs is not answering.",
            checks=checks,
        )
    return jsonify(status="ok", checks=checks)
