"""Reading a yearly actuals workbook (DESIGN 4.2, 4.3): forms, skipped rows, every problem code."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence

import pytest
from openpyxl import Workbook

from etl.actuals_loader import load_catalog, resolve_plan_id
from etl.actuals_reader import read_actuals
from etl.problems import WARNING
from kpi import repository
from kpi.config import Limits
from kpi.errors import NotFound
from tests import db_helpers

PLAN_ID = "hadano-r3-r7"
NEXT_PLAN = "hadano-r8-r12"
HEADERS = ("指標ID", "年度", "実績値", "備考")


def book(
    rows: Sequence[Sequence[object]],
    *,
    headers: Sequence[str] = HEADERS,
    above: Sequence[Sequence[object]] = (),
    sheet: str = "実績",
    edit: Callable | None = None,
    before: Sequence[str] = (),
) -> bytes:
    """A workbook with `above` rows, a header row, then `rows` (what a clerk might build)."""
    wb = Workbook()
    first = wb.active
    for name in before:  # sheets in front of the data sheet
        wb.create_sheet(name, 0).append(["説明だけのシート"])
    ws = first
    ws.title = sheet
    for line in above:
        ws.append(list(line))
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    if edit:
        edit(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def catalog(plan_con):
    return load_catalog(plan_con)


def read(data, catalog, plan_id=PLAN_ID, limits=None):
    return read_actuals(data, "t.xlsx", catalog, plan_id=plan_id, limits=limits or Limits())


def found(result):
    return {(p.sheet, p.cell, p.code) for p in result.problems}


def values(result):
    return {(r.kpi_id, r.fiscal_year): r.actual_value for r in result.rows.itertuples()}


# ------------------------------------------------------------------ reading


def test_header_below_a_title_in_row_5(catalog):
    above = [["令和7年度 実績報告"], ["作成日 2026-04-10"], [], ["情報システム課"]]
    result = read(book([["1-2-1-1", "令和7年度", 8300, "増加"]], above=above), catalog)
    assert result.ok and result.problems == []
    assert result.rows.to_dict("records") == [
        dict(
            plan_id=PLAN_ID,
            kpi_id="1-2-1-1",
            fiscal_year=2025,
            actual_value=8300.0,
            note="増加",
            source_cell="実績!C6",
        )
    ]


@pytest.mark.parametrize(
    "year",
    ["2025", 2025, "2025年度", "FY2025", "令和7年度", "令和７年度", "R7", "R7年度", "２０２５"],
)
def test_every_year_form(catalog, year):
    result = read(book([["1-2-1-1", year, 8300]]), catalog)
    assert result.ok, result.problems
    assert list(result.rows["fiscal_year"]) == [2025]


def test_number_forms(catalog):
    def percent_format(ws):
        ws["C9"].number_format = "0%"

    rows = [
        ["1-2-1-1", 2021, "７，２００"],  # full-width digits and comma
        ["1-2-1-1", 2022, "7,350人"],  # trailing unit
        ["1-3-1-1", 2021, "７８０万"],  # 万
        ["1-3-1-1", 2022, "790万件"],  # 万 and the unit
        ["1-1-2-1", 2021, "25%"],
        ["1-1-2-1", 2022, "２５．５％"],
        ["1-1-5-1", 2021, "5業務"],
        ["1-1-2-1", 2023, 0.3],  # C9: a numeric cell shown as 30%
        ["1-1-2-1", 2024, 22],  # a plain number in the KPI's unit
        ["2-1-1-2", 2021, "年600時間"],
        ["２－１－１－１", 2021, 4],  # a full-width id
    ]
    result = read(book(rows, edit=percent_format), catalog)
    assert result.ok, result.problems
    assert values(result) == {
        ("1-2-1-1", 2021): 7200.0,
        ("1-2-1-1", 2022): 7350.0,
        ("1-3-1-1", 2021): 7_800_000.0,
        ("1-3-1-1", 2022): 7_900_000.0,
        ("1-1-2-1", 2021): 25.0,
        ("1-1-2-1", 2022): 25.5,
        ("1-1-5-1", 2021): 5.0,
        ("1-1-2-1", 2023): 30.0,
        ("1-1-2-1", 2024): 22.0,
        ("2-1-1-2", 2021): 600.0,
        ("2-1-1-1", 2021): 4.0,
    }


def test_not_reported_rows_are_skipped_and_counted(catalog):
    rows: list[list[object]] = [
        ["1-2-1-1", 2021, "－"],
        ["1-2-1-1", 2022, "ー"],
        ["1-2-1-1", 2023, "-"],
        ["1-2-1-1", 2024, "―"],
        ["1-2-1-1", 2025, "—"],
        ["1-2-1-2", 2021, "未集計"],
        ["1-2-1-2", 2022, None],
        ["1-2-1-2", 2023, "  "],
        ["1-2-1-2", 2024, 2700],
        [None, None, None, None],  # an empty row
        ["※ 数値は速報値です", None, None],  # a remark below the table: no year, not a KPI row
    ]
    result = read(book(rows), catalog)
    assert result.ok and result.problems == []
    assert result.skipped == 8
    assert result.skipped_by_plan == {PLAN_ID: 8}
    assert values(result) == {("1-2-1-2", 2024): 2700.0}


def test_note_is_kept(catalog):
    rows = [["1-2-1-1", 2024, 7900, "集計方法を変更"], ["1-2-1-2", 2024, 2700, None]]
    result = read(book(rows), catalog)
    assert list(result.rows["note"]) == ["集計方法を変更", None]


def test_other_columns_ignored_and_order_free(catalog):
    headers = ("担当課", "実 績 値", "メモ", "年 度", "指標 ＩＤ")  # NFKC, spaces removed
    result = read(book([["情報システム課", 3, "x", "R4", "1-2-4-2"]], headers=headers), catalog)
    assert result.ok, result.problems
    assert values(result) == {("1-2-4-2", 2022): 3.0}
    assert list(result.rows["source_cell"]) == ["実績!B2"]


# ------------------------------------------------------------------ sheets and plans


def test_sheet_jitsuseki_preferred_else_first_sheet_with_a_header(catalog):
    data = book([["1-2-1-1", 2025, 8300]], sheet="集計", before=["説明", "表紙"])
    result = read(data, catalog)
    assert result.ok and result.sheet == "集計"
    assert list(result.rows["source_cell"]) == ["集計!C2"]


def _add_next_plan(con):
    """A second, newer plan (FY2026-2030) with the same KPIs, targets five years later."""
    content = db_helpers.plans_content(con, [PLAN_ID])
    for frame in content.values():
        frame["plan_id"] = NEXT_PLAN
    content["plans"]["start_fy"] = 2026
    content["plans"]["end_fy"] = 2030
    content["kpi_targets"]["fiscal_year"] += 5
    with repository.transaction(con):
        repository.replace_plan(con, content)


def test_plan_id_column_covers_several_plans(plan_con):
    _add_next_plan(plan_con)
    catalog = load_catalog(plan_con)
    headers = ("計画ID", *HEADERS)
    rows: list[list[object]] = [
        [PLAN_ID, "1-2-1-1", 2025, 8300],
        [NEXT_PLAN, "1-2-1-1", 2026, 8400],
        [None, "1-2-1-2", 2025, 2900],  # blank 計画ID: the plan chosen by the caller
        [NEXT_PLAN, "1-2-1-2", 2027, "－"],
    ]
    result = read(book(rows, headers=headers), catalog, plan_id=PLAN_ID)
    assert result.ok, result.problems
    got = {(r.plan_id, r.kpi_id, r.fiscal_year) for r in result.rows.itertuples()}
    assert got == {
        (PLAN_ID, "1-2-1-1", 2025),
        (NEXT_PLAN, "1-2-1-1", 2026),
        (PLAN_ID, "1-2-1-2", 2025),
    }
    assert result.skipped_by_plan == {NEXT_PLAN: 1}
    assert sorted(result.plan_ids) == sorted([PLAN_ID, NEXT_PLAN])

    bad = read(book([["nowhere", "1-2-1-1", 2025, 1]], headers=headers), catalog)
    assert found(bad) == {("実績", "A2", "UNKNOWN_PLAN")}
    # 2025 is outside the next plan's period.
    out = read(book([[NEXT_PLAN, "1-2-1-1", 2025, 1]], headers=headers), catalog)
    assert found(out) == {("実績", "C2", "YEAR_OUT_OF_PLAN")}


def test_plan_chosen_by_default(plan_con):
    assert resolve_plan_id(plan_con) == PLAN_ID  # the only plan
    _add_next_plan(plan_con)
    assert resolve_plan_id(plan_con) == NEXT_PLAN  # the newest
    assert resolve_plan_id(plan_con, PLAN_ID) == PLAN_ID  # chosen
    with pytest.raises(NotFound):
        resolve_plan_id(plan_con, "nowhere")
    # Rows follow the plan given: FY2025 belongs to the older plan only.
    catalog = load_catalog(plan_con)
    data = book([["1-2-1-1", 2025, 8300]])
    assert read(data, catalog, plan_id=PLAN_ID).ok
    assert found(read(data, catalog, plan_id=NEXT_PLAN)) == {("実績", "B2", "YEAR_OUT_OF_PLAN")}


# ------------------------------------------------------------------ blocking problems


def test_every_blocking_problem_with_its_cell(catalog):
    rows: list[list[object]] = [
        ["9-9-9-9", 2025, 1],  # row 2: unknown KPI
        ["1-2-1-1", "来年度", 1],  # row 3: unreadable year
        ["1-2-1-1", 2019, 1],  # row 4: outside the plan (2021-2025)
        ["1-2-1-1", 2025, "約8000"],  # row 5: not a number
        ["1-2-1-2", 2025, -3],  # row 6: negative
        ["1-2-1-3", 2025, "△5"],  # row 7: negative, the Japanese way
        ["1-3-1-1", 2025, 100],  # row 8
        ["1-3-1-1", 2025, 200],  # row 9: same KPI and year, another value
        [None, 2025, 5],  # row 10: no KPI id
        ["1-1-5-1", None, 5],  # row 11: no year
        ["1-2-4-2", 2025, "①"],  # row 12: a circled digit is not a number
        ["1-1-5-1", 2025, "25%"],  # row 13: % on a KPI whose unit is not %
    ]
    result = read(book(rows), catalog)
    assert not result.ok and result.rows.empty
    assert found(result) == {
        ("実績", "A2", "UNKNOWN_KPI"),
        ("実績", "B3", "BAD_YEAR"),
        ("実績", "B4", "YEAR_OUT_OF_PLAN"),
        ("実績", "C5", "BAD_NUMBER"),
        ("実績", "C6", "NEGATIVE"),
        ("実績", "C7", "NEGATIVE"),
        ("実績", "C9", "CONFLICT"),
        ("実績", "A10", "REQUIRED"),
        ("実績", "B11", "REQUIRED"),
        ("実績", "C12", "BAD_NUMBER"),
        ("実績", "C13", "BAD_NUMBER"),
    }
    conflict = next(p for p in result.problems if p.code == "CONFLICT")
    assert "C8" in conflict.message  # names the first cell
    assert all(p.file == "t.xlsx" and p.message and p.fix for p in result.problems)


def test_header_not_found(catalog):
    no_value_column = book([["1-2-1-1", 2025]], headers=("指標ID", "年度"))
    assert found(read(no_value_column, catalog)) == {("実績", "", "HEADER_NOT_FOUND")}
    too_low = book([["1-2-1-1", 2025, 1]], above=[["x"]] * 20)  # header in row 21
    assert found(read(too_low, catalog)) == {("実績", "", "HEADER_NOT_FOUND")}
    other_sheet = book([["1-2-1-1", 2025]], headers=("a", "b"), sheet="Sheet1")
    assert found(read(other_sheet, catalog)) == {("", "", "HEADER_NOT_FOUND")}


def test_too_many_rows(catalog):
    data = book([["1-2-1-1", 2021 + i, 1] for i in range(5)])
    result = read(data, catalog, limits=Limits(max_data_rows=4))
    assert [p.code for p in result.problems] == ["FILE_TOO_MANY_ROWS"]
    assert read(data, catalog, limits=Limits(max_data_rows=5)).ok


def test_not_a_workbook(catalog):
    result = read(b"kpi,year,value\n1-2-1-1,2025,1\n", catalog)
    assert [p.code for p in result.problems] == ["FILE_CSV"]


# ------------------------------------------------------------------ formulas and error cells


def _patch_cells(data: bytes, cells: dict[str, str]) -> bytes:
    """Replace cells of the first sheet's XML (openpyxl cannot write cached formula results)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                for ref, xml in cells.items():
                    text, n = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', xml, text)
                    assert n == 1, ref
                body = text.encode()
            dst.writestr(info, body)
    return out.getvalue()


