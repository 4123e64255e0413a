"""Small-cell suppression: primary, secondary, the threshold setting, and a property test."""

from __future__ import annotations

import random

from django.utils import translation

from maillage.core.suppression import (
    PRIMARY,
    SECONDARY,
    Constraint,
    additive_constraints,
    constraint_violations,
    marker_legend,
    suppress,
)


def test_primary_hides_small_counts_only() -> None:
    result = suppress({"a": 1, "b": 4, "c": 5, "d": 120, "e": 0, "f": None})
    assert result.values == {"a": None, "b": None, "c": 5, "d": 120, "e": 0, "f": None}
    assert result.hidden == {"a": PRIMARY, "b": PRIMARY}


def test_zero_and_unknown_are_shown() -> None:
    result = suppress({"zero": 0, "unknown": None})
    assert result.hidden == {}
    assert result.display("zero") == 0
    assert result.display("unknown") is None


def test_threshold_comes_from_the_settings(settings) -> None:
    settings.SMALL_CELL_THRESHOLD = 10
    result = suppress({"a": 9, "b": 10})
    assert set(result.hidden) == {"a"}
    assert result.threshold == 10
    with translation.override("en"):
        assert result.marker("a") == "< 10"
    assert set(suppress({"a": 9, "b": 3}, threshold=3).hidden) == set()
    assert set(suppress({"a": 9, "b": 3}, threshold=4).hidden) == {"b"}


def test_markers() -> None:
    table = {("r", "total"): 12, ("r", "x"): 9, ("r", "y"): 3}
    result = suppress(table, additive_constraints(["r"], [], column_groups={"total": ["x", "y"]}))
    with translation.override("en"):
        assert result.display(("r", "y")) == "< 5"
        assert result.display(("r", "x")) == "s"
        assert result.display(("r", "total")) == 12
        assert result.marker(("r", "total")) == ""
        assert "“< 5” is a count from 1 to 4" in marker_legend()


def test_secondary_in_one_row_group() -> None:
    # minors = sum of the bands: hiding the 3 alone would let 20 - 6 - 11 give it back.
    table = {"minors": 20, "0-3": 3, "3-6": 6, "6-12": 11}
    result = suppress(table, [Constraint("minors", ("0-3", "3-6", "6-12"))])
    assert result.hidden == {"0-3": PRIMARY, "3-6": SECONDARY}
    assert result.values == {"minors": 20, "0-3": None, "3-6": None, "6-12": 11}


def test_secondary_prefers_a_non_zero_cell_then_any() -> None:
    # Two primary cells in the constraint: nothing more to hide.
    table = {"total": 7, "a": 0, "b": 3, "c": 4, "d": 0}
    result = suppress(table, [Constraint("total", ("a", "b", "c", "d"))])
    assert result.hidden == {"b": PRIMARY, "c": PRIMARY}

    # The smallest visible non-zero cell may be the total; zeros are skipped.
    table = {"total": 12, "a": 0, "b": 3, "c": 9}
    result = suppress(table, [Constraint("total", ("a", "b", "c"))])
    assert result.hidden == {"b": PRIMARY, "c": SECONDARY}

    # Only zeros left visible: the first of them is hidden.
    table = {"c": 2, "a": 0, "d": 0}
    result = suppress(table, [Constraint("c", ("a", "d"))])
    assert result.hidden == {"c": PRIMARY, "a": SECONDARY}


def test_secondary_repeats_until_stable() -> None:
    # Hiding c (for the first constraint) leaves c = e with one hidden cell: e is hidden too.
    table = {"total": 12, "a": 0, "b": 3, "c": 9, "e": 9}
    constraints = [Constraint("total", ("a", "b", "c")), Constraint("e", ("c",))]
    result = suppress(table, constraints)
    assert result.hidden == {"b": PRIMARY, "c": SECONDARY, "e": SECONDARY}
    assert constraint_violations(result.hidden, constraints) == []


