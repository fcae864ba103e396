"""The demo partnership of DESIGN section 8: a fictional partnership in a northern English city.

Every name here is invented. Seeding is idempotent: run it as often as you like. The steps,
each a module: partners (neighbourhoods, organisations, demo logins), services (with their
capacity histories), then referrals (residents and six months of referrals, made up in
residents, showcase, crowd and plans, and played through the rules in playing).
"""

from datetime import timedelta

from sqlalchemy import func, select, update

from partnership import clock
from partnership.extensions import db
from partnership.models import Event, User
from partnership.reference import seed_reference_data
from partnership.sample.demo.partners import DEMO_USERS, DemoUser, seed_partners
from partnership.sample.demo.referrals import seed_demo_referrals
from partnership.sample.demo.services import seed_demo_services


def seed_demo(*, with_referrals: bool = True) -> list[DemoUser]:
    """Create what is missing of the demo partnership; return the logins to show."""
    seed_reference_data()
    seed_partners()
    seed_demo_services()
    db.session.commit()
    if with_referrals:
        seed_demo_referrals()
        _mark_old_news_seen()
    return [user for user in DEMO_USERS if user.shown_at_start]


def _mark_old_news_seen() -> None:
    """Demo logins start with the last two days' events unread, not months of history."""
    cutoff = clock.now() - timedelta(days=2)
    seen = db.session.scalar(select(func.max(Event.id)).where(Event.created_at < cutoff))
    db.session.execute(
        update(User)
        .where(User.email.like("%@demo.example"), User.notifications_seen_event_id.is_(None))
        .values(notifications_seen_event_id=seen)
    )
    db.session.commit()