def test_formula_with_cached_value_is_read_and_without_is_refused(catalog):
    data = book([["1-2-1-1", 2024, 0], ["1-2-1-2", 2024, 0], ["1-2-1-3", 2024, 0]])
    cached = _patch_cells(data, {"C2": '<c r="C2"><f>7900+100</f><v>8000</v></c>'})
    result = read(cached, catalog)
    assert result.ok, result.problems
    assert values(result)[("1-2-1-1", 2024)] == 8000.0

    patched = _patch_cells(
        data,
        {
            "C2": '<c r="C2"><f>7900+100</f><v>8000</v></c>',
            "C3": '<c r="C3"><f>SUM(X1:X9)</f></c>',  # saved without a result
            "C4": '<c r="C4" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
        },
    )
    result = read(patched, catalog)
    assert found(result) == {
        ("実績", "C3", "FORMULA_NO_VALUE"),
        ("実績", "C4", "CELL_ERROR"),
    }
    error = next(p for p in result.problems if p.code == "CELL_ERROR")
    assert error.value == "#DIV/0!"


# ------------------------------------------------------------------ warnings


def test_warnings_do_not_block(plan_con, settings):
    from etl.actuals_loader import commit_actuals

    # The database holds 2-1-1-1 (cumulative) = 13 for FY2024.
    commit_actuals(plan_con, book([["2-1-1-1", 2024, 13]]), "a.xlsx", by="t", settings=settings)
    catalog = load_catalog(plan_con)
    rows = [
        ["1-1-2-1", 2025, 0.25],  # row 2: target 25%: a fraction?
        ["2-2-1-1", 2025, 120],  # row 3: over 100%
        ["2-1-1-2", 2022, 1500],  # row 4
        ["2-1-1-2", 2023, 1400],  # row 5: cumulative went down within the file
        ["2-1-1-1", 2025, 12],  # row 6: below the database's FY2024 value
        ["1-2-1-1", 2025, 8300],  # row 7
        ["1-2-1-1", 2025, "8,300"],  # row 8: the same row twice, same value
        ["1-1-2-1", 2024, 0],  # row 9: 0% is a plausible value, no warning
    ]
    result = read(book(rows), catalog)
    assert result.ok
    assert found(result) == {
        ("実績", "C2", "PERCENT_FRACTION"),
        ("実績", "C3", "PERCENT_OVER_100"),
        ("実績", "C5", "CUMULATIVE_DECREASE"),
        ("実績", "C6", "CUMULATIVE_DECREASE"),
        ("実績", "C8", "DUPLICATE_ROW"),
    }
    assert all(p.severity == WARNING for p in result.problems)
    fraction = next(p for p in result.problems if p.code == "PERCENT_FRACTION")
    assert "25" in fraction.message
    assert len(result.rows) == 7  # the duplicate is stored once


