"""Small-cell suppression: primary, secondary, the threshold, and property tests checked with linear algebra."""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy
from django.utils import translation

from maillage.core.suppression import (
    PRIMARY,
    SECONDARY,
    Constraint,
    additive_constraints,
    constraint_violations,
    determined_cells,
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


# --- Linear algebra: no hidden cell can be computed from the visible ones and the sums ------------


def _oracle(hidden: Iterable[Hashable], constraints: Sequence[Constraint]) -> list[Hashable]:
    """The determined hidden cells, found another way than the module: numerical ranks.

    A hidden cell ``j`` is determined iff adding the unit row ``e_j`` to the constraint matrix
    restricted to the hidden cells does not raise its rank. The matrices are small, with
    entries 0 and ±1, so floating-point ranks (SVD) are reliable here.
    """
    keys = list(dict.fromkeys(hidden))
    if not keys:
        return []
    position = {key: index for index, key in enumerate(keys)}
    rows = []
    for constraint in constraints:
        if len(constraint.cells) < 2:
            continue
        row = [0] * len(keys)
        if constraint.total in position:
            row[position[constraint.total]] += 1
        for part in constraint.parts:
            if part in position:
                row[position[part]] -= 1
        if any(row):
            rows.append(row)
    matrix = numpy.array(rows or [[0] * len(keys)], dtype=float)
    rank = numpy.linalg.matrix_rank(matrix)
    determined = []
    for key, index in position.items():
        unit = numpy.zeros((1, len(keys)))
        unit[0, index] = 1
        if numpy.linalg.matrix_rank(numpy.vstack([matrix, unit])) == rank:
            determined.append(key)
    return determined


def _export_table(rng: random.Random) -> tuple[dict[tuple[Any, str], int | None], list[Constraint]]:
    """A table shaped as the sites' export: sites × figures, minors = the five bands, a Total row."""
    bands = ["b0-3", "b3-6", "b6-12", "b12-16", "b16-18"]
    figures = ["people", "households", "minors", *bands, "school"]
    sites = list(range(rng.randint(1, 12)))
    small = rng.choice([[0, 0, 1, 2, 3, 4, 5, 6, 9, 15], [0, 0, 0, 0, 1, 2, 3, 4, 8, 20, None]])
    table: dict[tuple[Any, str], int | None] = {}
    for site in sites:
        values = {band: rng.choice(small) for band in bands}
        minors = sum(v or 0 for v in values.values())
        if rng.random() < 0.1:
            minors += rng.randint(1, 3)  # bands not all known: the sum does not hold on this row
        table.update({(site, band): value for band, value in values.items()})
        table[(site, "minors")] = minors
        table[(site, "people")] = minors + rng.choice([0, 2, 10, 40])
        table[(site, "households")] = rng.choice([None, 1, 3, 6, 12])
        table[(site, "school")] = rng.choice([0, 2, minors])
    for figure in figures:
        known = [table[(site, figure)] for site in sites if table[(site, figure)] is not None]
        table[("total", figure)] = sum(v or 0 for v in known) if known else None
    constraints = additive_constraints([*sites, "total"], figures, row_groups={"total": sites})
    for row in [*sites, "total"]:
        minors = table[(row, "minors")]
        if minors is not None and minors == sum(table[(row, band)] or 0 for band in bands):
            constraints += additive_constraints([row], [], column_groups={"minors": bands})
    return table, constraints


def _random_grid(rng: random.Random) -> tuple[dict[tuple[int, int], int | None], list[Constraint]]:
    """A grid of counts with a total row, a total column, sometimes sub-totals of rows and columns."""
    height, width = rng.randint(1, 8), rng.randint(1, 7)
    rows, columns = list(range(height)), list(range(width))
    table: dict[tuple[int, int], int | None] = {}
    for row in rows:
        for column in columns:
            table[(row, column)] = rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 40, None])
    total_row, total_column, sub_total_column, sub_total_row = -1, -2, -3, -4
    column_groups: dict[int, list[int]] = {total_column: columns}
    if width >= 3 and rng.random() < 0.5:
        column_groups[sub_total_column] = columns[: rng.randint(1, width - 1)]
    for row in rows:
        for total, parts in column_groups.items():
            table[(row, total)] = sum(table[(row, column)] or 0 for column in parts)
    row_groups: dict[int, list[int]] = {total_row: rows}
    if height >= 3 and rng.random() < 0.5:
        row_groups[sub_total_row] = rows[: rng.randint(1, height - 1)]
    all_columns = [*columns, *column_groups]
    for total, parts in row_groups.items():
        for column in all_columns:
            table[(total, column)] = sum(table[(row, column)] or 0 for row in parts)
    constraints = additive_constraints(
        [*rows, *row_groups], all_columns, row_groups=row_groups, column_groups=column_groups
    )
    return table, constraints


