"""Smoke test of `make bench`'s parts (tiny N, SQLite): it checks shape, never timings."""

import json
import math

import pytest
from sqlalchemy import func, select

from bench.stats import Row, Summary, Target, judge, percentile, render_results, table
from partnership.extensions import db
from partnership.models import (
    Consent,
    Event,
    Message,
    Organisation,
    Referral,
    ReferralStatus,
    Resident,
    Service,
    User,
)
from partnership.sample.bench import generate, write_info
from partnership.sample.bench.loading import RealData
from partnership.sample.bench.referrals import choose_inbox_organisation
from partnership.sample.bench.scale import Scale

N = 300
STAMP_FOR_STATUS = {
    ReferralStatus.ACCEPTED: "accepted_at",
    ReferralStatus.IN_PROGRESS: "started_at",
    ReferralStatus.REJECTED: "declined_at",
    ReferralStatus.COMPLETED: "completed_at",
    ReferralStatus.CANCELLED: "cancelled_at",
}
LAST_EVENT_FOR_STATUS = {
    ReferralStatus.REQUESTED: {"sent", "opened", "message"},
    ReferralStatus.ACCEPTED: {"accepted", "assigned", "message"},
    ReferralStatus.IN_PROGRESS: {"started", "resumed", "message"},
    ReferralStatus.ON_HOLD: {"held", "message"},
    ReferralStatus.REJECTED: {"declined", "message"},
    ReferralStatus.COMPLETED: {"completed", "message"},
    ReferralStatus.CANCELLED: {"cancelled", "message"},
}


@pytest.fixture
def generated(app, tmp_path):
    result = generate(N, seed=3, show_progress=False)
    return result, write_info(result.info, tmp_path / "bench.json")


def test_bench_data_counts(generated):
    result, _ = generated
    scale = Scale.for_referrals(N)
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Referral) == N
    assert count(Consent) == N
    assert count(Resident) == scale.residents
    assert count(Service) == scale.services
    assert count(Organisation) == scale.organisations
    assert count(Event) == result.counts["events"] >= N  # a sent event each, at least
    assert count(Message) == result.counts["messages"]
    assert sum(result.counts["by_status"].values()) == N


def test_statuses_agree_with_timestamps_and_events(generated):
    referrals = db.session.scalars(select(Referral)).all()
    events: dict[int, list[Event]] = {}
    for event in db.session.scalars(select(Event).order_by(Event.id)):
        events.setdefault(event.referral_id, []).append(event)
    open_pairs = set()
    for referral in referrals:
        timeline = events[referral.id]
        assert timeline[0].kind == "sent"
        assert referral.sent_at is not None
        if stamp := STAMP_FOR_STATUS.get(referral.status):
            assert getattr(referral, stamp) is not None, (referral.status, stamp)
        if referral.status is ReferralStatus.COMPLETED:
            assert referral.outcome is not None
        if referral.status is ReferralStatus.REJECTED:
            assert referral.decline_reason is not None
        assert timeline[-1].kind in LAST_EVENT_FOR_STATUS[referral.status]
        changes = [e for e in timeline if e.to_status is not None]
        assert changes[-1].to_status is referral.status
        times = [e.created_at for e in timeline]
        assert times == sorted(times)
        for event in timeline:
            assert event.to_organisation_id == referral.to_organisation_id
        if referral.status in (
            ReferralStatus.REQUESTED,
            ReferralStatus.ACCEPTED,
            ReferralStatus.IN_PROGRESS,
            ReferralStatus.ON_HOLD,
        ):
            pair = (referral.resident_id, referral.to_service_id)
            assert pair not in open_pairs
            open_pairs.add(pair)
        assert referral.to_organisation_id == referral.to_service.organisation_id


def test_info_file_has_what_the_harness_needs(generated):
    result, path = generated
    info = json.loads(path.read_text())
    assert info["referrals"] == N
    assert set(info["tokens"]) == {"inbox_coordinator", "inbox_caseworker"}
    assert all(token.startswith("pt_") for token in info["tokens"].values())
    for email in info["users"].values():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None and user.email.endswith("@bench.invalid")
    inbox = db.session.get(Organisation, info["inbox_organisation_id"])
    assert inbox is not None and info["inbox_referrals"] > 0
    assert db.session.get(Referral, info["showcase_referral_id"]).to_organisation_id == inbox.id


def test_regenerating_replaces_bench_data(generated):
    generate(50, seed=4, show_progress=False)
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 50


def test_refuses_a_database_with_real_data(app, partnership):
    with pytest.raises(RealData):
        generate(20, show_progress=False)


def test_inbox_organisation_is_the_smallest_above_one_percent():
    expected = {1: 50_000.0, 2: 12_000.0, 3: 9_000.0, 4: 15_000.0}
    assert choose_inbox_organisation(expected, 1_000_000) == 2
    assert choose_inbox_organisation({1: 2.0, 2: 3.0}, 1_000_000) == 2


def test_percentiles():
    values = list(range(1, 101))
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([7.0], 95) == 7.0
    assert math.isnan(percentile([], 50))
    assert percentile([3, 1, 2], 0) == 1 and percentile([3, 1, 2], 100) == 3


def test_results_are_well_formed():
    baseline = Summary.of("baseline", [1.0, 1.2, 1.1, 0.9], 0.01)
    rows = [
        Row("base", "baseline", baseline),
        judge(
            Row(
                "a",
                "(a) inbox | page",
                Summary.of("a", [10.0, 12.0, 80.0], 0.1),
                Target("p95", 50, "p95 ≤ 50 ms"),
            )
        ),
        judge(
            Row(
                "d",
                "(d) dashboard",
                Summary.of("d", [], 1.0),
                Target("median", 150, "median ≤ 150 ms"),
                why="not ready",
            )
        ),
        judge(
            Row(
                "g",
                "(g) streams",
                Summary.of("g", [2.0, 3.0], 1.0),
                Target("ratio_p95", 2.0, "p95 ≤ 2×"),
                reference=Summary.of("idle", [2.0, 2.5], 1.0),
            )
        ),
    ]
    assert [row.outcome for row in rows[1:]] == ["missed", "not measured", "met"]
    lines = table(rows, baseline)
    widths = {line.count("|") for line in lines}
    assert len(widths) == 1  # every row has as many cells as the header
    text = render_results(
        {"date": "2026-01-01", "referrals": N, "run_seconds": 1.0, "cores": 2},
        rows,
        baseline,
        ["a note"],
    )
    assert text.startswith("# `make bench` results")
    for heading in ("## Machine", "## Figures", "## Targets", "## Notes"):
        assert heading in text
    assert "(a) inbox / page" in text  # a pipe in a title cannot break the table
    assert "missed" in text and "not measured" in text
