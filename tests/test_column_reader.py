"""The column-wise readers give exactly what the cell-by-cell ones give (issue 6).

`read_numbers` must equal `read_number` cell by cell, and the actuals reader's column-wise
`read` must equal its scalar `read_scalar`: the same rows, the same problems in the same
order, the same skipped counts. Both are checked on many generated inputs built from the
forms that make the rules tricky (property style, a fixed seed per case so that a failure
can be replayed).
"""

from __future__ import annotations

import random

import pandas as pd
import pytest

from etl.actuals_catalog import KpiCatalog, KpiInfo
from etl.actuals_reader import _Reader
from etl.actuals_table import COL_KPI, COL_NOTE, COL_PLAN, COL_VALUE, COL_YEAR
from etl.problems import ACTUALS_ROWS, codes_raised_by
from etl.sheet_table import find_header
from etl.xlsx import Sheet
from kpi.numbers import NumberFormatError, read_number, read_numbers

# Pieces that the rules of DESIGN 4.3 treat specially, glued at random.
PIECES = [
    *"0123456789",
    *"０１２３４５６７８９",
    ",", "，", ".", "．", "%", "％", " ", "　", "\t",
    "万", "億", "年", "月", "以上", "以下",
    "件", "回", "人", "時間", "業務", "データ", "枚", "箇所", "種類", "km",
    "△", "▲", "-", "－", "ー", "―", "—", "‐", "−", "+", "＋",
    "①", "²", "未集計", "約", "e", "E", "x",
]  # fmt: skip
# Non-finite and absurd magnitudes (issue #10): both paths must refuse or warn alike.
ODD = [float("nan"), float("inf"), float("-inf"), 1e308, 1e15, 2e9, 999_999_999.0]
UNITS = ["", "%", "件", "回", "人", "時間", "業務", "km", "万人"]


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))


def random_value(rng: random.Random) -> object:
    roll = rng.random()
    if roll < 0.35:
        return random_text(rng)
    if roll < 0.55:
        return rng.choice([0, 1, -1, 7, 100, 101, 2025, 10**6, -(10**6)])
    if roll < 0.8:
        return rng.choice([0.0, 0.25, 0.5, 1.0, 1.5, 99.9, 100.0, 100.5, -0.5, -0.0, 1e20, *ODD])
    return rng.choice(
        [
            *(None, "", "  ", "－", "ー", "-", "―", "—", "未集計", True, False),
            *("25%", "３万", "1,234件", "9" * 400, "9" * 305 + "億", "0.8%", "０．５％", "0.5"),
        ]
    )


def reference(raw: object, unit: str, percent: bool) -> float | str | None:
    try:
        return read_number(raw, unit, percent_format=percent).value
    except NumberFormatError as e:
        return e.code


@pytest.mark.parametrize("seed", range(20))
def test_read_numbers_equals_read_number_cell_by_cell(seed):
    rng = random.Random(seed)
    raws = [random_value(rng) for _ in range(500)]
    raws += raws[:100]  # repeated values take the per-distinct-value path
    units = [rng.choice(UNITS) for _ in raws]
    percent = [rng.random() < 0.2 for _ in raws]
    got = read_numbers(raws, units, percent)
    want = [reference(r, u, p) for r, u, p in zip(raws, units, percent, strict=True)]
    for raw, unit, pct, g, w in zip(raws, units, percent, got, want, strict=True):
        assert (g, type(g)) == (w, type(w)), (raw, unit, pct)


def test_read_numbers_keeps_true_apart_from_one():
    # True == 1 and hash(True) == hash(1): a cache keyed on the value alone would mix them.
    assert read_numbers([1, True, 1.0], ["", "", ""]) == [1.0, "BAD_NUMBER", 1.0]


# ------------------------------------------------------------------ the actuals reader

PLANS = {"P1": (2021, 2025), "P2": (2026, 2030)}
KPIS = {
    "1-1-1-1": KpiInfo("%", False, "higher"),
    "1-1-1-2": KpiInfo("件", True, "higher"),
    "2-1-1-1": KpiInfo("", False, "lower"),
    "2-2-1-1": KpiInfo("回", False, "maintain"),
}
KPI_FORMS = [*KPIS, "１－１－１－１", " 1-1-1-2", "2-1-1-1 ", "9-9-9-9", "", None, 1.0, True]
YEAR_FORMS = [
    *range(2020, 2032),
    "2025年度",
    "R7",
    "令和7年度",
    "FY2023",
    "２０２４",
    2025.0,
    "来年",
    "令和7年度 (2025)",
    "令和3年度(2021)",
    "令和7年度 (2024)",
    "R8",
    "",
    None,
    True,
]
PLAN_FORMS = [None, "", "P1", "P2", " P1 ", "P3", 1, True]
NOTE_FORMS = [None, "", "メモ", 5, "  要確認 ", 2.0]


