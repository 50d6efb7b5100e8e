"""How far a worksheet reaches, from its XML, streamed (issue #10 item 1).

A 20 KB workbook whose only stray cell sits at XFD400000 makes python-calamine allocate its
dense grid (16,384 x 400,000 cells, hundreds of GB) and abort the whole process (SIGABRT):
no exception reaches Python. etl.guard therefore measures every worksheet part before any
reader sees the file: the `<dimension ref>` the part declares AND every cell reference
actually present (the dimension may lie; calamine ignores it). A cell without an `r`
attribute takes the position calamine gives it (the column after the previous cell, the row
after the previous row), so leaving the references out does not hide a cell either.

Bytes come in chunks of any size (`feed`), nothing is parsed as XML, memory stays bounded:

* fast path (what Excel, openpyxl and LibreOffice write): every `<c` and `<row` tag carries
  a canonical ` r="..."` before its first `>`. Found and decoded with numpy over the chunk
  (a national 140 MB sheet in well under a second, where a regex over 4 million cells took
  3.5 s).
* exact path (anything else: prefixed tags `<x:c>`, single quotes, references left out,
  `>` inside an attribute value...): a tokenizer that follows calamine's positions.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from posixpath import join, normpath

import numpy as np

from etl.problems import Problem, problem
from kpi.config import Limits

_WINDOW = 16  # ` r="` + up to 3 letters + up to 7 digits + '"', and more to see an overlong ref
_DIMENSION = re.compile(
    rb"<(?:[A-Za-z_][\w.\-]*:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']"
)
# The exact path: a cell or row tag with its attributes (quoted values may hold '>').
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c)(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_R_ATTR = re.compile(rb"(?:^|\s)r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REF = re.compile(rb"\s*\$?([A-Za-z]{0,4})\$?([0-9]{0,10})\s*\Z")


def _ends_name(b: np.ndarray) -> np.ndarray:
    """Bytes that end a tag name: space, tab, newline, carriage return, '/', '>'."""
    return (b == 32) | (b == 62) | (b == 47) | ((b >= 9) & (b <= 13))


def column_letters(column: int) -> str:
    """1-based column -> letters (16384 -> 'XFD')."""
    letters = ""
    while column > 0:
        column, rem = divmod(column - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def parse_ref(ref: bytes) -> tuple[int, int] | None:
    """'XFD400000' -> (row 400000, column 16384), 1-based; 0 for a part left out; None if
    it is no reference at all."""
    m = _REF.match(ref)
    if m is None or not (m.group(1) or m.group(2)):
        return None
    column = 0
    for ch in m.group(1).upper():
        column = column * 26 + ch - 64
    return (int(m.group(2)) if m.group(2) else 0), column


@dataclass
class Reach:
    """The furthest row and column (1-based) a part declares or holds."""

    rows: int = 0
    columns: int = 0

    @property
    def cells(self) -> int:
        """The A1-anchored rectangle a reader materialises."""
        return self.rows * self.columns

    @property
    def corner(self) -> str:
        return f"{column_letters(max(self.columns, 1))}{max(self.rows, 1)}"


class SheetReach:
    """Feed a worksheet part's bytes in chunks; read `.declared` and `.present`."""

    def __init__(self) -> None:
        self.declared = Reach()  # from <dimension ref="A1:K350">
        self.present = Reach()  # from the cells and rows themselves
        self._pending = b""
        self._row = 0  # 1-based row of the current <row>, as calamine counts without r
        self._column = 0  # 1-based column of the previous cell in that row
        self._seen_dimension = False

    def feed(self, chunk: bytes) -> None:
        data = self._pending + chunk
        # '<' cannot occur inside an attribute value, so everything before the last '<'
        # holds whole tags only; the rest waits for the next chunk.
        cut = data.rfind(b"<")
        if cut <= 0:
            self._pending = data
            return
        self._pending = data[cut:]
        self._take(data[:cut])

    def finish(self) -> None:
        data, self._pending = self._pending, b""
        if data:
            self._take(data)

    # -- internals -----------------------------------------------------------------

    def _take(self, xml: bytes) -> None:
        # a literal find first: the pattern starts with '<', which every tag does
        if not self._seen_dimension and b"dimension" in xml and (m := _DIMENSION.search(xml)):
            self._seen_dimension = True
            for part in m.group(1).split(b":"):
                if (got := parse_ref(part)) is not None:
                    self.declared.rows = max(self.declared.rows, got[0])
                    self.declared.columns = max(self.declared.columns, got[1])
        if not self._fast(xml):
            self._exact(xml)

    def _grow(self, row: int, column: int) -> None:
        if row > self.present.rows:
            self.present.rows = row
        if column > self.present.columns:
            self.present.columns = column

    def _fast(self, xml: bytes) -> bool:
        """Canonical markup only: every `<c` and `<row` tag, unprefixed, starts with
        ` r="<reference>"`. Returns False (nothing taken) when that is not so."""
        a = np.frombuffer(xml, dtype=np.uint8)
        padded = np.concatenate([a, np.zeros(_WINDOW + 8, dtype=np.uint8)])
        # A prefixed cell or row tag (<x:c ...>): only the exact path follows those.
        colon = np.flatnonzero(a == 58) + 1
        if len(colon) and (
            ((padded[colon] == 99) & _ends_name(padded[colon + 1])).any()
            | (
                (padded[colon] == 114)
                & (padded[colon + 1] == 111)
                & (padded[colon + 2] == 119)
                & _ends_name(padded[colon + 3])
            ).any()
        ):
            return False
        lt = np.flatnonzero(a == 60)
        first = padded[lt + 1]
        keep = (first == 99) | (first == 114)  # '<c' or '<r': the rest (</c>, <v>) go first
        lt, first = lt[keep], first[keep]
        is_c = (first == 99) & _ends_name(padded[lt + 2])
        is_row = (
            (first == 114)
            & (padded[lt + 2] == 111)
            & (padded[lt + 3] == 119)
            & _ends_name(padded[lt + 4])
        )
        tagged = is_c | is_row
        if not tagged.any():
            return True
        after = np.where(is_c, lt + 2, lt + 4)[tagged]  # the byte after the tag name
        canonical = (
            (padded[after] == 32)
            & (padded[after + 1] == 114)
            & (padded[after + 2] == 61)
            & (padded[after + 3] == 34)
        )
        if not canonical.all():
            return False
        # Decode each reference column-wise (one gather per byte position, 1-D arithmetic):
        # up to 3 letters, then 1 to 7 digits, then the closing quote.
        start = after + 4
        letter = [(b >= 65) & (b <= 90) for b in (padded[start + k] for k in range(4))]
        n_letters = letter[0].astype(np.int64)
        n_letters += letter[0] & letter[1]
        n_letters += letter[0] & letter[1] & letter[2]
        columns = np.zeros(len(start), dtype=np.int64)
        for k in range(3):
            b = padded[start + k].astype(np.int64)
            columns = np.where(k < n_letters, columns * 26 + b - 64, columns)
        rows = np.zeros(len(start), dtype=np.int64)
        n_digits = np.zeros(len(start), dtype=np.int64)
        going = np.ones(len(start), dtype=bool)
        closing = np.zeros(len(start), dtype=bool)
        digits_at = start + n_letters
        for k in range(8):  # the k-th byte after the letters
            b = padded[digits_at + k]
            digit = going & (b >= 48) & (b <= 57)
            closing |= going & (b == 34)
            going = digit
            rows = np.where(digit, rows * 10 + (b.astype(np.int64) - 48), rows)
            n_digits += digit
        row_tag = is_row[tagged]
        valid = (
            ~(letter[0] & letter[1] & letter[2] & letter[3])
            & (n_digits > 0)
            & (n_digits <= 7)
            & closing
            & ((n_letters == 0) == row_tag)
        )
        if not valid.all():
            return False
        self._grow(int(rows.max()), int(columns.max()))
        self._row = int(rows[-1])
        self._column = 0 if row_tag[-1] else int(columns[-1])
        return True

    def _exact(self, xml: bytes) -> None:
        """Every cell and row tag in order, with calamine's positions for those without r."""
        for m in _TAG.finditer(xml):
            name, attrs = m.group(1), m.group(2)
            ref = _R_ATTR.search(attrs)
            got = (
                parse_ref(ref.group(1) if ref.group(1) is not None else ref.group(2))
                if ref
                else None
            )
            if name == b"row":
                self._row = got[0] if got and got[0] else self._row + 1
                self._column = 0
                self._grow(self._row, 0)
                continue
            if got is None:
                row, column = max(self._row, 1), self._column + 1
            else:
                row = got[0] or max(self._row, 1)
                column = got[1] or self._column + 1
            self._column = column
            self._grow(row, column)


