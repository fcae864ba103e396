"""The small-number rules on their own: primary, secondary and derived figures."""

import random

import pytest

from partnership.dashboards.suppression import (
    SUPPRESSED,
    Line,
    count,
    is_small,
    median,
    share,
    withhold,
)


@pytest.mark.parametrize(
    ("value", "shown"), [(0, 0), (1, "<5"), (2, "<5"), (4, "<5"), (5, 5), (1234, 1234)]
)
def test_counts_from_1_to_4_are_withheld_and_0_is_shown(value, shown):
    assert count(value) == shown


def test_a_count_is_withheld_when_another_rule_says_so():
    assert count(40, withheld=True) == SUPPRESSED


def test_one_withheld_part_takes_the_next_smallest_part_with_it():
    cells = {"a": 3, "b": 9, "c": 7, "total": 19}
    assert withhold(cells, [Line(("a", "b", "c"), "total")]) == {"a", "c"}


def test_the_next_smallest_part_is_never_a_zero():
    cells = {"a": 2, "b": 0, "c": 30, "total": 32}
    assert withhold(cells, [Line(("a", "b", "c"), "total")]) == {"a", "c"}


def test_withheld_parts_that_add_up_to_fewer_than_5_take_another_part():
    # 1 + 2 = 3 could be worked out from 33 - 10 - 20: withhold the 10 too.
    cells = {"a": 1, "b": 2, "c": 10, "d": 20, "total": 33}
    assert withhold(cells, [Line(("a", "b", "c", "d"), "total")]) == {"a", "b", "c"}


@pytest.mark.parametrize("parts", [(1, 1, 1, 1, 1, 9), (4, 4, 30)])
def test_withheld_parts_that_must_all_be_1_or_all_be_4_take_another_part(parts):
    cells = {n: value for n, value in enumerate(parts)} | {"total": sum(parts)}
    hidden = withhold(cells, [Line(tuple(range(len(parts))), "total")])
    assert hidden == set(range(len(parts)))


def test_unmet_need_by_need_is_protected_across_rows_and_columns():
    # Unmet need by need: food 3 declined for capacity and 2 with no service; housing 0 and 6.
    cells = {
        "food-capacity": 3,
        "food-none": 2,
        "food": 5,
        "housing-capacity": 0,
        "housing-none": 6,
        "housing": 6,
        "capacity": 3,
        "none": 8,
        "unmet": 11,
    }
    lines = [
        Line(("food-capacity", "food-none"), "food"),
        Line(("housing-capacity", "housing-none"), "housing"),
        Line(("food-capacity", "housing-capacity"), "capacity"),
        Line(("food-none", "housing-none"), "none"),
        Line(("food", "housing"), "unmet"),
        Line(("capacity", "none"), "unmet"),
    ]
    hidden = withhold(cells, lines, fixed=["unmet"])
    # The 3 for capacity hides the 8 beside it; housing's 6 hides the 2 in its column, and
    # with no part left in its row, housing's total; food's total then hides it in theirs.
    assert hidden == {
        "food-capacity",
        "food-none",
        "food",
        "housing-none",
        "housing",
        "capacity",
        "none",
    }
    assert "unmet" not in hidden


def test_when_no_part_is_left_the_total_is_withheld_but_never_a_headline():
    # Five weeks with one referral each make the whole of a total of 5: each must be 1.
    cells = {week: 1 for week in range(5)} | {"total": 5}
    line = Line(tuple(range(5)), "total")
    assert "total" in withhold(cells, [line])
    assert "total" not in withhold(cells, [line], fixed=["total"])  # the known exception


def test_a_withheld_total_cannot_be_added_back_up_from_its_parts():
    cells = {"x": 5, "y": 6, "subtotal": 11, "z": 2, "total": 13}
    lines = [Line(("x", "y"), "subtotal"), Line(("subtotal", "z"), "total")]
    assert withhold(cells, lines, fixed=["total"]) == {"z", "subtotal", "x"}


def _gives_nothing_away(cells, lines, hidden) -> bool:
    """Restated from the rule, as a reader would attack a table: no line has exactly one
    withheld figure, and withheld parts beside a shown total never add up to 1 to 4."""
    for line in lines:
        members = [*line.parts, line.total]
        withheld = [key for key in members if key in hidden]
        if len(withheld) == 1:
            return False
        parts = [cells[key] for key in line.parts if key in hidden]
        if line.total not in hidden and parts and is_small(sum(parts)):
            return False
    return True


def test_random_tables_with_row_and_column_totals_give_nothing_away():
    chance = random.Random(2026)
    for _ in range(300):
        rows, columns = chance.randint(1, 5), chance.randint(1, 5)
        cells, lines = {}, []
        for r in range(rows):
            for c in range(columns):
                cells[(r, c)] = chance.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 12, 30])
        for r in range(rows):
            cells[(r, "total")] = sum(cells[(r, c)] for c in range(columns))
            lines.append(Line(tuple((r, c) for c in range(columns)), (r, "total")))
        for c in range(columns):
            cells[("total", c)] = sum(cells[(r, c)] for r in range(rows))
            lines.append(Line(tuple((r, c) for r in range(rows)), ("total", c)))
        cells["grand"] = sum(cells[(r, "total")] for r in range(rows))
        lines.append(Line(tuple((r, "total") for r in range(rows)), "grand"))
        lines.append(Line(tuple(("total", c) for c in range(columns)), "grand"))
        hidden = withhold(cells, lines)
        assert {key for key, value in cells.items() if is_small(value)} <= hidden
        assert all(cells[key] > 0 for key in hidden), "a 0 is always shown"
        assert _gives_nothing_away(cells, lines, hidden), cells


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (14, 19, 14 / 19),
        (0, 10, 0.0),
        (10, 10, 1.0),
        (3, 10, SUPPRESSED),  # the numerator is small
        (10, 12, SUPPRESSED),  # the difference, 2, is small
        (3, 3, SUPPRESSED),  # the denominator is small
        (0, 0, None),
    ],
)
def test_a_rate_is_withheld_when_any_count_behind_it_is_small(part, whole, shown):
    assert share(part, whole) == shown


def test_a_rate_is_withheld_when_a_published_input_is():
    assert share(20, 40, withheld=True) == SUPPRESSED


@pytest.mark.parametrize(
    ("values", "shown"), [(0, None), (1, SUPPRESSED), (4, SUPPRESSED), (5, 2.5), (40, 2.5)]
)
def test_a_median_of_1_to_4_values_is_withheld(values, shown):
    assert median(2.5 if values else None, values) == shown