# ------------------------------------------------------------------ QA findings


def test_text_with_too_many_digits_is_not_a_number(catalog):
    # float('9' * 400) is inf: it would be stored and graded A.
    rows = [["1-2-1-1", 2024, "9" * 400], ["1-2-1-1", 2025, "9" * 400 + "万"]]
    result = read(book(rows), catalog)
    assert found(result) == {("実績", "C2", "BAD_NUMBER"), ("実績", "C3", "BAD_NUMBER")}


def test_cumulative_checked_against_the_next_year_in_the_database(plan_con, settings):
    from etl.actuals_loader import commit_actuals

    # The database holds 2-1-1-1 (cumulative) = 13 for FY2024.
    commit_actuals(plan_con, book([["2-1-1-1", 2024, 13]]), "a.xlsx", by="t", settings=settings)
    catalog = load_catalog(plan_con)
    result = read(book([["2-1-1-1", 2023, 20]]), catalog)
    assert result.ok
    assert found(result) == {("実績", "C2", "CUMULATIVE_DECREASE")}  # the file's cell
    # The file's FY2024 supersedes the database's 13: 20 -> 30 goes up.
    assert read(book([["2-1-1-1", 2023, 20], ["2-1-1-1", 2024, 30]]), catalog).problems == []
    # A decrease between two years of the file: one warning, at the later year.
    both = read(book([["2-1-1-1", 2022, 20], ["2-1-1-1", 2023, 19]]), catalog)
    assert found(both) == {("実績", "C3", "CUMULATIVE_DECREASE")}


