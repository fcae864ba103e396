"""A service's page, its capacity history, and coordinators managing their services."""

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from partnership import clock
from partnership.access import may_manage_service, receives_referrals, requires_role
from partnership.extensions import db, htmx
from partnership.forms import ConfirmForm, came_from, local_path
from partnership.models import (
    CapacityStatus,
    CapacityUpdate,
    NeedCategory,
    Role,
    Service,
)
from partnership.services import organisation_services
from partnership.services.capacity import (
    CapacityError,
    capacity_words,
    close_service,
    freshness_words,
    is_posted,
    is_stale,
    places_words,
    post_capacity,
)
from partnership.services.forms import (
    STATUS_HINTS,
    CapacityForm,
    CompactCapacityForm,
    ServiceForm,
)
from partnership.words import local_time

services = Blueprint("services", __name__, url_prefix="/services")

HISTORY_LENGTH = 20
# Where an htmx capacity post came from, and so which partial goes back in its place.
PARTIALS = {
    "row": "partials/service-row.html",
    "summary": "partials/service-capacity.html",
}


@dataclass(frozen=True)
class CapacitySummary:
    """A service's capacity in words, for its row and its page."""

    places: str
    updated: str
    updated_by: str | None
    posted: bool
    stale: bool


@services.app_template_global()
def capacity_summary(service: Service) -> CapacitySummary:
    now = clock.now()
    places = places_words(service.places_available)
    return CapacitySummary(
        places=places[0].upper() + places[1:],
        updated=freshness_words(service, now),
        updated_by=service.capacity_updated_by.name if service.capacity_updated_by else None,
        posted=is_posted(service),
        stale=is_stale(service, now),
    )


@services.app_template_global()
def capacity_form(service: Service) -> CompactCapacityForm:
    """The one-step capacity form for a row of the services table, filled in as things are."""
    return CompactCapacityForm(formdata=None).fill_from(service)


def _service_or_404(service_id: int) -> Service:
    return db.session.get(Service, service_id) or abort(404)


def _managed_or_404(service_id: int) -> Service:
    """The service, if the signed-in user may change it; anyone else is told it is not there."""
    service = _service_or_404(service_id)
    if not may_manage_service(current_user, service):
        abort(404)
    return service


@dataclass(frozen=True)
class HistoryRow:
    posted: str
    capacity: str
    note: str
    by: str | None


def _history(service: Service) -> list[HistoryRow]:
    """The latest capacity posts, newest first."""
    posts = db.session.scalars(
        select(CapacityUpdate)
        .options(selectinload(CapacityUpdate.posted_by))
        .where(CapacityUpdate.service_id == service.id)
        .order_by(CapacityUpdate.posted_at.desc(), CapacityUpdate.id.desc())
        .limit(HISTORY_LENGTH)
    )
    return [
        HistoryRow(
            posted=local_time(post.posted_at),
            capacity=capacity_words(post.status, post.places_available, post.wait_band),
            note=post.note,
            by=post.posted_by.name if post.posted_by else None,
        )
        for post in posts
    ]


@services.route("")
@requires_role(Role.COORDINATOR)
def mine():
    """A coordinator's own organisation's services, each with its capacity form."""
    return render_template(
        "views/services/mine.html",
        services=organisation_services(current_user.organisation_id),
    )


@services.route("/<int:service_id>")
@login_required
def service(service_id: int):
    service = _service_or_404(service_id)
    manages = may_manage_service(current_user, service)
    # Links here say where they came from (the directory's search, a referral): back to it.
    back = came_from(url_for("services.mine") if manages else url_for("directory.search"))
    return render_template(
        "views/services/service.html",
        service=service,
        history=_history(service),
        manages=manages,
        back=back,
        this_page=url_for("services.service", service_id=service.id, back=back),
        form=CapacityForm(formdata=None).fill_from(service) if manages else None,
        status_hints=STATUS_HINTS,
        takes_referrals=receives_referrals(service.organisation_id),
    )