def test_secondary_in_a_two_way_table_with_totals() -> None:
    rows, columns = ["r1", "r2", "r3"], ["c1", "c2", "c3"]
    data = {
        "r1": {"c1": 2, "c2": 10, "c3": 15},
        "r2": {"c1": 7, "c2": 8, "c3": 9},
        "r3": {"c1": 12, "c2": 20, "c3": 30},
    }
    table: dict[tuple[str, str], int | None] = {}
    for row in rows:
        for column in columns:
            table[(row, column)] = data[row][column]
        table[(row, "total")] = sum(data[row].values())
    for column in [*columns, "total"]:
        table[("total", column)] = sum(table[(row, column)] or 0 for row in rows)
    constraints = additive_constraints(
        [*rows, "total"], [*columns, "total"], row_groups={"total": rows}, column_groups={"total": columns}
    )
    assert len(constraints) == 8
    result = suppress(table, constraints)
    assert result.hidden[("r1", "c1")] == PRIMARY
    # Its row and its column each get another hidden cell, and the rectangle closes.
    assert result.hidden[("r2", "c1")] == SECONDARY  # 7, the smallest visible of column c1
    assert result.hidden[("r1", "c2")] == SECONDARY  # 10, the smallest visible of row r1
    assert result.hidden[("r2", "c2")] == SECONDARY  # 8, closing row r2 and column c2
    assert len(result.hidden) == 4
    assert constraint_violations(result.hidden, constraints) == []
    for key, value in table.items():
        if key not in result.hidden:
            assert result.values[key] == value


def test_unknown_keys_in_a_constraint_are_an_error() -> None:
    try:
        suppress({"a": 1}, [Constraint("a", ("missing",))])
    except KeyError:
        return
    raise AssertionError("KeyError expected")


def _random_table(rng: random.Random) -> tuple[dict[tuple[int, int], int | None], list[Constraint]]:
    """A grid of counts with a total row, a total column, and sometimes a sub-total column."""
    height, width = rng.randint(1, 8), rng.randint(1, 7)
    rows, columns = list(range(height)), list(range(width))
    table: dict[tuple[int, int], int | None] = {}
    for row in rows:
        for column in columns:
            table[(row, column)] = rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 40, None])
    total_row, total_column, sub_total = -1, -2, -3
    column_groups: dict[int, list[int]] = {total_column: columns}
    if width >= 3 and rng.random() < 0.5:
        column_groups[sub_total] = columns[: rng.randint(1, width - 1)]
    for row in rows:
        for total, parts in column_groups.items():
            table[(row, total)] = sum(table[(row, column)] or 0 for column in parts)
    all_columns = [*columns, *column_groups]
    for column in all_columns:
        table[(total_row, column)] = sum(table[(row, column)] or 0 for row in rows)
    constraints = additive_constraints(
        [*rows, total_row], all_columns, row_groups={total_row: rows}, column_groups=column_groups
    )
    return table, constraints


def test_property_no_constraint_leaks_a_hidden_cell() -> None:
    rng = random.Random(20240607)
    for _ in range(600):
        table, constraints = _random_table(rng)
        threshold = rng.choice([3, 5, 5, 5, 10])
        result = suppress(table, constraints, threshold=threshold)
        # Every constraint is exact on the original table (None read as 0).
        for constraint in constraints:
            assert table[constraint.total] == sum(table[part] or 0 for part in constraint.parts)
        # No constraint ends with exactly one hidden cell: none can be recomputed from one total.
        assert constraint_violations(result.hidden, constraints) == []
        for key, value in table.items():
            if key in result.hidden:
                assert result.values[key] is None
            else:
                assert result.values[key] == value  # visible cells keep their values
            if value is not None and 0 < value < threshold:
                assert result.hidden[key] == PRIMARY
        # Deterministic.
        assert suppress(table, constraints, threshold=threshold).hidden == result.hidden
