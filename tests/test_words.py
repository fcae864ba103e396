"""Every code a person can meet has its words, once, in partnership/words.py."""

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
