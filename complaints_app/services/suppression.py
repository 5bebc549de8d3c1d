"""Small-count suppression for published statistics.

Every figure the public sees is a count ("how many allegations under clause 2c were sustained")
or a sum of counts (a row, a column, a period's total). A count between 1 and
``threshold - 1`` could point to a person, so it is hidden (*primary* suppression, shown as
"fewer than 5"). Hiding it is not enough when the figures around it add up: if a row shows its
total and every other cell, the hidden one is the difference. So more figures are hidden
(*complementary* suppression, shown as "hidden") until no hidden figure can be worked out.

The rules, in the order applied:

1. **Zeros are shown.** A zero says that nobody is in a cell, so it points to no one, and
   readers need it ("no complaint about the jail"). It also tells an attacker less than it
   seems: because zeros and counts of ``threshold`` or more are always shown unless hidden to
   protect another cell, an attacker knows a "fewer than 5" cell lies in 1 … threshold-1 and a
   "hidden" one is at least ``threshold``; the audit below reckons with exactly that knowledge.
   A zero is never chosen as a complementary cell (but see the last resort below).
2. **Primary:** every figure (cell or total) with ``0 < value < threshold``.
3. **Lines:** in every published sum (a row with its total, a column with its total, the totals
   with the grand total, two tables sharing a total, a total made of earlier figures) a hidden
   figure never stands alone: the smallest other non-zero figure of the sum is hidden too,
   preferring cells over totals and figures whose other sums already hide something, so that a
   fix in one row does not open a new gap in a column.
4. **Audit:** an attacker who knows every published figure, every sum, and the ranges above
   tries to pin each hidden figure: the smallest and the largest whole number it can be, by an
   integer program over every sum at once (so combinations of sums count, not just a sum with
   one unknown). Any hidden figure with one possible value gets another figure of its sums
   hidden, and the audit runs again.

Last resort: when a figure can still be pinned and every non-zero figure linked to it is
hidden already (all of them small, say, adding up to a small total), every figure linked to it
is *withheld*: shown as "not published", which says nothing of its size, zeros included.

The threshold should be 3 or more: with 2, "fewer than 2" can only mean 1.

Periods: figures of one period never add up with another period's, so nothing on the public
page is a total over periods (no "since reporting began"). Where a caller must publish such a
figure, it passes the earlier periods' published figures as ``published_before``: they are
part of the sums (known when they were shown, unknown when hidden) but are never changed, and
the audit sees through them the same way.

The module is pure: ``suppress`` takes plain values and returns which keys to hide and why.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

Key = Hashable

#: Stands for "no upper bound" in the attacker's ranges; larger than any count we publish.
UNBOUNDED = 10**15


class Reason(StrEnum):
    """Why a figure is hidden."""

    #: Between 1 and threshold - 1.
    SMALL = "small"
    #: Hidden so that a small figure cannot be worked out from the sums around it.
    COMPLEMENTARY = "complementary"
    #: Not published at all, with no hint of its size: the last resort for a group of figures
    #: that even the labels would give away (say four "fewer than 5" adding up to a total of
    #: "fewer than 5": each must be 1).
    WITHHELD = "withheld"


@dataclass(frozen=True)
class Sum:
    """A published identity: ``sum(parts) + offset == total``.

    ``offset`` holds figures that are public and fixed, e.g. the earlier periods' total when
    ``total`` is a cumulative figure.
    """

    parts: tuple[Key, ...]
    total: Key
    offset: int = 0


@dataclass
class Figures:
    """Counts keyed by any hashable key, and the sums that a reader can check among them."""

    values: dict[Key, int] = field(default_factory=dict)
    sums: list[Sum] = field(default_factory=list)
    #: Sums a reader knows cannot exceed a figure, read ``sum(parts) + offset <= total``
    #: (urgent complaints of a status are no more than its complaints).
    orders: list[Sum] = field(default_factory=list)

    def add(self, other: Figures) -> Figures:
        self.values.update(other.values)
        self.sums.extend(other.sums)
        self.orders.extend(other.orders)
        return self

    def same(self, first: Key, second: Key) -> Figures:
        """Declare that two keys show the same figure (e.g. two tables sharing a total)."""
        self.sums.append(Sum((first,), second))
        return self


def one_way(name: Hashable, counts: Sequence[int], total: Key | None = None) -> Figures:
    """A list of counts and their total, keyed ``(name, i)`` and ``total``
    (default ``(name, "total")``)."""
    total = (name, "total") if total is None else total
    values: dict[Key, int] = {(name, i): int(v) for i, v in enumerate(counts)}
    values[total] = sum(int(v) for v in counts)
    return Figures(values, [Sum(tuple((name, i) for i in range(len(counts))), total)])


def two_way(name: Hashable, cells: Sequence[Sequence[int]], total: Key | None = None) -> Figures:
    """A grid with a total for every row and column and a grand total.

    Keys: ``(name, i, j)`` for cells, ``(name, i, "total")`` for row totals,
    ``(name, "total", j)`` for column totals, ``total`` (default ``(name, "total", "total")``)
    for the grand total.
    """
    total = (name, "total", "total") if total is None else total
    rows, cols = len(cells), len(cells[0]) if cells else 0
    values: dict[Key, int] = {}
    sums: list[Sum] = []
    for i in range(rows):
        for j in range(cols):
            values[(name, i, j)] = int(cells[i][j])
    for i in range(rows):
        values[(name, i, "total")] = sum(int(v) for v in cells[i])
        sums.append(Sum(tuple((name, i, j) for j in range(cols)), (name, i, "total")))
    for j in range(cols):
        values[(name, "total", j)] = sum(int(cells[i][j]) for i in range(rows))
        sums.append(Sum(tuple((name, i, j) for i in range(rows)), (name, "total", j)))
    values[total] = sum(int(v) for row in cells for v in row)
    sums.append(Sum(tuple((name, i, "total") for i in range(rows)), total))
    sums.append(Sum(tuple((name, "total", j) for j in range(cols)), total))
    return Figures(values, sums)


# ---------------------------------------------------------------------------------------------
# The equations an attacker can write


@dataclass
class _Equation:
    """``sum(coefficient * x) == constant`` over figures (``<=`` when ``at_most``)."""

    terms: dict[Key, int]
    constant: int
    at_most: bool = False


def _equations(sums: Iterable[Sum]) -> list[_Equation]:
    equations = []
    for s in sums:
        terms: dict[Key, int] = {}
        for part in s.parts:
            terms[part] = terms.get(part, 0) + 1
        terms[s.total] = terms.get(s.total, 0) - 1
        equations.append(_Equation({k: c for k, c in terms.items() if c}, -s.offset))
    return equations


def exposed(
    equations: Sequence[_Equation],
    known: Mapping[Key, int],
    truth: Mapping[Key, int],
    ranges: Mapping[Key, tuple[int, int]],
    safe: set[Key],
) -> list[Key]:
    """A hidden figure a reader could pin down exactly, if there is one (as a list).

    ``safe`` holds figures already shown to have another possible value; it grows as more are
    shown. Hiding more figures only gives a reader more freedom, so a figure once safe stays
    safe while ``suppress`` adds to what is hidden.

    The reader knows the shown figures (``known``), every sum, and each hidden figure's range
    from its label (``ranges``). A hidden figure is pinned when no whole-number solution of
    all the sums within those ranges gives it another value than its true one: found by
    minimising, then maximising, that figure with an integer program over every sum at once
    (so combinations of several sums count, not just a sum with one unknown).
    """
    order = sorted(ranges, key=repr)
    if not order:
        return []
    column = {key: n for n, key in enumerate(order)}
    rows, constants, upper_only = [], [], []
    for eq in equations:
        constant = eq.constant
        row = np.zeros(len(order))
        for key, coefficient in eq.terms.items():
            if key in column:
                row[column[key]] += coefficient
            else:
                constant -= coefficient * known[key]
        if row.any():
            rows.append(row)
            constants.append(constant)
            upper_only.append(eq.at_most)
    # "At least" has no upper end; any cap above every true figure keeps the truth feasible
    # and only takes solutions away from the reader, so it errs towards hiding more.
    cap = 2 * (sum(truth.values()) + sum(known.values())) + 10
    lower = np.array([ranges[k][0] for k in order], dtype=float)
    upper = np.array([min(ranges[k][1], cap) for k in order], dtype=float)
    bounds = Bounds(lower, upper)
    lowest = [-np.inf if at_most else c for c, at_most in zip(constants, upper_only, strict=True)]
    constraints = (
        # Sparse, built once: the solver is called many times on the same sums.
        [LinearConstraint(csr_array(np.array(rows)), np.array(lowest), np.array(constants))]
        if rows
        else []
    )
    whole = np.ones(len(order))
    relaxed = np.zeros(len(order))

    def solve(weights: dict[Key, float], key: Key | None = None) -> np.ndarray | None:
        """A whole-number solution minimising ``weights · x``. The linear relaxation is
        tried first (far quicker): a whole-number optimum of it is an optimum here; when it
        cannot move ``key`` off its truth, no whole-number solution can either (the truth
        itself stands in). Otherwise, with ``key``, the integer program decides; without,
        None. None also when a solver cannot settle: the truth is always a solution, so the
        caller then counts ``key`` as pinned, and hides more."""
        objective = np.zeros(len(order))
        for name, weight in weights.items():
            objective[column[name]] = weight
        result = milp(objective, integrality=relaxed, bounds=bounds, constraints=constraints)
        if result.status == 0:
            x = result.x
            if np.all(np.abs(x - np.round(x)) < 1e-6):
                return np.round(x)
            if key is not None and key in truth and len(truth) == len(order):
                sign = weights[key]
                if sign * x[column[key]] >= sign * truth[key] - 1e-6:
                    return np.array([truth[k] for k in order], dtype=float)
        if key is None:
            return None
        result = milp(objective, integrality=whole, bounds=bounds, constraints=constraints)
        return np.round(result.x) if result.status == 0 else None

    def certify(solution: np.ndarray | None) -> None:
        if solution is not None:
            safe.update(k for k in truth if k in column and solution[column[k]] != truth[k])

    # One solution pushing every figure down, one pushing every figure up, usually shows most
    # figures can move; each remaining one is then pushed on its own.
    for sign in (1.0, -1.0):
        open_keys = [k for k in order if k in truth and k not in safe]
        if open_keys:
            certify(solve(dict.fromkeys(open_keys, sign)))
    # Small figures first: they are what the hiding is for.
    for key in sorted(order, key=lambda k: ranges[k][1] >= UNBOUNDED):
        if key in safe or ranges[key][0] == ranges[key][1]:
            # The label alone tells this one (a threshold of 2): nothing left to protect.
            continue
        ends = []
        for sign in (1.0, -1.0):
            solution = solve({key: sign}, key)
            certify(solution)
            if solution is None or key in safe:
                break
            ends.append(solution[column[key]])
        if key in safe:
            continue
        if len(ends) < 2 or ends[0] == ends[1]:
            # One is enough to act on; the next audit finds any other.
            return [key]
    return []


def attacker_ranges(
    hidden: Mapping[Key, Reason], threshold: int, hidden_before: Iterable[Key] = ()
) -> dict[Key, tuple[int, int]]:
    """What the labels tell a reader about each hidden figure."""
    labelled = {
        Reason.SMALL: (1, threshold - 1),
        Reason.COMPLEMENTARY: (threshold, UNBOUNDED),
        Reason.WITHHELD: (0, UNBOUNDED),
    }
    ranges = {key: labelled[reason] for key, reason in hidden.items()}
    for key in hidden_before:
        ranges[key] = (0, UNBOUNDED)
    return ranges


# ---------------------------------------------------------------------------------------------
# Choosing what to hide


def suppress(
    figures: Figures,
    threshold: int,
    published_before: Mapping[Key, int | None] | None = None,
) -> dict[Key, Reason]:
    """Which figures to hide, and why, so that no hidden figure can be worked out.

    ``figures.values`` are this release's counts (non-negative). ``published_before`` holds
    figures already public that the sums may involve (an earlier period's, as shown then: the
    value, or None when it was hidden); they are never hidden again or revealed. Returns every
    key to hide with its reason; every other key of ``figures.values`` is shown as it is.
    """
    if threshold < 1:
        return {}
    before = dict(published_before or {})
    values = figures.values
    for key, value in values.items():
        if value < 0:
            raise ValueError(f"negative count for {key!r}")
    equations = _equations(figures.sums)
    # Inequalities only narrow a reader's ranges: they join the audit, not the line rule.
    orders = [_Equation(eq.terms, eq.constant, at_most=True) for eq in _equations(figures.orders)]
    hidden: dict[Key, Reason] = {
        key: Reason.SMALL for key, value in values.items() if 0 < value < threshold
    }
    hidden_before = {k for k, v in before.items() if v is None}
    known_before = {k: v for k, v in before.items() if v is not None}
    membership: dict[Key, list[int]] = {}
    for n, eq in enumerate(equations):
        for key in eq.terms:
            membership.setdefault(key, []).append(n)
    partners: dict[Key, list[Key]] = {}
    for eq in orders:
        for key in eq.terms:
            partners.setdefault(key, []).extend(eq.terms)

    def unknowns(eq: _Equation) -> int:
        return sum(1 for k in eq.terms if k in hidden or k in hidden_before)

    def is_total(key: Key) -> bool:
        return any(eq.terms[key] < 0 for eq in (equations[n] for n in membership.get(key, ())))

    def choose(candidates: Iterable[Key]) -> Key | None:
        usable = [k for k in set(candidates) if k in values and k not in hidden and values[k] > 0]
        if not usable:
            return None

        def cost(key: Key) -> tuple:
            opened = sum(1 for n in membership.get(key, ()) if unknowns(equations[n]) == 0)
            return (opened, is_total(key), values[key], repr(key))

        return min(usable, key=cost)

    safe: set[Key] = set()
    while True:
        lonely = next((eq for eq in equations if unknowns(eq) == 1), None)
        if lonely is not None:
            pick = choose(lonely.terms)
            if pick is not None:
                hidden[pick] = Reason.COMPLEMENTARY
                continue
        if lonely is None:
            known = {**{k: v for k, v in values.items() if k not in hidden}, **known_before}
            truth = {k: values[k] for k in hidden}
            # An earlier period's hidden figure must stay hidden too (its truth is not
            # known here: both ends of its range are sought).
            ranges = attacker_ranges(hidden, threshold, hidden_before)
            targets = exposed([*equations, *orders], known, truth, ranges, safe)
            if not targets:
                return hidden
        else:
            targets = [k for k in lonely.terms if k in hidden or k in hidden_before]
        pick = choose(
            k
            for key in targets
            for k in (
                *(k for n in membership.get(key, ()) for k in equations[n].terms),
                *partners.get(key, ()),
            )
        )
        if pick is None:
            pick = choose(_component(targets[0], equations, membership, partners))
        if pick is None:
            # Every non-zero figure linked to it is hidden and it can still be pinned: withhold
            # the whole linked group, whose labels then say nothing of any size.
            group = [
                k
                for k in _component(targets[0], equations, membership, partners)
                if k in values and hidden.get(k) is not Reason.WITHHELD
            ]
            if not group:
                return hidden  # Withheld already: nothing more can be done.
            hidden.update(dict.fromkeys(group, Reason.WITHHELD))
            continue
        hidden[pick] = Reason.COMPLEMENTARY


def _component(
    start: Key, equations: Sequence[_Equation], membership, partners: Mapping[Key, list[Key]]
) -> set[Key]:
    """Every figure linked to ``start`` through some chain of sums and orders."""
    seen, todo = {start}, [start]
    while todo:
        key = todo.pop()
        linked = [k for n in membership.get(key, ()) for k in equations[n].terms]
        for other in (*linked, *partners.get(key, ())):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen
