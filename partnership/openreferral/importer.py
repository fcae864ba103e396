"""Take an Open Referral UK services feed into the directory, so a council's directory seeds ours.

The rules, in the order a service meets them:

- A service is known by its Open Referral id: the same id updates the same service, so
  importing a feed twice creates nothing new and changes nothing the second time. Ids
  that are not UUIDs (older ORUK feeds number their services) get a UUID derived from
  them, so they are just as stable.
- Its organisation is found by id, then by name (any case), and created when missing,
  with its sector taken from the feed's sector term or identifiers, else "other".
  Existing organisations are left as the partnership's admins keep them.
- Taxonomy terms become needs through the editable mapping (see taxonomy.py); service
  areas named like one of our neighbourhoods (any case) become neighbourhoods covered.
  Terms and areas that match nothing are reported, not fatal, and leave the service's
  needs or neighbourhoods as they were.
- A field the feed leaves out keeps what we have; contact values we cannot store (an
  email address without an @, an overlong phone number) are left out and counted.
- Capacity is the coordinators' to keep: a new service starts from the feed's capacity
  extension or its status; afterwards the feed only closes a service it says has stopped.
  Either way no person posted it, so the directory says its capacity is not posted yet
  (partnership/services/capacity.py `is_posted`) until a coordinator does.
- Each service is written in a transaction of its own: one that breaks a rule is skipped
  with the reason, never half-written.
"""

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from partnership import clock
from partnership.extensions import db
from partnership.models import (
    CapacityStatus,
    CapacityUpdate,
    NeedCategory,
    Neighbourhood,
    Organisation,
    Sector,
    Service,
)
from partnership.models.services import service_needs, service_neighbourhoods
from partnership.openreferral.taxonomy import TermMapping, derived_id, sector_term_id
from partnership.services.capacity import CapacityError, check_capacity, post_capacity
from partnership.structure import StructureError, check_charity_number, check_ods_code

STOPPED = {"inactive", "defunct", "temporarily closed"}
OLDEST_AGE = 150
IMPORT_NOTE = "Imported from an Open Referral feed"
# The longest value each text column holds.
LONGEST = {"name": 200, "contact_email": 254, "contact_phone": 40, "website": 500}
ORGANISATION_NAME_LONGEST = 200
# Plain table writes: no ORM identity map to fill and expire on every per-service commit.
# The models' Tables, for Core statements (`__table__` is typed as any FromClause).
SERVICES = db.metadata.tables[Service.__tablename__]
ORGANISATIONS = db.metadata.tables[Organisation.__tablename__]
CAPACITY_UPDATES = db.metadata.tables[CapacityUpdate.__tablename__]


class FeedError(ValueError):
    """The file is not a feed we can read; the message says why, in words."""


@dataclass
class Skipped:
    position: int
    label: str
    reason: str


@dataclass
class ImportSummary:
    """What an import did: counts, organisations created, and everything it could not use."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    organisations_created: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unmapped_terms: Counter = field(default_factory=Counter)
    unmatched_areas: Counter = field(default_factory=Counter)
    left_out: Counter = field(default_factory=Counter)


class _Skip(Exception):
    """This service breaks a rule; the message is the reason given in the summary."""


def read_feed(path: Path) -> list:
    """The services in a feed file: a page (with `contents`), a list, or one service."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise FeedError(f"Could not read {path} as JSON: {error}") from error
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        return document["contents"]
    if isinstance(document, dict) and ("id" in document or "name" in document):
        return [document]
    raise FeedError(
        f"{path} is not an Open Referral services feed: expected a page with contents, "
        "a list of services or one service"
    )


def import_services(
    entries: list,
    mapping: TermMapping,
    progress: Callable[[], None] | None = None,
) -> ImportSummary:
    """Create or update a service for each feed entry; returns what was done and skipped."""
    summary = ImportSummary()
    known = _Directory.load()
    seen: set[UUID] = set()
    for position, entry in enumerate(entries, start=1):
        label = _label(entry, position)
        notes = ImportSummary()  # terms, areas and values this entry could not use
        try:
            record = _read(entry, mapping, known, notes)
            if record.uuid in seen:
                raise _Skip("its id appears earlier in the file")
            seen.add(record.uuid)
            outcome, after_commit = _save(record, known)
            db.session.commit()
        except _Skip as skip:
            summary.skipped.append(Skipped(position, label, str(skip)))
        except SQLAlchemyError as error:
            db.session.rollback()
            reason = f"could not be saved ({type(getattr(error, 'orig', error)).__name__})"
            summary.skipped.append(Skipped(position, label, reason))
        else:
            after_commit()
            setattr(summary, outcome, getattr(summary, outcome) + 1)
            summary.unmapped_terms.update(notes.unmapped_terms)
            summary.unmatched_areas.update(notes.unmatched_areas)
            summary.left_out.update(notes.left_out)
            if record.new_organisation:
                summary.organisations_created.append(record.new_organisation["name"])
        if progress:
            progress()
    return summary


