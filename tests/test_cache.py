"""The shared cache: chosen by configuration, forgotten by the after-commit hook whenever a
commit writes what kept figures count, and shared by every instance through Redis."""

import html
import re
import uuid
from datetime import timedelta

import pytest
import redis
from cachelib.serializers import RedisSerializer
from markupsafe import Markup
from sqlalchemy import text, update

from partnership import cache, clock, create_app
from partnership.dashboards.figures import Headline, Need
from partnership.directory.record import ResponseRecord
from partnership.extensions import db
from partnership.models import AccessAction, AccessLog, Referral, ReferralStatus, Role
from tests import factories
from tests.conftest import IN_CI, REDIS_URL, Client, sign_in_as

# Choosing the store


def test_redis_when_redis_url_is_set_else_in_process_unless_chosen():
    base = {"CACHE_SECONDS": 60, "CACHE_KEY_PREFIX": "p:", "CACHE_TYPE": None}
    assert cache.settings(base | {"REDIS_URL": None})["CACHE_TYPE"] == "SimpleCache"
    shared = cache.settings(base | {"REDIS_URL": "redis://cache.example:6379/2"})
    assert shared["CACHE_TYPE"] == "RedisCache"
    assert shared["CACHE_REDIS_URL"] == "redis://cache.example:6379/2"
    assert shared["CACHE_DEFAULT_TIMEOUT"] == 60
    chosen = base | {"CACHE_TYPE": "SimpleCache", "REDIS_URL": "redis://cache.example"}
    assert cache.settings(chosen)["CACHE_TYPE"] == "SimpleCache"


def test_a_cache_that_keeps_for_ever_is_refused():
    # Flask-Caching reads a timeout of 0 as "never expires", not as "keep nothing".
    with pytest.raises(ValueError, match="CACHE_SECONDS"):
        cache.settings({"CACHE_SECONDS": 0, "CACHE_KEY_PREFIX": "p:", "REDIS_URL": None})


def test_the_tests_keep_values_in_process(app):
    assert type(cache.store.cache).__name__ == "SimpleCache"


def test_what_is_kept_survives_the_trip_through_redis():
    serializer = RedisSerializer()
    headline = Headline(made=12, accepted=7, no_suitable_service={Need(1, "food", "Food"): 3})
    for value in (
        {4: headline},
        {9: ResponseRecord(6, 5, 3600.0)},
        Markup('<select name="need"></select>'),
    ):
        kept = serializer.loads(serializer.dumps(value))
        assert kept == value and type(kept) is type(value)


def test_a_fragment_is_rendered_once_for_its_key_and_outlives_changes(partnership):
    renders = []

    def render():
        renders.append(1)
        return Markup("<form></form>")

    assert cache.kept_fragment(("filters", 1), render) == "<form></form>"
    factories.referral(partnership)
    db.session.commit()  # fragments hold nothing counted: their key is all they show
    assert cache.kept_fragment(("filters", 1), render) == "<form></form>"
    assert len(renders) == 1
    cache.kept_fragment(("filters", 2), render)
    assert len(renders) == 2


def test_a_new_release_never_reads_what_an_older_one_kept(app, monkeypatch):
    cache.kept_figures("comparison", (1,), lambda: "kept by the old release")
    monkeypatch.setattr(cache, "fingerprint", lambda: "newrelease")
    assert cache.kept_figures("comparison", (1,), lambda: "counted") == "counted"


# Forgetting: the after-commit hook


def test_a_commit_that_writes_a_referral_forgets_the_figures(partnership):
    before = cache.generation()
    factories.referral(partnership)
    assert cache.generation() == before  # not until the commit
    db.session.commit()
    assert cache.generation() != before


def test_an_update_statement_is_seen_as_a_write(partnership):
    referral = factories.referral(partnership)
    db.session.commit()
    before = cache.generation()
    db.session.execute(
        update(Referral).where(Referral.id == referral.id).values(status=ReferralStatus.ACCEPTED)
    )
    db.session.commit()
    assert cache.generation() != before


def test_sql_text_may_write_anything_unless_it_only_reads(partnership):
    before = cache.generation()
    db.session.execute(text("SELECT count(*) FROM referrals"))
    db.session.commit()
    assert cache.generation() == before
    db.session.execute(text("UPDATE organisations SET name = name"))
    db.session.commit()
    assert cache.generation() != before


def test_writes_nothing_kept_reads_keep_the_figures(partnership):
    before = cache.generation()
    partnership.users[Role.LEAD].name = "Lee Renamed"
    resident = factories.resident(partnership.north, partnership.surgery)
    db.session.add(
        AccessLog(
            user=partnership.users[Role.LEAD],
            resident_id=resident.id,
            action=AccessAction.VIEW,
            what="resident page",
        )
    )
    db.session.commit()
    assert cache.generation() == before


def test_a_write_rolled_back_is_forgotten_at_the_next_commit_at_worst(partnership):
    before = cache.generation()
    factories.referral(partnership)
    db.session.rollback()
    assert cache.generation() == before  # nothing committed, nothing said
    db.session.commit()
    assert cache.generation() != before  # an extra recount, never a stale figure


