"""Give every record of a grid table its state, using the merged-cell layout and the text.

A merged Entidad cell prints its name on one row of its group: usually the first, sometimes a
middle one, and then the rows above the name belong to it too. Rows between two printed names
therefore belong to the upper state unless the text says otherwise: from the first row (after
the last row that names the upper state) whose text names the lower state, the rows go to the
lower state; rows just above that which read clearly more like the lower state's rows than the
upper state's (rapidfuzz ratio at least SIMILARITY_MARGIN points higher) go with them. Those assignments are flagged
``entity_inferred``. Any record whose text names only other states than its own is flagged
``entity_mismatch:<state>``.
"""
from __future__ import annotations

from rapidfuzz import fuzz

from nlp.loader.grid import Draft
from nlp.loader.states import canonical_state, evidence, fold


# how much closer (rapidfuzz ratio, 0-100) a row must read to the lower state's rows to join them
SIMILARITY_MARGIN = 10


def _sim(text: str, others: list[str]) -> float:
    if not others:
        return 0.0
    t = fold(text)
    return max(fuzz.ratio(t, fold(o)) for o in others)


def assign_states(drafts: list[Draft]) -> list[tuple[str | None, list[str]]]:
    """(state, flags) for each draft, in order."""
    n = len(drafts)
    texts = [d.text for d in drafts]
    ev = [evidence(t) for t in texts]
    labels = [canonical_state(d.label) if d.label else None for d in drafts]
    state: list[str | None] = [None] * n
    flags: list[list[str]] = [[] for _ in range(n)]
    anchors = [i for i in range(n) if labels[i]]
    for i in anchors:
        state[i] = labels[i]
    for i in range(n):
        if drafts[i].label and not labels[i]:
            flags[i].append(f"unknown_entity_label:{drafts[i].label}")

    bounds = [-1] + anchors + [n]
    for a, b in zip(bounds, bounds[1:]):
        gap = list(range(a + 1, b))
        if not gap:
            continue
        upper = labels[a] if a >= 0 else None
        lower = labels[b] if b < n else None
        for k in gap:
            state[k] = upper
        if lower is None or lower == upper:
            if upper is None:
                for k in gap:
                    flags[k].append("entity_unknown")
            continue
        last_upper = max((k for k in gap if upper in ev[k]), default=a)
        start = next((k for k in gap if k > last_upper and lower in ev[k] and upper not in ev[k]), None)
        if start is None:
            if upper is None:  # rows before the first printed name belong to it
                start = gap[0]
            else:
                continue
        # extend upwards over rows that read like the lower state's rows
        lower_rows = [texts[j] for j in range(start, min(n, b + 1))]
        k = start - 1
        while k > last_upper and k > a and upper is not None:
            upper_rows = [texts[j] for j in range(max(a, 0), k)]
            if _sim(texts[k], lower_rows) >= _sim(texts[k], upper_rows) + SIMILARITY_MARGIN:
                start = k
                lower_rows.append(texts[k])
                k -= 1
            else:
                break
        for k in range(start, b):
            state[k] = lower
            flags[k].append("entity_inferred")

    for i in range(n):
        if state[i] and ev[i] and state[i] not in ev[i]:
            flags[i].extend(f"entity_mismatch:{s}" for s in sorted(ev[i]))
    return list(zip(state, flags))
