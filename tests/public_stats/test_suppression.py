"""Small-count suppression: every rule, proved against an attacker that knows every sum."""

from __future__ import annotations

import random

import pytest

from complaints_app.services.suppression import (
    Figures,
    Reason,
    Sum,
    one_way,
    suppress,
    two_way,
)
from tests.public_stats.attack import feasible_values, solve_one_unknown

T = 5


def assert_safe(figures: Figures, hidden: dict, before: dict | None = None, threshold: int = T):
    """Nothing hidden can be worked out, the small figures are all hidden, zeros are shown."""
    for key, value in figures.values.items():
        if hidden.get(key) is Reason.WITHHELD:
            continue
        if 0 < value < threshold:
            assert hidden.get(key) is Reason.SMALL, key
        elif key in hidden:
            assert hidden[key] is Reason.COMPLEMENTARY and value >= threshold, key
    assert solve_one_unknown(figures, hidden, before) == {}
    for key, values in feasible_values(figures, hidden, threshold, before).items():
        assert len(values) >= 2, (key, values)


def test_nothing_small_hides_nothing():
    figures = two_way("t", [[5, 0], [7, 9]])
    assert suppress(figures, T) == {}


def test_zeros_are_shown():
    figures = one_way("t", [0, 0, 12, 30])
    assert suppress(figures, T) == {}


def test_single_small_cell_in_a_row_hides_a_partner():
    figures = two_way("t", [[3, 9, 20], [8, 11, 6], [12, 7, 30]])
    hidden = suppress(figures, T)
    assert hidden[("t", 0, 0)] is Reason.SMALL
    row = [k for k in hidden if k[1] == 0 and k[2] != "total"]
    col = [k for k in hidden if k[2] == 0 and k[1] != "total"]
    assert len(row) >= 2 and len(col) >= 2
    assert_safe(figures, hidden)


def test_two_small_cells_in_a_row():
    figures = two_way("t", [[2, 3, 40], [9, 8, 30], [15, 6, 25]])
    hidden = suppress(figures, T)
    assert_safe(figures, hidden)


def test_row_total_below_threshold():
    # The whole first row is small, its total too: the cells and the total hide each other,
    # and the columns need partners.
    figures = two_way("t", [[1, 2, 0], [9, 8, 30], [15, 6, 25]])
    hidden = suppress(figures, T)
    assert hidden[("t", 0, "total")] is Reason.SMALL
    assert_safe(figures, hidden)


def test_only_small_figure_in_the_total_column():
    # Every cell is zero or large, but one row total is small… impossible; a small column
    # total with large cells is impossible too. A small total needs small cells, except when
    # the only small figure is a total of one cell: a one-cell row.
    figures = two_way("t", [[3], [9], [12]])
    hidden = suppress(figures, T)
    assert ("t", 0, "total") in hidden and ("t", 0, 0) in hidden
    assert_safe(figures, hidden)


def test_small_total_of_a_list_hides_the_list_and_its_twin():
    # Two tables share a total of 4: both must hide it, and then the cells of each.
    figures = one_way("by_status", [4, 0, 0], total="complaints")
    figures.add(one_way("by_agency", [0, 4], total="complaints"))
    hidden = suppress(figures, T)
    assert hidden["complaints"] is Reason.SMALL
    assert_safe(figures, hidden)


def test_one_by_n_table():
    figures = one_way("t", [2, 6, 40, 0, 9])
    hidden = suppress(figures, T)
    assert hidden[("t", 0)] is Reason.SMALL
    # The smallest other non-zero count is the partner, not the large one.
    assert hidden[("t", 1)] is Reason.COMPLEMENTARY
    assert ("t", 2) not in hidden and ("t", "total") not in hidden
    assert_safe(figures, hidden)


def test_partner_leaving_a_narrow_range_is_not_enough():
    # 1 + 5 = 6: "fewer than 5" is at least 1 and "hidden" at least 5, so a reader could
    # pin both; a third figure must go.
    figures = one_way("t", [1, 5, 40])
    hidden = suppress(figures, T)
    assert len(hidden) >= 3
    assert_safe(figures, hidden)