def _label(entry: Any, position: int) -> str:
    if isinstance(entry, dict):
        for key in ("name", "id"):
            if isinstance(entry.get(key), str | int) and str(entry[key]).strip():
                return str(entry[key]).strip()[:80]
    return f"entry {position}"


@dataclass
class _Existing:
    id: int
    columns: dict
    needs: set[int]
    areas: set[int]
    capacity: CapacityStatus


@dataclass
class _Directory:
    """What is already here, looked up once per import rather than once per service."""

    needs: dict[str, int]
    neighbourhoods: dict[str, int]
    organisations_by_uuid: dict[UUID, int]
    organisations_by_name: dict[str, int]
    ods_codes: set[str]
    charity_numbers: set[str]
    services: dict[UUID, _Existing]

    @classmethod
    def load(cls) -> "_Directory":
        session = db.session
        organisations = session.execute(
            select(
                Organisation.id,
                Organisation.uuid,
                Organisation.name,
                Organisation.ods_code,
                Organisation.charity_number,
            )
        ).all()
        needs_of: dict[int, set[int]] = {}
        for service_id, need_id in session.execute(select(service_needs)):
            needs_of.setdefault(service_id, set()).add(need_id)
        areas_of: dict[int, set[int]] = {}
        for service_id, area_id in session.execute(select(service_neighbourhoods)):
            areas_of.setdefault(service_id, set()).add(area_id)
        services = {}
        for row in session.execute(
            select(Service.id, Service.uuid, Service.capacity_status, *_columns())
        ):
            columns = {name: getattr(row, name) for name in _COLUMN_NAMES}
            services[row.uuid] = _Existing(
                row.id,
                columns,
                needs_of.get(row.id, set()),
                areas_of.get(row.id, set()),
                row.capacity_status,
            )
        return cls(
            needs=dict(session.execute(select(NeedCategory.slug, NeedCategory.id)).all()),
            neighbourhoods={
                name.strip().lower(): id_
                for id_, name in session.execute(select(Neighbourhood.id, Neighbourhood.name))
            },
            organisations_by_uuid={o.uuid: o.id for o in organisations},
            organisations_by_name={o.name.strip().lower(): o.id for o in organisations},
            ods_codes={o.ods_code for o in organisations if o.ods_code},
            charity_numbers={o.charity_number for o in organisations if o.charity_number},
            services=services,
        )

    def remember(self, uuid: UUID, service: _Existing, organisation: dict | None, columns: dict):
        """Learn what a committed service wrote, so later entries see it without a query."""
        self.services[uuid] = service
        if organisation:
            organisation_id = columns["organisation_id"]
            self.organisations_by_uuid[organisation["uuid"]] = organisation_id
            self.organisations_by_name[organisation["name"].lower()] = organisation_id
            if organisation["ods_code"]:
                self.ods_codes.add(organisation["ods_code"])
            if organisation["charity_number"]:
                self.charity_numbers.add(organisation["charity_number"])


_COLUMN_NAMES = (
    "organisation_id",
    "name",
    "description",
    "min_age",
    "max_age",
    "contact_email",
    "contact_phone",
    "website",
    "eligibility_notes",
    "referral_instructions",
)


def _columns():
    return [getattr(Service, name) for name in _COLUMN_NAMES]


@dataclass
class _Record:
    """One feed entry, checked: the values to store, and which of them the feed carries."""

    uuid: UUID
    columns: dict
    needs: set[int] | None
    areas: set[int] | None
    stopped: bool
    capacity: dict | None
    new_organisation: dict | None


