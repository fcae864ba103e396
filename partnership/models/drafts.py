"""A referral being made: the answers so far, kept here rather than in the browser.

Personal data: the answers name the resident. Only the user who made a draft may load it
(partnership.referrals.draft), and abandoned drafts are removed after DRAFT_KEEP_DAYS.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from partnership import clock
from partnership.columns import BigIntId
from partnership.models.base import Model


class DraftReferral(Model):
    __tablename__ = "draft_referrals"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    # The answers as partnership.referrals.draft keeps them: ids and what was typed.
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # When an answer last changed: the purge of abandoned drafts reads it.
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
