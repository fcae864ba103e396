"""Every code a person can meet has its words, once, in partnership/words.py."""

from datetime import UTC, datetime

import pytest

from partnership import words
from partnership.models import (
    AccessAction,
    AccountAction,
    CapacityStatus,
    ConsentGiver,
    ContactMethod,
    DeclineReason,
    Outcome,
    ReferralStatus,
    Role,
    Sector,
    TokenScope,
    Urgency,
    WaitBand,
)
from partnership.referrals.lifecycle import PAST, Action

WORDS_FOR = [
    (ReferralStatus, words.STATUS),
    (ReferralStatus, words.STATUS_COLOUR),
    (Urgency, words.URGENCY),
    (DeclineReason, words.DECLINE_REASON),
    (Outcome, words.OUTCOME),
    (ConsentGiver, words.CONSENT_GIVER),
    (ContactMethod, words.CONTACT_METHOD),
    (CapacityStatus, words.CAPACITY_STATUS),
    (CapacityStatus, words.CAPACITY_COLOUR),
    (WaitBand, words.WAIT_BAND),
    (Sector, words.SECTOR),
    (Role, words.ROLE),
    (AccessAction, words.ACCESS_ACTION),
    (AccountAction, words.ACCOUNT_ACTION),
    (TokenScope, words.TOKEN_SCOPE),
    (Action, words.ACTION_BUTTON),
    (Action, words.ACTION_DONE),
]


@pytest.mark.parametrize(("codes", "said"), WORDS_FOR, ids=lambda v: getattr(v, "__name__", ""))
def test_every_code_has_words_and_no_words_lack_a_code(codes, said):
    assert set(said) == {member.value for member in codes}
    assert all(said[member] for member in codes)  # members and their codes find the same


def test_every_timeline_event_has_a_title():
    kinds = set(PAST.values()) | {"sent", "opened", "assigned", "message"}
    assert kinds <= set(words.EVENT)


def test_a_declined_referral_is_declined_in_every_sentence():
    """Pages say "Declined": so do the errors and the notifications, never "rejected"."""
    assert words.STATUS[ReferralStatus.REJECTED] == "Declined"
    assert words.event_sentence("declined") == "was declined"
    assert words.event_sentence("held") == "was put on hold"


def test_an_action_someone_else_overtook_says_who_did_what_and_when():
    now = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)
    morning = datetime(2026, 12, 2, 10, 32, tzinfo=UTC)
    assert (
        words.overtaken("declined", "Calder Bank Food Bank", morning, now)
        == "Declined by Calder Bank Food Bank at 10:32am; nothing was changed"
    )
    yesterday = datetime(2026, 12, 1, 16, 5, tzinfo=UTC)
    assert (
        words.overtaken("held", "Calder Bank Food Bank", yesterday, now)
        == "Put on hold by Calder Bank Food Bank on 1 December 2026 at 4:05pm; nothing was changed"
    )
    assert words.overtaken("cancelled", None, morning, now) == (
        "Cancelled at 10:32am; nothing was changed"
    )


def test_today_is_the_uk_day_whatever_the_utc_date():
    # 11:30pm UTC on 1 July is half past midnight on 2 July in the UK (summer time).
    late = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    assert words.when_words(late, datetime(2026, 7, 2, 9, 0, tzinfo=UTC)) == "at 12:30am"
    assert words.when_words(late, datetime(2026, 7, 1, 22, 0, tzinfo=UTC)) == (
        "on 2 July 2026 at 12:30am"
    )
