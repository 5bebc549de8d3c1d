"""axe-core in the page: the WCAG 2.0, 2.1 and 2.2 A and AA rules, and a readable report."""

from __future__ import annotations

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}"""


def violations(page, axe_source: str) -> list[dict]:
    """Run axe on the page as it is now. The script is evaluated through the browser's
    debugging protocol, so the page's Content-Security-Policy stays on and untouched."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source + "\n;undefined")
    return page.evaluate(RUN, WCAG_TAGS)


DUPLICATE_IDS = """() => {
  const seen = {};
  for (const el of document.querySelectorAll('[id]:not([type=hidden])')) {
    seen[el.id] = (seen[el.id] || 0) + 1;
  }
  return Object.keys(seen).filter(id => seen[id] > 1);
}"""


def duplicate_ids(page) -> list[str]:
    """ids given to more than one element (hidden inputs aside): a label or an error link
    then points at the first of them, so a screen reader names the wrong field (axe no
    longer reports this under WCAG 2.2, which dropped the parsing criterion)."""
    return page.evaluate(DUPLICATE_IDS)


SAME_NAMES = """() => {
  const named = [];
  for (const form of document.querySelectorAll('form')) {
    for (const field of form.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      const name = [...(field.labels || [])].map(l => l.textContent.trim()).join(' ');
      if (name) named.push([form, field, name]);
    }
  }
  const clashes = new Set();
  for (const [form, field, name] of named) {
    const choice = field.type === 'radio' || field.type === 'checkbox';
    for (const [otherForm, other, otherName] of named) {
      const otherChoice = other.type === 'radio' || other.type === 'checkbox';
      // Options of different questions may share words ("Yes", "No"); a field to type in
      // must not share its name with anything else in its form.
      if (other !== field && otherForm === form && otherName === name && !(choice && otherChoice)) {
        clashes.add(name);
      }
    }
  }
  return [...clashes];
}"""


def ambiguous_labels(page) -> list[str]:
    """Labels a field to type in shares with another field of its form: a person using a
    screen reader or voice control cannot tell which is which (a translation can make two
    English labels one, as "Email" and "Email address" can)."""
    return page.evaluate(SAME_NAMES)


def describe(where: str, found: list[dict]) -> str:
    """One block per violation: rule, impact, what it means, and every element it names."""
    lines = []
    for v in found:
        lines.append(f"{where}: {v['id']} ({v['impact']}) — {v['help']}")
        for node in v["nodes"][:10]:
            lines.append(f"    {node['target']}")
            summary = " ".join((node["summary"] or "").split())
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)