def test_an_unreachable_cache_costs_a_recount_not_an_error(app, monkeypatch):
    def down(*_args, **_kwargs):
        raise redis.ConnectionError("Connection refused")

    for name in ("get", "get_many", "set", "set_many", "add"):
        monkeypatch.setattr(cache.store, name, down)
    assert cache.kept_figures("comparison", (1,), lambda: {1: "counted"}) == {1: "counted"}
    assert cache.kept_each("response-record", [1, 2], lambda ids: dict.fromkeys(ids, 0)) == {
        1: 0,
        2: 0,
    }
    assert cache.kept_fragment(("form",), lambda: Markup("<form>")) == "<form>"
    cache.forget_figures_if_changed({"referrals"})  # logged, not raised


# The dashboard comparison, through the pages


def comparison(client, neighbourhood_id: int) -> dict[str, list[str]]:
    """The comparison table on a neighbourhood's dashboard, by neighbourhood name."""
    page = client.get(f"/neighbourhoods/{neighbourhood_id}/dashboard").get_data(as_text=True)
    table = re.search(r'<table[^>]*id="table-neighbourhoods".*?</table>', page, re.S)
    assert table, "no comparison table"
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0), re.S)[1:]:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        cells = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells]
        rows[cells[0]] = cells[1:]
    return rows


def accept(client, referral_id: int):
    """Accept a referral as a browser would: the page's own form, its hidden fields."""
    page = client.get(f"/referrals/{referral_id}").get_data(as_text=True)
    action = f"/referrals/{referral_id}/accept"
    form = re.search(rf'<form[^>]*action="{action}"[^>]*>(.*?)</form>', page, re.S)
    assert form, "no accept form"
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form.group(1)):
        if 'type="hidden"' in tag:
            name = re.search(r'name="([^"]+)"', tag).group(1)
            value = re.search(r'value="([^"]*)"', tag)
            fields[name] = html.unescape(value.group(1)) if value else ""
    response = client.post(action, data=fields)
    assert response.status_code == 302, response.status_code
    return response


@pytest.fixture
def southside(partnership):
    """Five referrals accepted in Southside and one waiting: enough to show, not withhold."""
    sent = {"neighbourhood": partnership.south, "sent_days_ago": 3}
    for _ in range(5):
        accepted_at = clock.now() - timedelta(days=1)
        factories.referral(
            partnership, status=ReferralStatus.ACCEPTED, accepted_at=accepted_at, **sent
        )
    waiting = factories.referral(partnership, **sent)
    db.session.commit()
    return waiting


ACCEPTED = 1  # the column after "Referrals made"


def test_the_comparison_shows_an_acceptance_at_once_though_it_was_kept(
    partnership, southside, as_role
):
    lead, coordinator = as_role(Role.LEAD), as_role(Role.COORDINATOR)
    assert comparison(lead, partnership.north.id)["Southside"][ACCEPTED] == "5"

    accept(coordinator, southside.id)

    assert comparison(lead, partnership.north.id)["Southside"][ACCEPTED] == "6"


# Two instances sharing Redis


@pytest.fixture
def two_instances(app):
    """Two more instances of the app on the test's database, sharing the real Redis at
    REDIS_URL under a key prefix of their own."""
    if not REDIS_URL:
        if IN_CI:
            pytest.fail("CI=true: the shared cache test needs Redis at REDIS_URL")
        pytest.skip("REDIS_URL is not set")
    prefix = f"partnership:test:{uuid.uuid4().hex}:"
    instances = [
        create_app(
            "test",
            SQLALCHEMY_DATABASE_URI=db.engine.url.render_as_string(hide_password=False),
            REDIS_URL=REDIS_URL,
            CACHE_TYPE="RedisCache",
            CACHE_KEY_PREFIX=prefix,
            LIVE_CHANNEL=f"{prefix}live",
        )
        for _ in range(2)
    ]
    for instance in instances:
        instance.test_client_class = Client
    yield instances
    for instance in instances:
        instance.extensions["live_relay"].stop()
        with instance.app_context():
            db.engine.dispose()
    shared = redis.Redis.from_url(REDIS_URL)
    for key in shared.scan_iter(f"{prefix}*"):
        shared.delete(key)


def test_two_instances_show_the_same_comparison_right_after_a_change(
    partnership, southside, two_instances
):
    a, b = two_instances
    lead_on_b = sign_in_as(b.test_client(), partnership.users[Role.LEAD])
    coordinator_on_a = sign_in_as(a.test_client(), partnership.users[Role.COORDINATOR])
    with b.app_context():
        assert type(cache.store.cache).__name__ == "RedisCache"
    assert comparison(lead_on_b, partnership.north.id)["Southside"][ACCEPTED] == "5"
    with a.app_context():
        on_a = cache.generation()
    with b.app_context():
        assert cache.generation() == on_a  # one generation, in Redis, for both

    accept(coordinator_on_a, southside.id)

    assert comparison(lead_on_b, partnership.north.id)["Southside"][ACCEPTED] == "6"
