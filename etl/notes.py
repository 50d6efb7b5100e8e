"""The department's comment (備考): cleaned and bounded when it is read (issue #10 item 3).

One accepted comment broke the outputs for everyone: control characters or NUL made the
Excel export fail (openpyxl refuses them), a 1,100-character comment made the PDF fail, and
a 1 MB comment was stored whole. Decisions (docs/decisions.md, issue #10):

* control characters are **removed** at read time, with a warning that says so (a clerk's
  comment copied from another system often carries a stray \\x07 or NUL; refusing the whole
  file for an invisible character would only annoy). Tab and line breaks stay (CR LF and CR
  become LF): they are text a clerk typed with Alt+Enter.
* a comment longer than ``limits.max_note_chars`` (config.toml, default 1,000 characters)
  is refused (NOTE_TOO_LONG, blocking): cutting it silently would lose what the department
  wrote, so the clerk shortens it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from etl.problems import Problem, cell_name, problem

# C0 controls but tab and line feed, DEL and the C1 controls. CR is turned into LF first.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SHOWN = 60  # characters of a comment shown as the problem's value


def note_text(value: object) -> str:
    """A cell's comment as text, before cleaning (numbers as Excel shows them: 5, not 5.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def clean_note(value: object) -> str | None:
    """The comment as stored: control characters removed, CR LF / CR -> LF, trimmed; None
    when nothing is left."""
    text = note_text(value)
    if not text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = CONTROL.sub("", text).strip()
    return text or None


def shown(text: str) -> str:
    """A comment as a problem's value: inert (no control character) and short."""
    text = CONTROL.sub("", text.replace("\r", " ").replace("\n", " "))
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def note_problems(
    values: Sequence[object],
    rows: Sequence[int],
    column: int,
    *,
    sheet: str,
    filename: str,
    max_chars: int,
) -> list[Problem]:
    """Problems of the comments `values` found at 0-based `rows` of `column`:
    NOTE_TOO_LONG (blocking) and NOTE_CONTROL_CHARACTERS (a warning: they are removed)."""
    found = []
    for r, value in zip(rows, values, strict=True):
        if not isinstance(value, str):
            continue
        cleaned = clean_note(value) or ""
        cell = cell_name(r, column)
        if len(cleaned) > max_chars:
            found.append(
                problem(
                    "NOTE_TOO_LONG",
                    sheet=sheet,
                    cell=cell,
                    value=shown(cleaned),
                    detail=f"{len(cleaned):,} 文字、上限 {max_chars:,} 文字",
                    file=filename,
                )
            )
        removed = len(CONTROL.findall(value.replace("\r", "")))
        if removed:
            found.append(
                problem(
                    "NOTE_CONTROL_CHARACTERS",
                    sheet=sheet,
                    cell=cell,
                    value=shown(cleaned),
                    detail=f"{removed:,} 文字",
                    file=filename,
                )
            )
    return found