def _empty_jitsuseki_first(ws):
    ws.parent.create_sheet("実績", 0)


@pytest.mark.parametrize("title", [None, "令和7年度 実績（記入しないでください）"])
def test_jitsuseki_without_a_header_falls_back_to_a_sheet_with_one(catalog, title):
    def edit(ws):
        other = ws.parent.create_sheet("実績", 0)
        if title:
            other["A1"] = title

    result = read(book([["1-2-1-1", 2025, 8300]], sheet="データ", edit=edit), catalog)
    assert result.ok, result.problems
    assert result.sheet == "データ"
    assert list(result.rows["source_cell"]) == ["データ!C2"]


def test_stray_cell_on_a_sheet_without_a_header_does_not_refuse_the_file(catalog):
    def edit(ws):
        ws.parent.create_sheet("説明", 0)["E50"] = " "

    result = read(book([["1-2-1-1", 2025, 8300]], sheet="集計", edit=edit), catalog,
                  limits=Limits(max_data_rows=10))  # fmt: skip
    assert result.ok, result.problems


def test_percent_fraction_only_for_a_plain_number(catalog):
    def percent_format(ws):
        ws["C3"].number_format = "0.0%"

    rows = [
        ["1-1-2-1", 2021, "0.8%"],  # row 2: typed with %: 0.8 percent
        ["1-1-2-1", 2022, 0.008],  # row 3: shown as 0.8%
        ["1-1-2-1", 2023, "０．８％"],  # row 4: full-width
        ["1-1-2-1", 2024, 0.8],  # row 5: a plain number: maybe 80%
        ["1-1-2-1", 2025, "0.8"],  # row 6: a plain number typed as text
    ]
    result = read(book(rows, edit=percent_format), catalog)
    assert result.ok
    assert found(result) == {
        ("実績", "C5", "PERCENT_FRACTION"),
        ("実績", "C6", "PERCENT_FRACTION"),
    }
    assert values(result)[("1-1-2-1", 2022)] == pytest.approx(0.8)


