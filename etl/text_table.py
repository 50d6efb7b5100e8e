"""Plain-text tables for the terminal, aligned for Japanese (full-width) characters, and
the terminal's safety: text from a file (a 備考, a KPI id, a file name, a name given with
--by) never reaches the terminal as a control sequence."""

from __future__ import annotations

import contextlib
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import TextIO

# C0 (but tab and newline), DEL, C1 (CSI 0x9b is an escape on its own), and the Unicode
# bidirectional overrides that reorder what a terminal shows.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␛ for ESC, ␀ for NUL, ␍ for CR: visible, inert
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def inert(text: str) -> str:
    """`text` with every control character shown as a visible symbol instead of acting."""
    return _CONTROL.sub(_picture, text)


class _InertWriter:
    """A text stream that passes everything through `inert` (tab and newline stay)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(inert(text))
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextlib.contextmanager
def inert_output() -> Iterator[None]:
    """Within it (the CLI's `main`), stdout and stderr show control characters inert."""
    saved = sys.stdout, sys.stderr
    sys.stdout = _InertWriter(sys.stdout)
    sys.stderr = _InertWriter(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


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
    titles = [inert(str(h)) for h in headers]
    cells = [
        [
            _clip(
                inert(
                    str("" if r.get(h) is None else r.get(h)).replace("\n", " ").replace("\t", " ")
                ),
                max_width,
            )
            for h in headers
        ]
        for r in rows
    ]
    widths = [
        max(display_width(h), *(display_width(c[i]) for c in cells)) for i, h in enumerate(titles)
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v + " " * (w - display_width(v)) for v, w in zip(values, widths, strict=True)
        ).rstrip()

    return "\n".join([line(titles), line(["-" * w for w in widths]), *map(line, cells)])