def _read(entry: Any, mapping: TermMapping, known: _Directory, notes: ImportSummary) -> _Record:
    """Check one feed entry against the rules; raises _Skip with the reason if it breaks one."""
    if not isinstance(entry, dict):
        raise _Skip("not a JSON object")
    uuid = _feed_uuid(entry.get("id"), "service")
    if uuid is None:
        raise _Skip("no id")
    name = _text(entry.get("name"))
    if not name:
        raise _Skip("no name")
    if len(name) > LONGEST["name"]:
        raise _Skip(f"name longer than {LONGEST['name']} characters")

    columns: dict[str, Any] = {"name": name}
    for key, column in (
        ("description", "description"),
        ("eligibility_description", "eligibility_notes"),
        ("application_process", "referral_instructions"),
    ):
        if key in entry:
            columns[column] = _text(entry[key])
    columns.update(_ages(entry))
    columns.update(_contacts(entry, notes))

    organisation_id, new_organisation = _organisation(entry, known, notes)
    columns["organisation_id"] = organisation_id
    return _Record(
        uuid=uuid,
        columns=columns,
        needs=_needs(entry, mapping, known, notes),
        areas=_areas(entry, known, notes),
        stopped=_text(entry.get("status")).lower() in STOPPED,
        capacity=_capacity(entry.get("partnership_capacity")),
        new_organisation=new_organisation,
    )


def _feed_uuid(value: Any, kind: str) -> UUID | None:
    """The feed's id as a UUID; any other id gets a stable UUID derived from it."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        return UUID(value)
    except ValueError:
        return derived_id("feed", kind, value)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _ages(entry: dict) -> dict:
    """minimum_age / maximum_age, or the first of an older feed's `eligibilitys`."""
    source = entry
    if "minimum_age" not in entry and "maximum_age" not in entry:
        older = entry.get("eligibilitys")
        if isinstance(older, list) and older and isinstance(older[0], dict):
            source = older[0]
    ages: dict[str, int | None] = {}
    for key, column, whole in (
        ("minimum_age", "min_age", math.floor),
        ("maximum_age", "max_age", math.ceil),
    ):
        if key not in source:
            continue
        value = source[key]
        if value is None or value == "":
            ages[column] = None
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _Skip(f"{key.replace('_', ' ')} is not a number") from None
        if isinstance(value, bool) or not math.isfinite(number):
            raise _Skip(f"{key.replace('_', ' ')} is not a number")
        if not 0 <= number <= OLDEST_AGE:
            raise _Skip(f"{key.replace('_', ' ')} is not between 0 and {OLDEST_AGE}")
        ages[column] = whole(number)
    low, high = ages.get("min_age"), ages.get("max_age")
    if low is not None and high is not None and low > high:
        raise _Skip("minimum age above maximum age")
    return ages


def _contacts(entry: dict, notes: ImportSummary) -> dict:
    """Email, phone and website, from the service or else the first of its contacts with one."""
    holders = [entry] + [c for c in entry.get("contacts") or [] if isinstance(c, dict)]
    found: dict[str, Any] = {}
    if "url" in entry:
        found["website"] = _text(entry["url"]) or None
    emails = [_text(holder["email"]) for holder in holders if "email" in holder]
    if emails:
        found["contact_email"] = next(filter(None, emails), None)
    phones = [holder["phones"] for holder in holders if isinstance(holder.get("phones"), list)]
    if phones:
        numbers = [_text(p.get("number")) for ps in phones for p in ps if isinstance(p, dict)]
        found["contact_phone"] = next(filter(None, numbers), None)
    email = found.get("contact_email")
    if email and ("@" not in email or any(c.isspace() for c in email)):
        notes.left_out["email address that is not one"] += 1
        del found["contact_email"]
    website = found.get("website")
    if website and not website.lower().startswith(("http://", "https://")):
        notes.left_out["website that is not a web address"] += 1
        del found["website"]
    for column, words in (
        ("contact_email", "email address"),
        ("contact_phone", "phone number"),
        ("website", "website"),
    ):
        if found.get(column) and len(found[column]) > LONGEST[column]:
            notes.left_out[f"{words} longer than {LONGEST[column]} characters"] += 1
            del found[column]
    return found


def _terms(entry: dict) -> list[dict]:
    """The taxonomy terms of a service: HSDS 3 attributes, or older feeds' service_taxonomys."""
    terms = []
    for attribute in entry.get("attributes") or []:
        if isinstance(attribute, dict):
            term = attribute.get("taxonomy_term")
            if isinstance(term, dict):
                terms.append(term)
            elif attribute.get("taxonomy_term_id"):
                terms.append({"id": attribute["taxonomy_term_id"]})
    for link in entry.get("service_taxonomys") or []:
        if isinstance(link, dict) and isinstance(link.get("taxonomy"), dict):
            terms.append(link["taxonomy"])
    return terms