def reach_problem(
    reach: SheetReach, sheet: str, limits: Limits, filename: str = ""
) -> Problem | None:
    """FILE_SHEET_TOO_LARGE when the part declares or holds a rectangle (from A1) of more than
    ``limits.max_sheet_cells`` cells; None otherwise. The cell named is the far corner."""
    for what, got in (("使われているセル", reach.present), ("シートの範囲指定", reach.declared)):
        if got.cells > limits.max_sheet_cells:
            return problem(
                "FILE_SHEET_TOO_LARGE",
                sheet=sheet,
                cell=got.corner,
                value=got.corner,
                detail=(
                    f"{what}が A1:{got.corner} まで広がり {got.cells:,} セル、"
                    f"上限 {limits.max_sheet_cells:,} セル"
                ),
                file=filename,
            )
    return None


_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?Relationship\b([^>]*)>")
_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?sheet\b([^>]*)>")


def _attr(attrs: bytes, name: bytes) -> str:
    m = re.search(rb"(?:^|\s)" + name + rb"\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", attrs)
    if m is None:
        return ""
    raw = m.group(1) if m.group(1) is not None else m.group(2)
    return html.unescape(raw.decode("utf-8", "replace"))


def worksheet_parts(workbook_xml: bytes, rels_xml: bytes) -> dict[str, str]:
    """Zip member name -> sheet name, for every worksheet the workbook lists (read with
    regular expressions: the guard parses no XML; a part it cannot name keeps its path)."""
    targets = {}
    for m in _RELATIONSHIP.finditer(rels_xml):
        kind, target = _attr(m.group(1), b"Type"), _attr(m.group(1), b"Target")
        if kind.endswith("/worksheet") and target:
            path = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
            targets[_attr(m.group(1), b"Id")] = path
    names = {}
    for m in _SHEET_TAG.finditer(workbook_xml):
        rid = _attr(m.group(1), b"r:id") or _attr(m.group(1), b"[A-Za-z_][\\w.\\-]*:id")
        if rid in targets:
            names[targets[rid]] = _attr(m.group(1), b"name")
    return {path: names.get(path, path) for path in targets.values()}
