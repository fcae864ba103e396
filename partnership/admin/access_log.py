"""The access log as administrators read it: who viewed, exported or changed a resident's data.

Filtered by user or by a referral's reference, which stands for its resident. Rows name the
person who looked and what they looked at, never the resident: admins run the partnership's
structure, not its cases (DESIGN section 4).
"""

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from partnership import words
from partnership.extensions import db
from partnership.models import AccessLog, Organisation, Referral, User
from partnership.models.accounts import normalise_email

PER_PAGE = 50


@dataclass(frozen=True)
class AccessRow:
    at: datetime
    who: str
    organisation: str
    action: str
    what: str
    reference: str | None


@dataclass(frozen=True)
class AccessLogPage:
    rows: list[AccessRow]
    total: int
    number: int
    pages: int
    # Why nothing is listed, when a filter names no one: "No user has the email address …".
    problem: str | None = None


def _empty(problem: str) -> AccessLogPage:
    return AccessLogPage(rows=[], total=0, number=1, pages=1, problem=problem)


def access_log_page(*, email: str = "", reference: str = "", page: int = 1) -> AccessLogPage:
    """One page of the log, newest first, for a user's email and/or a referral's resident.

    A page past the end shows the last page, so a link kept from a longer log still works.
    """
    where = []
    email = normalise_email(email or "")
    if email:
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        if user_id is None:
            return _empty(f"No user has the email address {email}")
        where.append(AccessLog.user_id == user_id)
    reference = (reference or "").strip().upper()
    if reference:
        resident_id = db.session.scalar(
            select(Referral.resident_id).where(Referral.reference == reference)
        )
        if resident_id is None:
            return _empty(f"No referral has the reference {reference}")
        where.append(AccessLog.resident_id == resident_id)

    total = db.session.execute(
        select(func.count()).select_from(AccessLog).where(*where)
    ).scalar_one()
    pages = max(1, math.ceil(total / PER_PAGE))
    number = min(max(page, 1), pages)
    rows = db.session.execute(
        select(
            AccessLog.at,
            User.name,
            Organisation.name,
            AccessLog.action,
            AccessLog.what,
            Referral.reference,
        )
        .outerjoin(User, User.id == AccessLog.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(Referral, Referral.id == AccessLog.referral_id)
        .where(*where)
        .order_by(AccessLog.at.desc(), AccessLog.id.desc())
        .limit(PER_PAGE)
        .offset((number - 1) * PER_PAGE)
    )
    return AccessLogPage(
        rows=[
            AccessRow(
                at=at,
                who=name or "A removed user",
                organisation=organisation or "",
                action=words.ACCESS_ACTION[action],
                what=what,
                reference=ref,
            )
            for at, name, organisation, action, what, ref in rows
        ],
        total=total,
        number=number,
        pages=pages,
    )