def _needs(
    entry: dict, mapping: TermMapping, known: _Directory, notes: ImportSummary
) -> set[int] | None:
    slugs: set[str] = set()
    for term in _terms(entry):
        keys = [str(term[key]) for key in ("id", "term", "name") if term.get(key)]
        mapped = mapping.needs_for(keys)
        if mapped:
            slugs |= mapped
        elif keys:
            notes.unmapped_terms[_text(term.get("name")) or keys[0]] += 1
    return {known.needs[slug] for slug in slugs if slug in known.needs} or None


def _areas(entry: dict, known: _Directory, notes: ImportSummary) -> set[int] | None:
    matched = set()
    for area in entry.get("service_areas") or []:
        if not isinstance(area, dict):
            continue
        name = _text(area.get("name")) or _text(area.get("service_area"))
        if name.lower() in known.neighbourhoods:
            matched.add(known.neighbourhoods[name.lower()])
        elif name:
            notes.unmatched_areas[name] += 1
    return matched or None


def _capacity(value: Any) -> dict | None:
    """Our own capacity extension (a feed from a partnership like ours), if it keeps the rules."""
    if not isinstance(value, dict):
        return None
    try:
        checked = check_capacity(
            value.get("status"), value.get("places_available"), value.get("wait_band"), ""
        )
    except CapacityError:
        return None
    return {
        "capacity_status": checked.status,
        "wait_band": checked.wait_band,
        "places_available": checked.places,
    }


def _organisation(
    entry: dict, known: _Directory, notes: ImportSummary
) -> tuple[int | None, dict | None]:
    """The id of the service's organisation, or the values to create it with."""
    given = entry.get("organization")
    if not isinstance(given, dict):
        given = {}
    uuid = _feed_uuid(entry.get("organization_id") or given.get("id"), "organisation")
    name = _text(given.get("name"))
    if uuid in known.organisations_by_uuid:
        return known.organisations_by_uuid[uuid], None
    if name.lower() in known.organisations_by_name:
        return known.organisations_by_name[name.lower()], None
    if not name:
        raise _Skip(
            "no organisation"
            if uuid is None
            else "its organisation is unknown here and has no name in the feed"
        )
    if len(name) > ORGANISATION_NAME_LONGEST:
        raise _Skip(f"organisation name longer than {ORGANISATION_NAME_LONGEST} characters")
    ods_code, charity_number = _identifiers(given, known, notes)
    return None, {
        "uuid": uuid or derived_id("feed", "organisation-name", name.lower()),
        "name": name,
        "sector": _sector(given, ods_code, charity_number),
        "ods_code": ods_code,
        "charity_number": charity_number,
    }


def _identifiers(
    given: dict, known: _Directory, notes: ImportSummary
) -> tuple[str | None, str | None]:
    ods_code = charity_number = None
    for identifier in given.get("organization_identifiers") or []:
        if not isinstance(identifier, dict):
            continue
        kind = _text(identifier.get("identifier_type")).lower()
        scheme = _text(identifier.get("identifier_scheme")).upper()
        value = _text(identifier.get("identifier"))
        try:
            if "ods" in kind and ods_code is None:
                ods_code = check_ods_code(value)
                if ods_code in known.ods_codes:
                    notes.left_out["ODS code another organisation has"] += 1
                    ods_code = None
            elif (
                "charity" in kind or scheme in {"GB-CHC", "GB-SC", "GB-NIC"}
            ) and charity_number is None:
                charity_number = check_charity_number(value)
                if charity_number in known.charity_numbers:
                    notes.left_out["charity number another organisation has"] += 1
                    charity_number = None
        except StructureError:
            notes.left_out[
                f"{'ODS code' if 'ods' in kind else 'charity number'} we cannot read"
            ] += 1
    return ods_code, charity_number


def _sector(given: dict, ods_code: str | None, charity_number: str | None) -> Sector:
    """Our sector term if the feed carries it (our own exports do), else what the codes say."""
    ours = {str(sector_term_id(sector)): sector for sector in Sector}
    for attribute in given.get("attributes") or []:
        term = attribute.get("taxonomy_term") if isinstance(attribute, dict) else None
        if isinstance(term, dict) and _text(term.get("id")).lower() in ours:
            return ours[_text(term.get("id")).lower()]
    if ods_code:
        return Sector.NHS
    if charity_number:
        return Sector.VCSE
    return Sector.OTHER