@pytest.mark.parametrize("year", ["令和7年度 (2025)", "令和7年度(2025)", "令和７年度（２０２５）"])
def test_year_as_the_app_shows_it(catalog, year):
    result = read(book([["1-2-1-1", year, 8300]]), catalog)
    assert result.ok, result.problems
    assert list(result.rows["fiscal_year"]) == [2025]


def test_year_label_whose_parts_disagree(catalog):
    result = read(book([["1-2-1-1", "令和7年度 (2024)", 8300]]), catalog)
    assert found(result) == {("実績", "B2", "BAD_YEAR")}


def test_year_out_of_plan_shows_the_year_as_typed_and_how_to_choose_a_plan(catalog):
    rows = [["1-2-1-1", "R8", 1], ["1-2-1-1", "令和元年度", 1], ["1-2-1-1", 2030, 1]]
    result = read(book(rows), catalog)
    assert found(result) == {
        ("実績", "B2", "YEAR_OUT_OF_PLAN"),
        ("実績", "B3", "YEAR_OUT_OF_PLAN"),
        ("実績", "B4", "YEAR_OUT_OF_PLAN"),
    }
    assert [p.value for p in result.problems] == ["R8", "令和元年度", "2030"]
    fix = result.problems[0].fix
    assert "2021" in fix and "2025" in fix  # the plan's period
    assert "--plan-id" in fix and "計画ID" in fix


@pytest.mark.parametrize(
    ("headers", "cell"),
    [
        (("指標ＩＤ", "年 度", "実績値", "実績値"), "D1"),
        (("指標ID", "年度", "実績値", "指標 ID"), "D1"),
        (("年度", "指標ID", "年度", "実績値"), "C1"),
        (("計画ID", "指標ID", "年度", "実績値", "計画ID"), "E1"),
        (("指標ID", "年度", "実績値", "備考", "備 考"), "E1"),
    ],
)
def test_a_column_read_by_the_rules_headed_twice_is_refused(catalog, headers, cell):
    rows = [[PLAN_ID, "1-2-1-1", 2025, 8300, 8300][: len(headers)]]
    result = read(book(rows, headers=headers), catalog)
    assert not result.ok and result.rows.empty
    assert found(result) == {("実績", cell, "DUPLICATE_COLUMN")}


