"""Statistical disclosure control of small counts ("secret statistique"), for any table of counts.

Counts of people that leave the platform (exports, API, indicators shared with partners) must
not single out a household: a cell counting 1 to 4 people says too much about them. This
module hides such cells, then hides enough other cells that no hidden cell can be recomputed
from a total that is shown.

The model
    A *table* is a mapping ``{key: count}``; a key is any hashable value, usually ``(row,
    column)``. A count is a non-negative ``int``, or ``None`` for "not known" (shown blank).

    A *constraint* (``Constraint(total, parts)``) says that the cell ``total`` is the sum of the
    cells ``parts``: a "Total" row, a column "minors" that is the sum of the age bands. Anyone
    who sees every cell of a constraint but one can recompute that one. ``None`` counts as 0
    in a constraint (what a reader of a blank cell would assume), so give only constraints that
    hold with that reading. ``additive_constraints`` builds them for a grid with total rows
    and total columns.

The rules (``suppress``)
    1. Primary suppression: every count ``n`` with ``0 < n < threshold`` is hidden.
       ``threshold`` is ``settings.SMALL_CELL_THRESHOLD`` (5 by default, so 1 to 4 are
       hidden). Zero is shown: it tells that nobody is counted, so it describes no one, and
       hiding zeros would hide most cells of a sparse table (and tell, by the marker, that the
       count is small anyway). "Not known" (``None``) is not a count and is not hidden.
    2. Secondary suppression: until nothing changes, every constraint with exactly one hidden
       cell gets a second one: its smallest visible non-zero cell, or, failing that, its
       smallest visible cell (a zero or a blank one; ties go to the first in the constraint).
       Each new hidden cell may in turn leave another constraint with a single hidden cell,
       which is why it repeats.

    At the end no constraint has exactly one hidden cell, and the visible cells keep their
    values. This protects each cell against recomputation from any single constraint. It is
    not a full linear-programming audit (as τ-ARGUS does): combining several constraints may
    narrow a hidden cell down to an interval, which is accepted for these small tables.

Markers (``SuppressedTable.marker``)
    Hidden cells are written ``< 5`` (the threshold) when they are small themselves
    (primary), and ``s`` when they were hidden to protect another cell (secondary; "s" as in
    the French statistical offices' "secret"). Both are translatable. Documents that show them
    should say so in a note (``marker_legend``).

Example::

    table = {("a", "total"): 12, ("a", "x"): 9, ("a", "y"): 3}
    result = suppress(table, additive_constraints(["a"], [], column_groups={"total": ["x", "y"]}))
    result.values   # {("a", "total"): 12, ("a", "x"): None, ("a", "y"): None}
    result.hidden   # {("a", "y"): "primary", ("a", "x"): "secondary"}
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.conf import settings
from django.utils.translation import gettext, pgettext

PRIMARY = "primary"
SECONDARY = "secondary"

K = TypeVar("K", bound=Hashable)
R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)


@dataclass(frozen=True)
class Constraint(Generic[K]):
    """``total`` is the sum of ``parts`` (keys of the table)."""

    total: K
    parts: tuple[K, ...]

    @property
    def cells(self) -> tuple[K, ...]:
        """The total then the parts, each once."""
        return tuple(dict.fromkeys((self.total, *self.parts)))


def additive_constraints(
    rows: Sequence[R],
    columns: Sequence[C],
    *,
    row_groups: Mapping[R, Sequence[R]] | None = None,
    column_groups: Mapping[C, Sequence[C]] | None = None,
) -> list[Constraint[tuple[R, C]]]:
    """The constraints of a grid whose cells are ``(row, column)``.

    ``row_groups`` maps a total row to the rows it sums: for every column of ``columns``,
    ``(total_row, column) = Σ (row, column)``. ``column_groups`` maps a total column to the
    columns it sums: for every row of ``rows``, ``(row, total_column) = Σ (row, column)``.
    Empty groups are skipped (an empty sum is a known zero, not a protection).
    """
    constraints: list[Constraint[tuple[R, C]]] = []
    for total_row, part_rows in (row_groups or {}).items():
        if part_rows:
            for column in columns:
                constraints.append(Constraint((total_row, column), tuple((row, column) for row in part_rows)))
    for total_column, part_columns in (column_groups or {}).items():
        if part_columns:
            for row in rows:
                constraints.append(Constraint((row, total_column), tuple((row, column) for column in part_columns)))
    return constraints


def small_cell_threshold() -> int:
    return int(getattr(settings, "SMALL_CELL_THRESHOLD", 5))


def primary_marker(threshold: int | None = None) -> str:
    """What a cell hidden because it is small shows: "< 5"."""
    return gettext("< %(threshold)s") % {"threshold": small_cell_threshold() if threshold is None else threshold}


def secondary_marker() -> str:
    """What a cell hidden to protect another one shows: "s"."""
    return pgettext("statistical confidentiality marker", "s")


def marker_legend(threshold: int | None = None) -> str:
    """A sentence explaining both markers, for a note under a table or a sheet of notes."""
    value = small_cell_threshold() if threshold is None else threshold
    return gettext(
        "Statistical confidentiality: “%(primary)s” is a count from 1 to %(largest)s, hidden; "
        "“%(secondary)s” is a count hidden so that another hidden count cannot be recomputed from a total."
    ) % {"primary": primary_marker(value), "largest": value - 1, "secondary": secondary_marker()}


@dataclass
class SuppressedTable(Generic[K]):
    """The result of ``suppress``.

    ``values``: the table with the hidden cells set to ``None`` (a ``None`` that is not in
    ``hidden`` was already "not known"). ``hidden``: the hidden keys, each with its reason,
    ``PRIMARY`` or ``SECONDARY``, in the order they were hidden.
    """

    values: dict[K, int | None]
    hidden: dict[K, str] = field(default_factory=dict)
    threshold: int = 5

    def is_hidden(self, key: K) -> bool:
        return key in self.hidden

    def marker(self, key: K) -> str:
        """The marker of a hidden cell ("< 5" or "s"), "" for a visible one."""
        reason = self.hidden.get(key)
        if reason == PRIMARY:
            return primary_marker(self.threshold)
        if reason == SECONDARY:
            return secondary_marker()
        return ""

    def display(self, key: K) -> int | str | None:
        """The value of a visible cell (``None`` if not known), or the marker of a hidden one."""
        if key in self.hidden:
            return self.marker(key)
        return self.values[key]


def suppress(
    table: Mapping[K, int | None],
    constraints: Iterable[Constraint[K]] = (),
    *,
    threshold: int | None = None,
) -> SuppressedTable[K]:
    """Primary then secondary suppression of ``table`` (see the module's documentation).

    ``threshold`` defaults to ``settings.SMALL_CELL_THRESHOLD``. Every key of a constraint must
    be in ``table`` (``KeyError`` otherwise). Constraints of fewer than two distinct cells are
    ignored. Deterministic: the same input gives the same hidden cells.
    """
    limit = small_cell_threshold() if threshold is None else threshold
    values = dict(table)
    hidden: dict[K, str] = {}
    for key, value in values.items():
        if value is not None and 0 < value < limit:
            hidden[key] = PRIMARY

    groups: list[tuple[K, ...]] = []
    for constraint in constraints:
        cells = constraint.cells
        for key in cells:
            if key not in values:
                raise KeyError(key)
        if len(cells) >= 2:
            groups.append(cells)
    containing: dict[K, list[int]] = {}
    for index, cells in enumerate(groups):
        for key in cells:
            containing.setdefault(key, []).append(index)

    queue = deque(range(len(groups)))
    queued = set(queue)
    while queue:
        index = queue.popleft()
        queued.discard(index)
        cells = groups[index]
        if sum(1 for key in cells if key in hidden) != 1:
            continue
        visible = [(position, key) for position, key in enumerate(cells) if key not in hidden]
        non_zero = [(position, key) for position, key in visible if values[key]]
        candidates = non_zero or visible
        _position, chosen = min(candidates, key=lambda item: (values[item[1]] or 0, item[0]))
        hidden[chosen] = SECONDARY
        for other in containing[chosen]:
            if other not in queued:
                queue.append(other)
                queued.add(other)

    suppressed = {key: (None if key in hidden else value) for key, value in values.items()}
    return SuppressedTable(values=suppressed, hidden=hidden, threshold=limit)


def constraint_violations(hidden: Iterable[K], constraints: Iterable[Constraint[K]]) -> list[Constraint[K]]:
    """The constraints with exactly one hidden cell (empty after ``suppress``): for tests and audits."""
    hidden_keys = set(hidden)
    return [
        constraint
        for constraint in constraints
        if len(constraint.cells) >= 2 and sum(1 for key in constraint.cells if key in hidden_keys) == 1
    ]