def pick(rng: random.Random, valid: list, forms: list, p_valid: float = 0.75) -> object:
    return rng.choice(valid) if rng.random() < p_valid else rng.choice(forms)


def actual_value(rng: random.Random) -> object:
    roll = rng.random()
    if roll < 0.5:
        return rng.choice([rng.randint(0, 5000), round(rng.uniform(0, 120), 1)])
    if roll < 0.65:
        return rng.choice(["1,234", "25%", "３万", "１２件", "７，０００", "年3回", "0.5", "99"])
    return random_value(rng)


def catalog() -> KpiCatalog:
    targets = {}
    current = {}
    for pid, (start, end) in PLANS.items():
        for fy in range(start, end + 1):
            targets[(pid, "1-1-1-1", fy)] = 50.0 if fy % 2 else 0.5
            current[(pid, "1-1-1-2", fy)] = float(fy - start) * 10
    return KpiCatalog(
        periods=dict(PLANS),
        kpis={(p, k): info for p in PLANS for k, info in KPIS.items()},
        targets=targets,
        current=current,
    )


def random_sheet(rng: random.Random) -> Sheet:
    headers = [COL_KPI, COL_YEAR, COL_VALUE, "担当課"]
    if rng.random() < 0.7:
        headers.append(COL_NOTE)
    if rng.random() < 0.6:
        headers.insert(rng.randint(0, len(headers)), COL_PLAN)
    rng.shuffle(headers)
    col = {h: i for i, h in enumerate(headers)}
    above: list[list[object]] = [["令和7年度 実績"], []] if rng.random() < 0.5 else []
    rows: list[list[object]] = [*above, list(headers)]
    blank = rng.choice([None, ""])  # calamine gives '' (raw), openpyxl-like rows None
    earlier: list[list[object]] = []
    for _ in range(rng.randint(0, 80)):
        if earlier and rng.random() < 0.12:  # a key again: same or another value
            row = list(rng.choice(earlier))
            row += [blank] * (len(headers) - len(row))
            if rng.random() < 0.5:
                row[col[COL_VALUE]] = actual_value(rng)
        else:
            row = [blank] * len(headers)
            row[col[COL_KPI]] = pick(rng, list(KPIS), KPI_FORMS)
            row[col[COL_YEAR]] = pick(rng, list(range(2021, 2031)), YEAR_FORMS)
            row[col[COL_VALUE]] = actual_value(rng)
            if COL_PLAN in col:
                row[col[COL_PLAN]] = pick(rng, ["P1", "P2"], PLAN_FORMS)
            if COL_NOTE in col:
                row[col[COL_NOTE]] = rng.choice(NOTE_FORMS)
            if rng.random() < 0.05:
                row = [blank] * len(headers)  # an empty row
        if rng.random() < 0.05:
            row = row[: rng.randint(0, len(row))]  # a short row
        earlier.append(row)
        rows.append(row)
    sheet = Sheet("実績", rows)
    first = len(above) + 1
    cells = [(r, c) for r in range(first, len(rows)) for c in range(len(headers))]
    if cells:
        value_cells = [(r, col[COL_VALUE]) for r in range(first, len(rows))]
        sheet.percent_cells = set(rng.sample(value_cells, k=len(value_cells) // 6))
        if rng.random() < 0.4:
            sheet.merged = random_merges(rng, rows, first, len(headers), blank)
        if rng.random() < 0.3:
            sheet.formula_without_value = set(rng.sample(cells, k=min(3, len(cells))))
        if rng.random() < 0.3:
            sheet.error_cells = {c: "#DIV/0!" for c in rng.sample(cells, k=min(2, len(cells)))}
    return sheet


def random_merges(
    rng: random.Random, rows: list[list[object]], first: int, width: int, blank: object
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """A few merged ranges that do not overlap, mostly down one column (a year over a block),
    some across columns or starting at the header; covered cells are blank, as Excel saves."""
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = []
    used: set[tuple[int, int]] = set()
    for _ in range(rng.randint(1, 4)):
        r0 = rng.randint(first - 1 if rng.random() < 0.1 else first, len(rows) - 1)
        c0 = rng.randrange(width)
        r1 = min(r0 + rng.randint(0, 3), len(rows) - 1)
        across = r0 >= first and rng.random() < 0.25  # never across the header row
        c1 = min(c0 + across, width - 1)
        cells = {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        if len(cells) < 2 or cells & used:
            continue
        used |= cells
        merged.append(((r0, c0), (r1, c1)))
        for r, c in cells - {(r0, c0)}:
            if c < len(rows[r]):
                rows[r][c] = blank
    return merged


def narrowed(sheet: Sheet, table) -> Sheet:
    """The sheet as `Workbook.narrow` gives it: rows hold only the columns the reader uses."""
    columns = [
        table.col(h) for h in (COL_KPI, COL_YEAR, COL_VALUE, COL_PLAN, COL_NOTE) if table.has(h)
    ]
    rows = [tuple(row[c] if c < len(row) else "" for c in columns) for row in sheet.rows]
    return Sheet(
        sheet.name,
        rows,
        set(sheet.percent_cells),
        set(sheet.formula_without_value),
        dict(sheet.error_cells),
        columns=columns,
        merged=list(sheet.merged),
    )


def read_both(sheet: Sheet, default: str | None, narrow: bool = False):
    table = find_header(sheet, [COL_KPI, COL_YEAR, COL_VALUE], search_rows=20)
    assert table is not None
    out = []
    for method in ("read", "read_scalar"):
        given = narrowed(sheet, table) if narrow and method == "read" else sheet
        reader = _Reader(given, table, "t.xlsx", catalog(), default)
        rows, skipped = getattr(reader, method)()
        out.append((rows, skipped, reader.skipped, reader.problems))
    return out


@pytest.mark.parametrize("seed", range(150))
def test_column_reader_equals_scalar_reader(seed):
    rng = random.Random(seed)
    sheet = random_sheet(rng)
    # The column-wise reader on the narrow sheet (as the upload path reads it), the scalar
    # one on the full rows.
    (rows, skipped, n, problems), (rows_s, skipped_s, n_s, problems_s) = read_both(
        sheet, rng.choice(["P1", "P2", None]), narrow=seed % 2 == 1
    )
    pd.testing.assert_frame_equal(rows, rows_s)
    assert (skipped, n) == (skipped_s, n_s)
    assert problems == problems_s  # the same problems, in the same order


def test_generated_sheets_exercise_every_rule():
    """The generator is only as good as its coverage: every code turns up somewhere."""
    codes = set()
    accepted = 0
    for seed in range(150):
        rng = random.Random(seed)
        (rows, *_rest, problems), _ = read_both(random_sheet(rng), rng.choice(["P1", "P2", None]))
        codes |= {p.code for p in problems}
        accepted += len(rows)
    assert accepted > 500
    # Every code the catalogue says the actuals reader's row rules raise: a new rule tagged
    # there fails here until the generator produces it.
    must_cover = codes_raised_by(ACTUALS_ROWS)
    assert len(must_cover) >= 15
    assert must_cover - codes == set()


# ------------------------------------------------------------------ the narrow sheet


def test_narrow_sheet_equals_the_full_one_when_data_starts_past_column_a():
    """calamine's row iterator starts at the first used column: the narrow sheet must still
    put every value under its real column (hand-made files often start at B2)."""
    import io

    from openpyxl import Workbook as OpenpyxlWorkbook

    from etl.xlsx import Workbook

    wb = OpenpyxlWorkbook()
    ws = wb.active
    ws.title = "実績"
    ws["C2"] = "報告"
    table: list[list[object]] = [["指標ID", "年度", "実績値", "備考"], ["1-1", 2025, 3, "x"]]
    for r, row in enumerate(table, 4):
        for c, v in enumerate(row, start=3):
            ws.cell(row=r, column=c, value=v)
    ws["G5"] = "far right"
    buf = io.BytesIO()
    wb.save(buf)
    book = Workbook(buf.getvalue())
    full = book.sheet("実績", raw=True)
    head = book.head("実績", 20)
    assert head.rows == full.rows[:20]
    narrow = Workbook(buf.getvalue()).narrow("実績", [2, 3, 4, 5, 0, 9])
    assert narrow.rows == [
        tuple(row[c] if c < len(row) else "" for c in (2, 3, 4, 5, 0, 9)) for row in full.rows
    ]