@services.route("/<int:service_id>/capacity", methods=["GET", "POST"])
@login_required
def capacity(service_id: int):
    """The one-step capacity post, from the service page, the home page or the services list.

    Without JavaScript it redirects back with a banner; with htmx it sends back the
    row or summary it came from. Bad input comes back in place, and nothing is written.
    """
    service = _managed_or_404(service_id)
    next_page = local_path(request.args.get("next"))
    partial = PARTIALS.get(request.args.get("partial", "")) if htmx else None
    compact = partial == PARTIALS["row"]
    form = (CompactCapacityForm if compact else CapacityForm)()
    if request.method == "GET":
        form.fill_from(service)
    elif form.validate_on_submit():
        status = form.status.data
        # The wait is a visible field beside every status: it only means something for
        # a waiting list, so a choice left over from before is not held against anyone.
        wait_band = form.wait_band.data if status == CapacityStatus.WAITLIST.value else None
        try:
            post_capacity(
                service, current_user, status, form.places.data, wait_band, form.note.data
            )
        except CapacityError as error:
            for field, message in error.errors.items():
                form[field].errors.append(message)
        else:
            db.session.commit()
            posted = capacity_words(
                service.capacity_status, service.places_available, service.wait_band
            )
            if partial:
                return render_template(
                    partial,
                    service=service,
                    history=_history(service),
                    manages=True,
                    form=CapacityForm(formdata=None).fill_from(service),
                    next_page=next_page,
                    posted=posted,
                    status_hints=STATUS_HINTS,
                )
            flash(f"Posted capacity for {service.name}: {posted}", "success")
            return redirect(next_page or url_for("services.service", service_id=service.id))
    if partial:
        return render_template(
            partial,
            service=service,
            history=_history(service),
            manages=True,
            form=form,
            row_form=form,
            next_page=next_page,
            status_hints=STATUS_HINTS,
        )
    return render_template(
        "views/services/post-capacity.html",
        service=service,
        form=form,
        next_page=next_page,
        status_hints=STATUS_HINTS,
    )


@services.route("/<int:service_id>/close", methods=["POST"])
@login_required
def close(service_id: int):
    service = _managed_or_404(service_id)
    if ConfirmForm().validate_on_submit():
        close_service(service, current_user)
        db.session.commit()
        flash(
            f"Closed {service.name}. To open it again, post its capacity.",
            "success",
        )
    return redirect(url_for("services.service", service_id=service.id))


def _service_form_choices(form: ServiceForm) -> None:
    """Needs from the taxonomy; neighbourhoods only among those the organisation serves."""
    needs = db.session.scalars(select(NeedCategory).order_by(NeedCategory.name))
    form.needs.choices = [SelectChoice(need.id, need.name) for need in needs]
    form.neighbourhoods.choices = [
        SelectChoice(n.id, n.name) for n in current_user.organisation.neighbourhoods
    ]


def _apply_service_form(form: ServiceForm, service: Service) -> None:
    service.name = form.name.data
    service.description = form.description.data or ""
    chosen_needs = set(form.needs.data or [])
    service.needs = list(
        db.session.scalars(select(NeedCategory).where(NeedCategory.id.in_(chosen_needs)))
    )
    chosen_areas = set(form.neighbourhoods.data or [])
    service.neighbourhoods = [
        n for n in current_user.organisation.neighbourhoods if n.id in chosen_areas
    ]
    service.min_age = int(form.min_age.data) if form.min_age.data else None
    service.max_age = int(form.max_age.data) if form.max_age.data else None
    service.eligibility_notes = form.eligibility_notes.data or ""
    service.contact_email = form.contact_email.data or None
    service.contact_phone = form.contact_phone.data or None
    website = form.website.data or None
    if website and not website.lower().startswith(("http://", "https://")):
        website = "https://" + website
    service.website = website
    service.referral_instructions = form.referral_instructions.data or ""


@services.route("/new", methods=["GET", "POST"])
@requires_role(Role.COORDINATOR)
def new_service():
    """A coordinator adds a service to their own organisation, and only to it."""
    form = ServiceForm()
    _service_form_choices(form)
    if form.validate_on_submit():
        service = Service(organisation_id=current_user.organisation_id)
        _apply_service_form(form, service)
        db.session.add(service)
        # A new service starts open and not limited by places, and its history says so; its
        # capacity reads "not posted yet" until a coordinator posts it.
        post_capacity(
            service, current_user, CapacityStatus.OPEN, None, None, "Service added", starting=True
        )
        db.session.commit()
        flash(f"Added {service.name}. Post its capacity below to keep it current.", "success")
        return redirect(url_for("services.service", service_id=service.id))
    return render_template("views/services/edit-service.html", form=form, service=None)


@services.route("/<int:service_id>/edit", methods=["GET", "POST"])
@login_required
def edit_service(service_id: int):
    service = _managed_or_404(service_id)
    form = ServiceForm(obj=service)
    _service_form_choices(form)
    if request.method == "GET":
        form.needs.data = [need.id for need in service.needs]
        form.neighbourhoods.data = [n.id for n in service.neighbourhoods]
        form.min_age.data = "" if service.min_age is None else str(service.min_age)
        form.max_age.data = "" if service.max_age is None else str(service.max_age)
    if form.validate_on_submit():
        _apply_service_form(form, service)
        db.session.commit()
        flash(f"Saved {service.name}", "success")
        return redirect(url_for("services.service", service_id=service.id))
    return render_template("views/services/edit-service.html", form=form, service=service)
