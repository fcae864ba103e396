"""Our needs and sectors as Open Referral taxonomy terms, and the mapping of a feed's terms.

Open Referral ids are UUIDs. Terms, attributes and service areas have no row of their own
here, so their ids are derived (UUID v5) from what they stand for: the same need is the
same term in every partnership's feed and after every export, which keeps
`taxonomy_term_id` links and re-imports stable.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID, uuid5

from partnership.models import NeedCategory, Sector

NAMESPACE = UUID("96b0f01f-bf69-4cb6-85f4-be181b6b79e0")
NEEDS_TAXONOMY = "Partnership needs"
SECTORS_TAXONOMY = "Partnership sectors"
DEFAULT_MAPPING = Path(__file__).with_name("taxonomy-mapping.json")


def derived_id(*parts: object) -> UUID:
    """A stable UUID for something that has no row of its own (a term, an attribute…)."""
    return uuid5(NAMESPACE, ":".join(str(part) for part in parts))


def need_term_id(slug: str) -> UUID:
    return derived_id("need", slug)


def sector_term_id(sector: Sector) -> UUID:
    return derived_id("sector", sector.value)


def need_term(need: NeedCategory) -> dict:
    """A need category as an Open Referral taxonomy term."""
    return {
        "id": str(need_term_id(need.slug)),
        "name": need.name,
        "description": f"Services that help with {need.name.lower()}",
        "taxonomy": NEEDS_TAXONOMY,
        "taxonomy_id": str(derived_id("taxonomy", "needs")),
        "term": need.slug,
    }


def sector_term(sector: Sector) -> dict:
    """An organisation's sector as a taxonomy term, so the sector survives an export."""
    return {
        "id": str(sector_term_id(sector)),
        "name": sector.label,
        "description": f"Member organisations in the {sector.label} sector",
        "taxonomy": SECTORS_TAXONOMY,
        "taxonomy_id": str(derived_id("taxonomy", "sectors")),
        "term": sector.value,
    }


class MappingError(ValueError):
    """The mapping file cannot be used; the message says why, in words."""


@dataclass
class TermMapping:
    """Which of our needs a feed term stands for, keyed by its lower-cased id, code or name."""

    needs: dict[str, set[str]] = field(default_factory=dict)

    def needs_for(self, keys: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for key in keys:
            found |= self.needs.get(key.strip().lower(), set())
        return found


def load_mapping(path: Path | None, needs: Iterable[tuple[str, str]]) -> TermMapping:
    """Read the editable mapping file on top of our own terms, for needs as (slug, name).

    Our own terms match by their id, slug or name, so our exports import without a mapping.

    The file holds `{"terms": {"<term id, code or name>": "<need slug>" or [slugs]}}`.
    A slug that is not one of the partnership's needs is an error: a typo in the mapping
    would otherwise quietly drop every service's need.
    """
    needs = list(needs)
    known = {slug for slug, _name in needs}
    mapping = TermMapping()
    for slug, name in needs:
        for key in (str(need_term_id(slug)), slug, name):
            mapping.needs.setdefault(key.strip().lower(), set()).add(slug)
    path = path or DEFAULT_MAPPING
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MappingError(f"Could not read the taxonomy mapping {path}: {error}") from error
    terms = document.get("terms") if isinstance(document, dict) else None
    if not isinstance(terms, dict):
        raise MappingError(f'The taxonomy mapping {path} needs a "terms" object')
    for key, slugs in terms.items():
        slugs = [slugs] if isinstance(slugs, str) else slugs
        if not isinstance(slugs, list) or not all(isinstance(s, str) for s in slugs):
            raise MappingError(f'In {path}, "{key}" must map to a need slug or a list of them')
        unknown = sorted(set(slugs) - known)
        if unknown:
            raise MappingError(
                f'In {path}, "{key}" maps to {", ".join(unknown)}, which is not one of the '
                f"partnership's needs ({', '.join(sorted(known))})"
            )
        mapping.needs.setdefault(key.strip().lower(), set()).update(slugs)
    return mapping
