"""The domain model of DESIGN section 2, one module per aggregate."""

from partnership.models.accounts import ApiToken, Role, SignInLockout, User
from partnership.models.audit import AccessAction, AccessLog, BankHoliday
from partnership.models.drafts import DraftReferral
from partnership.models.organisations import NeedCategory, Neighbourhood, Organisation, Sector
from partnership.models.referrals import (
    ACTIVE_STATUSES,
    CLOSED_STATUSES,
    OPEN_STATUSES,
    SENT_STATUSES,
    Consent,
    ConsentGiver,
    DeclineReason,
    Event,
    Message,
    NeighbourhoodDay,
    Outcome,
    Referral,
    ReferralStatus,
    UnmetNeed,
    Urgency,
)
from partnership.models.residents import ContactMethod, Resident
from partnership.models.services import CapacityStatus, CapacityUpdate, Service, WaitBand

__all__ = [
    "ACTIVE_STATUSES",
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "SENT_STATUSES",
    "AccessAction",
    "AccessLog",
    "ApiToken",
    "BankHoliday",
    "CapacityStatus",
    "CapacityUpdate",
    "Consent",
    "ConsentGiver",
    "ContactMethod",
    "DeclineReason",
    "DraftReferral",
    "Event",
    "Message",
    "NeedCategory",
    "NeighbourhoodDay",
    "Neighbourhood",
    "Organisation",
    "Outcome",
    "Referral",
    "ReferralStatus",
    "Resident",
    "Role",
    "Sector",
    "Service",
    "SignInLockout",
    "UnmetNeed",
    "Urgency",
    "User",
    "WaitBand",
]