def test_tables_sharing_a_total_cannot_be_played_against_each_other():
    by_status = one_way("status", [3, 20, 17], total="all")
    by_agency = one_way("agency", [2, 38, 0], total="all")
    by_channel = one_way("channel", [40, 0, 0], total="all")
    figures = Figures().add(by_status).add(by_agency).add(by_channel)
    hidden = suppress(figures, T)
    assert_safe(figures, hidden)


def test_clause_by_finding_grid_with_finding_list_and_sustained_share():
    # A clause × finding grid; the findings list repeats its column totals, and the sustained
    # column is repeated beside a "decided" count in another table.
    cells = [[3, 10, 0], [6, 2, 14], [0, 0, 9]]
    figures = two_way("clause", cells, total="allegations")
    figures.add(one_way("finding", [9, 12, 23], total="allegations"))
    for j in range(3):
        figures.same(("clause", "total", j), ("finding", j))
    for i in range(3):
        figures.values[("share", i, "sustained")] = cells[i][0]
        figures.same(("clause", i, 0), ("share", i, "sustained"))
        figures.values[("share", i, "decided")] = cells[i][0] + cells[i][1]
        figures.sums.append(Sum((("clause", i, 0), ("clause", i, 1)), ("share", i, "decided")))
    hidden = suppress(figures, T)
    assert_safe(figures, hidden)


def test_previous_period_and_a_cumulative_total_do_not_give_the_period_away():
    # Earlier period shown in full; this period has a small cell; a cumulative figure per
    # row would be earlier + this, so the cumulative figure must hide too.
    earlier = {("earlier", i): v for i, v in enumerate([12, 30, 8])}
    figures = one_way("now", [2, 25, 9])
    for i, v in enumerate([2, 25, 9]):
        figures.values[("cumulative", i)] = earlier[("earlier", i)] + v
        figures.sums.append(Sum((("earlier", i), ("now", i)), ("cumulative", i)))
    hidden = suppress(figures, T, published_before=earlier)
    assert ("cumulative", 0) in hidden
    assert_safe(figures, hidden, before=earlier)


def test_cumulative_total_with_an_offset_for_the_earlier_periods():
    figures = one_way("now", [3, 0, 22])
    figures.values["since_start"] = 140 + 25
    figures.sums.append(Sum((("now", "total"),), "since_start", offset=140))
    hidden = suppress(figures, T)
    assert_safe(figures, hidden)


def test_an_earlier_hidden_figure_is_not_revealed_now():
    earlier = {("earlier", 0): None, ("earlier", 1): 40}
    figures = one_way("now", [30, 12])
    figures.values[("cumulative", 0)] = 33
    figures.sums.append(Sum((("earlier", 0), ("now", 0)), ("cumulative", 0)))
    hidden = suppress(figures, T, published_before=earlier)
    assert hidden
    assert_safe(figures, hidden, before=earlier)


def test_threshold_is_a_parameter():
    figures = one_way("t", [7, 12, 30])
    assert ("t", 0) in suppress(figures, 10)
    assert suppress(figures, 5) == {}


def _random_counts(rng: random.Random, n: int) -> list[int]:
    pick = rng.random
    return [
        0 if (r := pick()) < 0.25 else rng.randint(1, 4) if r < 0.55 else rng.randint(5, 25)
        for _ in range(n)
    ]


@pytest.mark.parametrize("seed", range(120))
def test_random_grids_give_nothing_away(seed):
    rng = random.Random(seed)
    rows, cols = rng.randint(1, 5), rng.randint(1, 4)
    cells = [_random_counts(rng, cols) for _ in range(rows)]
    figures = two_way("t", cells)
    hidden = suppress(figures, T)
    assert_safe(figures, hidden)


@pytest.mark.parametrize("seed", range(80))
def test_random_lists_sharing_a_total_give_nothing_away(seed):
    rng = random.Random(1000 + seed)
    first = _random_counts(rng, rng.randint(1, 6))
    total = sum(first)
    figures = one_way("a", first, total="total")
    for name in ("b", "c"):
        n = rng.randint(1, 5)
        cuts = sorted(rng.randint(0, total) for _ in range(n - 1))
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
        figures.add(one_way(name, parts, total="total"))
    hidden = suppress(figures, T)
    assert_safe(figures, hidden)


