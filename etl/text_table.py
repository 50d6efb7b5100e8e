"""Plain-text tables for the terminal, aligned for Japanese (full-width) characters."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        used += display_width(ch)
        if used > width - 1:
            break
        out += ch
    return out + "…"


def format_table(rows: Sequence[Mapping[str, object]], max_width: int = 60) -> str:
    if not rows:
        return ""
    headers = list(rows[0].keys())
    cells = [
        [
            _clip(str("" if r.get(h) is None else r.get(h)).replace("\n", " "), max_width)
            for h in headers
        ]
        for r in rows
    ]
    widths = [
        max(display_width(h), *(display_width(c[i]) for c in cells)) for i, h in enumerate(headers)
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v + " " * (w - display_width(v)) for v, w in zip(values, widths, strict=True)
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cells)])
