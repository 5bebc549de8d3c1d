"""An attacker, written apart from the module it attacks, that tries to recover hidden figures.

It knows what any reader knows: every shown figure, every published sum, earlier periods'
figures, and what the labels say ("fewer than T" is 1 … T-1, "hidden" at least T, an earlier
period's hidden figure at least 0). Two strengths:

- ``solve_one_unknown``: any sum with a single unknown gives it away; repeat until stuck.
- ``feasible_values``: a complete search over whole-number solutions of every sum at once,
  which finds every value (up to two) each hidden figure can take.
"""

from __future__ import annotations

from complaints_app.services.suppression import Figures, Reason


def equations(figures: Figures, sums=None) -> list[tuple[dict, int]]:
    """Every published sum as ``sum(c * x) == constant``."""
    result = []
    for s in figures.sums if sums is None else sums:
        terms: dict = {}
        for part in s.parts:
            terms[part] = terms.get(part, 0) + 1
        terms[s.total] = terms.get(s.total, 0) - 1
        result.append(({k: c for k, c in terms.items() if c}, -s.offset))
    return result


def shown(figures: Figures, hidden: dict, before: dict | None = None) -> dict:
    known = {k: v for k, v in figures.values.items() if k not in hidden}
    known.update({k: v for k, v in (before or {}).items() if v is not None})
    return known


def solve_one_unknown(figures: Figures, hidden: dict, before: dict | None = None) -> dict:
    """Every hidden figure some chain of one-unknown sums gives away, with its value."""
    known = shown(figures, hidden, before)
    found: dict = {}
    progress = True
    while progress:
        progress = False
        for terms, constant in equations(figures):
            unknown = [k for k in terms if k not in known]
            if len(unknown) == 1:
                key = unknown[0]
                rest = constant - sum(c * known[k] for k, c in terms.items() if k != key)
                known[key] = found[key] = rest // terms[key]
                progress = True
    return found


def _ranges(figures, hidden, threshold, before, cap):
    labelled = {
        Reason.SMALL: (1, threshold - 1),
        Reason.COMPLEMENTARY: (threshold, cap),
        Reason.WITHHELD: (0, cap),
    }
    ranges = {k: labelled[r] for k, r in hidden.items()}
    for k, v in (before or {}).items():
        if v is None:
            ranges[k] = (0, cap)
    return ranges


def _reduce(system, known):
    """Move shown figures to the constant side: ``(unknown terms, constant, at_most)``."""
    reduced = []
    for terms, constant, at_most in system:
        unknown = {}
        for k, c in terms.items():
            if k in known:
                constant -= c * known[k]
            else:
                unknown[k] = c
        reduced.append((unknown, constant, at_most))
    return reduced


def _propagate(system, lo, hi):
    """Tighten whole-number bounds; False when some sum cannot hold."""
    changed = True
    while changed:
        changed = False
        for terms, constant, at_most in system:
            if not terms:
                if constant < 0 if at_most else constant != 0:
                    return False
                continue
            for key, c in terms.items():
                low = high = constant
                for other, d in terms.items():
                    if other != key:
                        a, b = d * lo[other], d * hi[other]
                        low -= max(a, b)
                        high -= min(a, b)
                # c * x lies in [low, high] for an equation, at most ``high`` for "<=".
                if at_most:
                    low = -(10**18)
                if c < 0:
                    low, high = -high, -low
                if lo[key] < low:
                    lo[key], changed = low, True
                if hi[key] > high:
                    hi[key], changed = high, True
                if lo[key] > hi[key]:
                    return False
    return True


def _search(system, lo, hi):
    lo, hi = dict(lo), dict(hi)
    if not _propagate(system, lo, hi):
        return None
    open_keys = [k for k in lo if lo[k] < hi[k]]
    if not open_keys:
        return lo
    key = min(open_keys, key=lambda k: (hi[k] - lo[k], repr(k)))
    for value in range(lo[key], hi[key] + 1):
        lo2, hi2 = dict(lo), dict(hi)
        lo2[key] = hi2[key] = value
        found = _search(system, lo2, hi2)
        if found is not None:
            return found
    return None


def feasible_values(
    figures: Figures, hidden: dict, threshold: int, before: dict | None = None
) -> dict:
    """For each hidden figure, up to two values it can take given everything published."""
    known = shown(figures, hidden, before)
    system = [(terms, constant, False) for terms, constant in equations(figures)]
    system += [(terms, constant, True) for terms, constant in equations(figures, figures.orders)]
    system = _reduce(system, known)
    cap = 3 * max([1, *figures.values.values()]) + 10
    ranges = _ranges(figures, hidden, threshold, before, cap)
    lo = {k: r[0] for k, r in ranges.items()}
    hi = {k: r[1] for k, r in ranges.items()}
    base = _search(system, lo, hi)
    assert base is not None, "the true figures must be a solution"
    result = {}
    for key in ranges:
        values = {base[key]}
        for low, high in ((lo[key], base[key] - 1), (base[key] + 1, hi[key])):
            if low > high:
                continue
            lo2, hi2 = dict(lo), dict(hi)
            lo2[key], hi2[key] = low, high
            other = _search(system, lo2, hi2)
            if other is not None:
                values.add(other[key])
                break
        result[key] = values
    return result
