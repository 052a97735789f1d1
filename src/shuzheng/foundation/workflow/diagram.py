"""A definition drawn as a state diagram (SVG), with no JavaScript and no external service:
states in columns by their distance from the initial state, transitions as labelled arrows."""

from collections import deque
from html import escape

from shuzheng.foundation.workflow.spec import Spec

BOX_W, BOX_H, COL_GAP, ROW_GAP, PAD = 150, 44, 90, 34, 24


def layout(spec: Spec) -> dict[str, tuple[int, int]]:
    depth = {spec.initial: 0}
    queue = deque([spec.initial])
    while queue:
        state = queue.popleft()
        for t in spec.transitions_from(state):
            if t.target not in depth:
                depth[t.target] = depth[state] + 1
                queue.append(t.target)
    for state in spec.states:  # unreachable states go in a last column
        depth.setdefault(state, max(depth.values()) + 1)
    columns: dict[int, list[str]] = {}
    for state in spec.states:
        columns.setdefault(depth[state], []).append(state)
    return {
        state: (col, row) for col, states in columns.items() for row, state in enumerate(states)
    }


def svg(spec: Spec) -> str:
    pos = layout(spec)
    width = PAD * 2 + (max(c for c, _ in pos.values()) + 1) * (BOX_W + COL_GAP)
    height = PAD * 2 + (max(r for _, r in pos.values()) + 1) * (BOX_H + ROW_GAP) + 40

    def box(state):
        col, row = pos[state]
        return PAD + col * (BOX_W + COL_GAP), PAD + 20 + row * (BOX_H + ROW_GAP)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(spec.name)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#345"/></marker></defs>',
        f'<text x="{PAD}" y="{PAD}" font-size="14" font-weight="bold">'
        f"{escape(spec.name)} ({escape(spec.code)})</text>",
    ]
    for t in spec.transitions:
        for source in t.sources:
            x1, y1 = box(source)
            x2, y2 = box(t.target)
            if source == t.target:
                d = (
                    f"M{x1 + BOX_W - 30},{y1} C{x1 + BOX_W},{y1 - 30} {x1 + BOX_W + 30},{y1 + 10}"
                    f" {x1 + BOX_W},{y1 + 14}"
                )
                lx, ly = x1 + BOX_W + 8, y1 - 14
            else:
                forward = x2 >= x1
                sx = x1 + BOX_W if forward else x1
                ex = x2 if forward else x2 + BOX_W
                sy, ey = y1 + BOX_H / 2, y2 + BOX_H / 2
                bend = 0 if forward and x2 != x1 else 40
                d = f"M{sx},{sy} C{(sx + ex) / 2},{sy - bend} {(sx + ex) / 2},{ey - bend} {ex},{ey}"
                lx, ly = (sx + ex) / 2, (sy + ey) / 2 - 6 - bend * 0.75
            sla = f" ⏱{t.sla}" if t.sla else ""
            parts.append(
                f'<path d="{d}" fill="none" stroke="#345" stroke-width="1.4" '
                f'marker-end="url(#arrow)"/>'
            )
            parts.append(
                f'<text x="{lx}" y="{ly}" font-size="11" text-anchor="middle" '
                f'fill="#123">{escape(t.label)}{escape(sla)}</text>'
            )
    for state in spec.states:
        x, y = box(state)
        final = spec.is_final(state)
        initial = state == spec.initial
        stroke = "#0b5cad" if initial else "#345"
        parts.append(
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="10" '
            f'fill="{"#e8f5e9" if final else "#fff"}" stroke="{stroke}" '
            f'stroke-width="{3 if initial or final else 1.5}"/>'
        )
        parts.append(
            f'<text x="{x + BOX_W / 2}" y="{y + 19}" font-size="13" '
            f'text-anchor="middle">{escape(spec.label(state))}</text>'
        )
        parts.append(
            f'<text x="{x + BOX_W / 2}" y="{y + 35}" font-size="10" '
            f'text-anchor="middle" fill="#567">{escape(state)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