def test_other_columns_headed_twice_are_ignored(catalog):
    headers = ("指標ID", "年度", "実績値", "メモ", "メモ")
    assert read(book([["1-2-1-1", 2025, 8300, "a", "b"]], headers=headers), catalog).ok


def _merge(*ranges):
    def edit(ws):
        for cells in ranges:
            ws.merge_cells(cells)

    return edit


def test_merged_year_gives_its_value_to_every_row(catalog):
    rows: list[list[object]] = [
        ["1-2-1-1", 2025, 8300],
        ["1-2-1-2", None, 2700],
        ["1-2-1-3", None, 5],
    ]
    result = read(book(rows, edit=_merge("B2:B4")), catalog)
    assert result.ok, result.problems
    assert values(result) == {
        ("1-2-1-1", 2025): 8300,
        ("1-2-1-2", 2025): 2700,
        ("1-2-1-3", 2025): 5,
    }


def test_merged_kpi_id_and_plan_id_give_their_value_to_every_row(catalog):
    rows: list[list[object]] = [
        [PLAN_ID, "1-2-1-1", 2023, 7600],
        [None, None, 2024, 7900],
        [None, None, 2025, 8300],
    ]
    headers = ("計画ID", *HEADERS)
    result = read(book(rows, headers=headers, edit=_merge("A2:A4", "B2:B4")), catalog, plan_id=None)
    assert result.ok, result.problems
    assert values(result) == {
        ("1-2-1-1", y): v for y, v in [(2023, 7600), (2024, 7900), (2025, 8300)]
    }


def test_merged_value_cell_is_refused(catalog):
    rows = [
        ["1-2-1-1", 2025, 8300],
        ["1-2-1-2", 2025, None],  # C2:C3 merged: whose value is 8300?
        ["1-2-1-3", 2025, 5],
        ["1-2-4-2", 2025, 3],  # B5:C5 merged: the value cell is hidden under the year
    ]
    result = read(book(rows, edit=_merge("C2:C3", "B5:C5")), catalog)
    assert not result.ok
    assert found(result) == {("実績", "C2:C3", "MERGED_VALUE"), ("実績", "B5:C5", "MERGED_VALUE")}
    # A value merged across into 備考 on its own row is still one value.
    ok = read(book([["1-2-1-1", 2025, 8300]], edit=_merge("C2:D2")), catalog)
    assert ok.ok and values(ok) == {("1-2-1-1", 2025): 8300.0}


def test_too_many_rows_names_the_last_used_row(catalog):
    def stray(ws):
        ws["E50"] = " "  # a single space far below the table

    result = read(book([["1-2-1-1", 2025, 8300]], edit=stray), catalog,
                  limits=Limits(max_data_rows=10))  # fmt: skip
    assert [(p.code, p.cell) for p in result.problems] == [("FILE_TOO_MANY_ROWS", "50:50")]
    assert "50" in result.problems[0].message


def test_bad_number_suggests_percent_only_for_a_percent_kpi(catalog):
    rows = [["1-2-1-1", 2025, "約8000"], ["1-1-2-1", 2025, "約25"]]
    result = read(book(rows), catalog)
    by_cell = {p.cell: p for p in result.problems}
    assert {p.code for p in result.problems} == {"BAD_NUMBER"}
    assert "%" not in by_cell["C2"].fix
    assert "%" in by_cell["C3"].fix


def test_csv_named_csv_is_not_called_a_renamed_file(catalog):
    data = b"kpi,year,value\n1-2-1-1,2025,1\n"
    as_csv = read_actuals(data, "実績.csv", catalog, plan_id=PLAN_ID, limits=Limits())
    renamed = read_actuals(data, "実績.xlsx", catalog, plan_id=PLAN_ID, limits=Limits())
    assert [p.code for p in as_csv.problems] == [p.code for p in renamed.problems] == ["FILE_CSV"]
    assert ".xlsx" not in as_csv.problems[0].message
    assert ".xlsx" in renamed.problems[0].message