def _save(record: _Record, known: _Directory) -> tuple[str, Callable[[], None]]:
    """Write one service (and its new organisation) in the current transaction.

    Returns "created", "updated" or "unchanged", and what to remember once committed: the
    lookups must not learn of rows that a rollback takes away again.
    """
    existing = known.services.get(record.uuid)
    if existing and not record.new_organisation and not _changes(record.columns, record, existing):
        return "unchanged", lambda: None
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Each service commits on its own, and waiting for every commit to reach the disk
        # makes a large feed crawl. A crash can lose the last moments' commits, never part
        # of one, and importing again puts them back.
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
    columns = dict(record.columns)
    organisation = record.new_organisation
    if organisation:
        columns["organisation_id"] = connection.execute(ADD_ORGANISATION, organisation).scalar_one()
    if existing is None:
        saved, outcome = _create(connection, record, columns), "created"
    else:
        saved, outcome = _update(connection, record, columns, existing), "updated"
    return outcome, lambda: known.remember(record.uuid, saved, organisation, columns)


def _changes(columns: dict, record: _Record, existing: _Existing) -> dict:
    """What the feed would change about a service we have; empty when nothing."""
    changes: dict[str, Any] = {}
    changed = {k: v for k, v in columns.items() if existing.columns.get(k) != v}
    if changed:
        changes["columns"] = changed
    if record.needs not in (None, existing.needs):
        changes["needs"] = record.needs
    if record.areas not in (None, existing.areas):
        changes["areas"] = record.areas
    if record.stopped and existing.capacity is not CapacityStatus.CLOSED:
        changes["closing"] = True
    return changes


def _create(connection, record: _Record, columns: dict) -> _Existing:
    now = clock.now()
    capacity = record.capacity or {
        "capacity_status": CapacityStatus.CLOSED if record.stopped else CapacityStatus.OPEN,
        "wait_band": None,
        "places_available": None,
    }
    values = dict(
        columns,
        **capacity,
        uuid=record.uuid,
        capacity_updated_at=now,
        created_at=now,
        updated_at=now,
    )
    service_id = connection.execute(ADD_SERVICE, values).scalar_one()
    _post_capacity(connection, service_id, capacity, now)
    _link(connection, service_needs, "need_id", service_id, record.needs or set())
    _link(connection, service_neighbourhoods, "neighbourhood_id", service_id, record.areas or set())
    return _Existing(
        service_id,
        {name: columns.get(name, _DEFAULTS.get(name)) for name in _COLUMN_NAMES},
        set(record.needs or ()),
        set(record.areas or ()),
        capacity["capacity_status"],
    )


def _update(connection, record: _Record, columns: dict, existing: _Existing) -> _Existing:
    now = clock.now()
    changes = _changes(columns, record, existing)
    changed = changes.get("columns", {})
    values = dict(changed, updated_at=now)
    connection.execute(update(SERVICES).where(SERVICES.c.id == existing.id).values(**values))
    for key, table, column in (
        ("needs", service_needs, "need_id"),
        ("areas", service_neighbourhoods, "neighbourhood_id"),
    ):
        if key in changes:
            connection.execute(delete(table).where(table.c.service_id == existing.id))
            _link(connection, table, column, existing.id, changes[key])
    if changes.get("closing"):
        # A capacity post like a coordinator's, so open directory pages see it at once.
        service = db.session.get_one(Service, existing.id)
        places = None if service.places_available is None else 0
        post_capacity(service, None, CapacityStatus.CLOSED, places, None, IMPORT_NOTE)
    return _Existing(
        existing.id,
        dict(existing.columns, **changed),
        changes.get("needs", existing.needs),
        changes.get("areas", existing.areas),
        CapacityStatus.CLOSED if changes.get("closing") else existing.capacity,
    )


# Built once: a statement given its values as parameters is compiled once and cached.
ADD_ORGANISATION = insert(ORGANISATIONS).returning(ORGANISATIONS.c.id)
ADD_SERVICE = insert(SERVICES).returning(SERVICES.c.id)
ADD_CAPACITY_UPDATE = insert(CAPACITY_UPDATES)
_DEFAULTS = {"description": "", "eligibility_notes": "", "referral_instructions": ""}


def _post_capacity(connection, service_id: int, capacity: dict, now) -> None:
    """The capacity history starts, or records the closing, with a post of its own."""
    connection.execute(
        ADD_CAPACITY_UPDATE,
        {
            "service_id": service_id,
            "status": capacity["capacity_status"],
            "wait_band": capacity["wait_band"],
            "places_available": capacity["places_available"],
            "note": IMPORT_NOTE,
            "posted_at": now,
        },
    )


def _link(connection, table, column: str, service_id: int, ids: set[int]) -> None:
    if ids:
        rows = [{"service_id": service_id, column: id_} for id_ in sorted(ids)]
        connection.execute(insert(table), rows)
