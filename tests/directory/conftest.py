"""Helpers for the directory tests: needs, services and referrals made directly with the models."""

import re
from datetime import date, datetime, timedelta
from itertools import count

import pytest

from partnership import clock
from partnership.extensions import db
from partnership.models import (
    CapacityStatus,
    NeedCategory,
    Referral,
    ReferralStatus,
    Resident,
    Role,
    Service,
    Urgency,
)

_references = count(1)


@pytest.fixture
def directory(partnership):
    """The test partnership with two needs and a resident to refer."""
    partnership.food = NeedCategory(slug="food", name="Food")
    partnership.housing = NeedCategory(slug="housing", name="Housing")
    partnership.resident = Resident(
        given_name="Rita",
        family_name="Resident",
        date_of_birth=date(1955, 3, 1),
        neighbourhood=partnership.north,
        created_by_organisation=partnership.surgery,
    )
    db.session.add_all([partnership.food, partnership.housing, partnership.resident])
    db.session.commit()
    return partnership


@pytest.fixture
def make_service(directory):
    """make_service("Name", **fields): by default an open food service in Northside, its
    capacity posted just now by the pantry's coordinator."""

    def make(name, **fields):
        fields.setdefault("organisation", directory.pantry)
        fields.setdefault("capacity_updated_by", directory.users[Role.COORDINATOR])
        fields.setdefault("needs", [directory.food])
        fields.setdefault("neighbourhoods", [directory.north])
        fields.setdefault("capacity_status", CapacityStatus.OPEN)
        service = Service(name=name, **fields)
        db.session.add(service)
        db.session.commit()
        return service

    return make


@pytest.fixture
def make_referrals(directory):
    """make_referrals(service, response=timedelta(days=1), accepted=3, declined=2, ...).

    Each referral is sent `sent_ago` before now and answered `response` later (a list
    gives one response time per referral). Answered referrals are closed (completed or
    rejected) so that one resident can have many.
    """

    def make(
        service,
        *,
        accepted=0,
        declined=0,
        unanswered=0,
        response: timedelta | list[timedelta] = timedelta(days=1),
        sent_ago=timedelta(days=10),
        now: datetime | None = None,
    ):
        sent_at = (now or clock.now()) - sent_ago
        total = accepted + declined
        responses = response if isinstance(response, list) else [response] * total
        assert len(responses) == total
        outcomes = [True] * accepted + [False] * declined
        referrals = []
        for was_accepted, took in zip(outcomes, responses, strict=True):
            referral = new_referral(directory, service, sent_at)
            if was_accepted:
                referral.status = ReferralStatus.COMPLETED
                referral.accepted_at = sent_at + took
            else:
                referral.status = ReferralStatus.REJECTED
                referral.declined_at = sent_at + took
            referrals.append(referral)
        for _ in range(unanswered):
            referral = new_referral(directory, service, sent_at)
            referral.status = ReferralStatus.CANCELLED
            referral.cancelled_at = sent_at + timedelta(days=1)
            referrals.append(referral)
        db.session.add_all(referrals)
        db.session.commit()
        return referrals

    return make


def new_referral(directory, service, sent_at) -> Referral:
    return Referral(
        reference=f"REF-2026-{next(_references):06d}",
        resident=directory.resident,
        need=directory.food,
        from_organisation=directory.surgery,
        from_user=directory.users[Role.CASEWORKER],
        to_service=service,
        to_organisation=service.organisation,
        neighbourhood=directory.north,
        urgency=Urgency.ROUTINE,
        summary="Needs a food parcel",
        created_at=sent_at,
        sent_at=sent_at,
    )


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def result_names(response) -> list[str]:
    """The services listed in the directory's results, in order."""
    return re.findall(
        r'<h3 class="govuk-heading-s[^"]*"><a class="govuk-link" '
        r'href="/services/\d+(?:\?[^"]*)?">([^<]+)</a>',
        page_text(response),
    )


def result_entry(response, name: str) -> str:
    """The HTML of one service's entry in the results."""
    entries = page_text(response).split('<li class="govuk-!-margin-bottom-6">')[1:]
    matching = [entry for entry in entries if f">{name}</a>" in entry]
    assert len(matching) == 1, f"{name} is not in the results once"
    return matching[0].split("</li>")[0]


def suggested_names(response) -> list[str]:
    """The services under "Suggested for this resident", in order."""
    page = page_text(response)
    section = re.search(r"Suggested for this resident</h2>(.*?)<h2", page, re.DOTALL)
    assert section, "no suggestions on the page"
    return re.findall(
        r'<a class="govuk-link" href="/services/\d+(?:\?[^"]*)?">([^<]+)</a>', section.group(1)
    )