@pytest.mark.parametrize("seed", range(40))
def test_random_grid_with_its_margin_list_and_an_earlier_period(seed):
    rng = random.Random(5000 + seed)
    rows, cols = rng.randint(2, 4), rng.randint(2, 4)
    cells = [_random_counts(rng, cols) for _ in range(rows)]
    figures = two_way("grid", cells, total="all")
    figures.add(one_way("cols", [sum(r[j] for r in cells) for j in range(cols)], total="all"))
    for j in range(cols):
        figures.same(("grid", "total", j), ("cols", j))
    # Earlier totals were published under the same rule: zero or at least the threshold.
    earlier_total = rng.choice([0, rng.randint(T, 60)])
    figures.values["since_start"] = earlier_total + sum(map(sum, cells))
    figures.sums.append(Sum(("all",), "since_start", offset=earlier_total))
    hidden = suppress(figures, T)
    assert_safe(figures, hidden)


def test_a_group_that_cannot_be_protected_is_withheld_whole():
    # A public offset of 2 with nothing new: the cumulative figure is 2 whatever is hidden
    # around it, so the whole linked group is withheld, zeros included.
    figures = one_way("now", [0, 0], total="all")
    figures.values["since_start"] = 2
    figures.sums.append(Sum(("all",), "since_start", offset=2))
    hidden = suppress(figures, T)
    assert hidden == dict.fromkeys(figures.values, Reason.WITHHELD)
    assert_safe(figures, hidden)


def test_small_figures_adding_up_to_a_small_total_are_withheld():
    # Four "fewer than 5" adding up to "fewer than 5" can only be 1 each: the labels alone
    # would tell, so the list and its twin sharing the total say nothing at all.
    figures = one_way("status", [1, 1, 0, 1, 1], total="all")
    figures.add(one_way("agency", [4, 0], total="all"))
    hidden = suppress(figures, T)
    assert hidden == dict.fromkeys(figures.values, Reason.WITHHELD)
    assert_safe(figures, hidden)


def test_a_count_that_cannot_exceed_another_is_reckoned_with():
    # Urgent complaints per status are no more than that status's complaints; a reader who
    # knows it must still not pin a hidden figure.
    complaints = [9, 6, 30]
    urgent = [2, 6, 0]
    figures = one_way("complaints", complaints).add(one_way("urgent", urgent))
    figures.orders.extend(Sum((("urgent", i),), ("complaints", i)) for i in range(3))
    hidden = suppress(figures, T)
    assert_safe(figures, hidden)


@pytest.mark.parametrize("seed", range(40))
def test_random_lists_with_a_part_no_larger_than_the_whole(seed):
    rng = random.Random(9000 + seed)
    complaints = _random_counts(rng, rng.randint(2, 6))
    urgent = [rng.randint(0, c) for c in complaints]
    figures = one_way("complaints", complaints).add(one_way("urgent", urgent))
    figures.orders.extend(Sum((("urgent", i),), ("complaints", i)) for i in range(len(urgent)))
    # Acknowledged complaints plus those still waiting for it are no more than all of them.
    figures.values["acknowledged"] = rng.randint(0, sum(complaints) - complaints[0])
    figures.orders.append(Sum(("acknowledged", ("complaints", 0)), ("complaints", "total")))
    hidden = suppress(figures, T)
    assert_safe(figures, hidden)


@pytest.mark.parametrize("seed", range(30))
def test_random_grids_under_a_threshold_of_three(seed):
    rng = random.Random(7000 + seed)
    cells = [
        [rng.choice([0, 1, 2, rng.randint(3, 12)]) for _ in range(rng.randint(1, 4))]
        for _ in range(rng.randint(1, 4))
    ]
    width = len(cells[0])
    cells = [(row + [0] * width)[:width] for row in cells]
    figures = two_way("t", cells)
    hidden = suppress(figures, 3)
    assert_safe(figures, hidden, threshold=3)
