"""The bench partnership's residents, and the needs recorded for them that no service met."""

import bisect
import math
from datetime import date, timedelta

from partnership.sample.bench.scale import CHUNK, DAY, cumulative
from partnership.sample.bench.vocabulary import FAMILY, GIVEN


def residents(rng, scale, structure, writer, start: float) -> dict[int, list[int]]:
    """Residents spread over the neighbourhoods by population, each recorded by an
    organisation serving theirs; returns their ids by neighbourhood."""
    hood_ids, population = structure["hood_ids"], structure["population"]
    cum = cumulative(population)
    by_hood: dict[int, list[int]] = {h: [] for h in hood_ids}
    org_by_hood: dict[int, list[int]] = {h: [] for h in hood_ids}
    for org_index, hoods in enumerate(structure["org_hoods"]):
        for h in hoods:
            org_by_hood[h].append(org_index + 1)
    rows = []
    contact = ("phone", "phone", "phone", "email", "letter", "in-person")
    languages = ("English",) * 8 + ("Urdu", "Polish", "Punjabi", "Arabic")
    for rid in range(1, scale.residents + 1):
        hood = hood_ids[bisect.bisect(cum, rng.random() * cum[-1])]
        by_hood[hood].append(rid)
        language = languages[rng.randrange(len(languages))]
        born = date(1935, 1, 1) + timedelta(days=rng.randrange(365 * 85))
        rows.append(
            (
                rid,
                GIVEN[rng.randrange(len(GIVEN))],
                FAMILY[rng.randrange(len(FAMILY))],
                born.isoformat(),
                None,
                f"NV{rid % 9 + 1} {rid % 10}AB",
                hood,
                "0113 496 0000",
                None,
                contact[rng.randrange(len(contact))],
                language,
                language != "English" and rng.random() < 0.5,
                "",
                org_by_hood[hood][rng.randrange(len(org_by_hood[hood]))],
                start - rng.random() * 30 * DAY,
            )
        )
        if len(rows) >= CHUNK:
            writer.write("residents", rows)
            rows = []
    writer.write("residents", rows)
    return by_hood


def unmet_needs(rng, scale, structure, residents_by_hood, writer, start, now) -> int:
    """One need with nowhere to go for every 50 referrals, the commonest needs most."""
    rows = []
    hood_ids = structure["hood_ids"]
    for uid in range(1, max(1, scale.referrals // 50) + 1):
        hood = hood_ids[rng.randrange(len(hood_ids))]
        pool = residents_by_hood[hood]
        rows.append(
            (
                uid,
                structure["need_ids"][
                    min(len(structure["need_ids"]) - 1, int(rng.expovariate(0.4)))
                ],
                hood,
                pool[rng.randrange(len(pool))] if pool and rng.random() < 0.7 else None,
                1 + rng.randrange(len(structure["org_hoods"])),
                start + (now - start) * math.sqrt(rng.random()),
            )
        )
    writer.write("unmet_needs", rows)
    return len(rows)
