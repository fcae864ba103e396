"""Small-number suppression (DESIGN section 4): the rules for every figure a lead may see.

Pages, charts, CSV files and the API all publish figures through these functions, so a
figure is withheld in the same way wherever it appears.

1. **Primary**: a count from 1 to 4 is withheld and shown as "<5". 0 is shown as 0.
2. **Secondary**, for parts that add up to a total (a "line": a table's row or column
   with its total): arithmetic must not bring a withheld figure back. A line gives one
   away when

   - exactly one of its figures is withheld (subtract the others from the total, or add
     up the parts when it is the total that is withheld);
   - its withheld parts add up to fewer than 5 (their sum is itself a small number);
   - its withheld parts are all 1, or all 4: a reader who knows each "<5" is 1 to 4
     could tell from their sum, exactly 1 or 4 times their number.

   While a line gives one away, the next smallest part that is not 0 is withheld too;
   when none is left, its total. Headline figures are never withheld this way: they are
   shown beside other neighbourhoods' and in the live counters, so withholding them in
   one place would hide nothing. They never need to be, except in one case the rule
   cannot protect without hiding zeros: five or more withheld parts that are all 1 (or
   all 4) and make up the whole of a headline figure.
3. **Derived figures**: a rate is withheld when its numerator, its denominator or their
   difference is 1 to 4, or when a published input is withheld; a median is withheld when
   it comes from 1 to 4 values.

Withheld figures are the string "<5" everywhere, including the API. Facts from the
service directory (how many services are open or full, places available) are public to
every partner and describe services, not residents: they are not suppressed.
"""

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

SMALL_NUMBER = 5
SUPPRESSED = "<5"

Published = int | float | str | None


def is_small(count: int) -> bool:
    """A count that could identify someone: 1 to 4."""
    return 0 < count < SMALL_NUMBER


def count(value: int, *, withheld: bool = False) -> int | str:
    """A count as published: "<5" for 1 to 4, or when another rule withholds it."""
    return SUPPRESSED if withheld or is_small(value) else value


@dataclass(frozen=True)
class Line:
    """Parts that add up to a published total (the total's key may be shared by lines)."""

    parts: tuple[Hashable, ...]
    total: Hashable


def _could_be_worked_out(withheld: list[int]) -> bool:
    """Whether withheld parts could be worked out from their sum (total minus the rest)."""
    if not withheld:
        return False
    edge = len(set(withheld)) == 1 and withheld[0] in (1, SMALL_NUMBER - 1)
    return len(withheld) == 1 or sum(withheld) < SMALL_NUMBER or edge


def _gives_one_away(line: Line, cells: Mapping, hidden: set) -> bool:
    withheld = [cells[key] for key in line.parts if key in hidden]
    if line.total in hidden:
        return not withheld and any(cells[key] for key in line.parts)
    return _could_be_worked_out(withheld)


def withhold(
    cells: Mapping[Hashable, int], lines: Iterable[Line] = (), fixed: Iterable[Hashable] = ()
) -> frozenset[Hashable]:
    """The keys of every cell to publish as "<5": primary, then secondary suppression.

    `cells` maps each published count to its value; each line's parts and total are keys
    of `cells`. `fixed` cells (headline figures) are withheld only when small. Ties between
    parts go to the one listed first, so the result is stable.
    """
    lines, fixed = list(lines), frozenset(fixed)
    hidden = {key for key, value in cells.items() if is_small(value)}
    changed = True
    while changed:
        changed = False
        for line in lines:
            while _gives_one_away(line, cells, hidden):
                candidates = [
                    (cells[key], position, key)
                    for position, key in enumerate(line.parts)
                    if key not in hidden and cells[key] > 0
                ]
                if candidates:
                    hidden.add(min(candidates)[2])
                elif line.total not in hidden | fixed and cells[line.total] > 0:
                    hidden.add(line.total)
                else:
                    break
                changed = True
    return frozenset(hidden)


def share(part: int, whole: int, *, withheld: bool = False) -> float | str | None:
    """part ÷ whole, or None when whole is 0; "<5" when it could reveal a small count."""
    if whole == 0:
        return None
    if withheld or any(is_small(n) for n in (part, whole, whole - part)):
        return SUPPRESSED
    return part / whole


def median(value: float | None, values: int, *, withheld: bool = False) -> float | str | None:
    """A median of `values` figures, or None when there are none; "<5" for 1 to 4."""
    if values == 0 or value is None:
        return None
    if withheld or is_small(values):
        return SUPPRESSED
    return value