def _check(table: dict[Any, int | None], constraints: list[Constraint], threshold: int) -> None:
    result = suppress(table, constraints, threshold=threshold)
    # Every constraint is exact on the original table (None read as 0).
    for constraint in constraints:
        assert (table[constraint.total] or 0) == sum(table[part] or 0 for part in constraint.parts)
    # No hidden cell can be computed, even combining the sums (two independent checks).
    assert determined_cells(result.hidden, table, constraints) == []
    assert _oracle(result.hidden, constraints) == []
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


def test_property_no_hidden_cell_is_determined_in_export_shaped_tables() -> None:
    rng = random.Random(20240607)
    for _ in range(700):
        table, constraints = _export_table(rng)
        _check(table, constraints, rng.choice([3, 5, 5, 5, 10]))


def test_property_no_hidden_cell_is_determined_in_grids() -> None:
    rng = random.Random(1789)
    for _ in range(700):
        table, constraints = _random_grid(rng)
        _check(table, constraints, rng.choice([3, 5, 5, 5, 10]))


def test_determined_cells_agrees_with_ranks_on_any_hidden_set() -> None:
    rng = random.Random(42)
    for _ in range(400):
        table, constraints = _random_grid(rng) if rng.random() < 0.5 else _export_table(rng)
        keys = list(table)
        hidden = [key for key in keys if rng.random() < rng.choice([0.1, 0.3, 0.6])]
        found = determined_cells(hidden, table, constraints)
        assert found == _oracle(hidden, constraints)


def test_determined_cells_examples() -> None:
    table = {"t": 10, "a": 3, "b": 7}
    constraints = [Constraint("t", ("a", "b"))]
    assert determined_cells(["a"], table, constraints) == ["a"]  # 10 - 7
    assert determined_cells(["a", "b"], table, constraints) == []
    assert determined_cells(["b", "a", "t"], table, constraints) == []
    # Two sums together: a + b = 10 and b + c = 9 and a + c = 7 give each of them.
    table = {"x": 10, "y": 9, "z": 7, "a": 4, "b": 6, "c": 3}
    constraints = [Constraint("x", ("a", "b")), Constraint("y", ("b", "c")), Constraint("z", ("a", "c"))]
    assert determined_cells(["a", "b", "c"], table, constraints) == ["a", "b", "c"]
    result = suppress(table, constraints)
    assert determined_cells(result.hidden, table, constraints) == []


# The reviewer's example: minors then the five bands, three sites and a Total row.
REVIEWED = {
    0: (28, [3, 4, 12, 0, 9]),
    1: (27, [15, 2, 0, 4, 6]),
    2: (10, [2, 5, 3, 0, 0]),
}
BANDS = ["0-3", "3-6", "6-12", "12-16", "16-18"]


def _reviewed_table() -> tuple[dict[tuple[Any, str], int | None], list[Constraint]]:
    table: dict[tuple[Any, str], int | None] = {}
    for site, (minors, bands) in REVIEWED.items():
        table[(site, "minors")] = minors
        table.update({(site, band): value for band, value in zip(BANDS, bands, strict=True)})
    for column in ["minors", *BANDS]:
        table[("total", column)] = sum(table[(site, column)] or 0 for site in REVIEWED)
    rows = [*REVIEWED, "total"]
    constraints = additive_constraints(rows, ["minors", *BANDS], row_groups={"total": list(REVIEWED)})
    constraints += additive_constraints(rows, [], column_groups={"minors": BANDS})
    return table, constraints


def test_the_reviewed_leak_is_closed() -> None:
    table, constraints = _reviewed_table()
    # What the rule "one sum at a time" hid: each sum has 0 or at least 2 hidden cells…
    before = {
        (0, "0-3"): PRIMARY,
        (0, "3-6"): PRIMARY,
        (0, "6-12"): SECONDARY,
        (1, "3-6"): PRIMARY,
        (1, "12-16"): PRIMARY,
        (2, "0-3"): PRIMARY,
        (2, "6-12"): PRIMARY,
        ("total", "3-6"): SECONDARY,
        ("total", "12-16"): PRIMARY,
    }
    assert constraint_violations(before, constraints) == []
    # … yet site 0's 3–6 band (4) comes back from the sums together.
    assert determined_cells(before, table, constraints) == [(0, "3-6")]

    result = suppress(table, constraints)
    assert set(before) < set(result.hidden)
    assert determined_cells(result.hidden, table, constraints) == []
    assert _oracle(result.hidden, constraints) == []
    # One more cell was enough: the 3–6 band of site 2 (5), sharing the 3–6 column.
    assert {key: reason for key, reason in result.hidden.items() if key not in before} == {(2, "3-6"): SECONDARY}


def test_a_cell_the_sums_alone_force_is_left_and_suppression_ends() -> None:
    # a = b + c and a = b force c = 0: nothing hidden can protect it (only inconsistent data
    # can make it a small count), and suppression still ends.
    table = {"a": 9, "b": 9, "c": 3}
    constraints = [Constraint("a", ("b", "c")), Constraint("a", ("b",))]
    assert determined_cells(["a", "b", "c"], table, constraints) == ["c"]
    result = suppress(table, constraints)
    assert result.hidden["c"] == PRIMARY
    assert determined_cells(result.hidden, table, constraints) == ["c"]
