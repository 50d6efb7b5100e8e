"""The `export` command and etl.export.export_bytes: status tables as .xlsx / .csv that
never turn a comment from an upload into a live formula (DESIGN 4.4, 7)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from etl import export as exports
from etl.cli import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, main
from kpi import repository, service
from kpi.config import Settings
from kpi.dashboard import Filters
from tests import db_helpers

# Comments that Excel would run as formulas if written naively (the department types them).
RISKY_NOTES = {
    "2-3-1-1": "=SUM(A1)",
    "1-2-1-1": "+cmd|' /C calc'!A0",
    "1-2-1-2": "@x",
    "2-5-3-3": "-1+1",
}
SHEETS = ["評価一覧", "全年度", "基本方針別", "部署別"]


def add_actuals(settings: Settings, notes: dict[str, str], fiscal_year: int = 2025) -> int:
    plan_id = str(service.plans(settings)["plan_id"].iloc[0])
    with repository.open_db(settings.db_path) as con, repository.transaction(con):
        upload_id = db_helpers.insert_upload(
            con,
            kind="actuals",
            plan_id=plan_id,
            filename="actuals_2025.xlsx",
            sha256=hashlib.sha256(repr(notes).encode()).hexdigest(),
            uploaded_at=dt.datetime(2026, 5, 1, 9, 30),
            uploaded_by="情報政策課",
        )
        rows = [
            {
                "plan_id": plan_id,
                "kpi_id": kpi_id,
                "fiscal_year": fiscal_year,
                "actual_value": 1.0,
                "note": note,
                "upload_id": upload_id,
                "recorded_at": dt.datetime(2026, 5, 1, 9, 30),
                "source_cell": None,
            }
            for kpi_id, note in notes.items()
        ]
        repository.insert_actuals(con, pd.DataFrame(rows))
    return upload_id


@pytest.fixture
def risky_db(seed_db: Settings) -> Settings:
    add_actuals(seed_db, RISKY_NOTES)
    return seed_db


def export(settings: Settings, out: Path, *args: str) -> int:
    return main(["export", "--db", str(settings.db_path), "--out", str(out), *args])


def rows_of(ws) -> list[dict[str, object]]:
    header = [c.value for c in ws[1]]
    return [
        dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)
    ]


def test_xlsx_has_one_sheet_per_view_with_japanese_headers(risky_db: Settings, tmp_path: Path):
    out = tmp_path / "status.xlsx"
    assert export(risky_db, out, "--fy", "2025") == EXIT_OK
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:4] == SHEETS
    assert "出力条件" in wb.sheetnames
    status_headers = [c.value for c in wb["評価一覧"][1]]
    for header in ["指標ID", "指標名", "年度", "目標値（計画の表記）", "実績値", "評価", "備考"]:
        assert header in status_headers
    assert [c.value for c in wb["全年度"][1]] == status_headers
    policy_headers = [c.value for c in wb["基本方針別"][1]]
    assert policy_headers[:4] == ["基本方針", "基本方針名", "指標数", "評価済（A〜D）"]
    assert "A 達成" in policy_headers and "未報告" in policy_headers
    assert "達成割合(%)" in policy_headers
    assert [c.value for c in wb["部署別"][1]][:2] == ["部署", "指標数"]

    year_rows = rows_of(wb["評価一覧"])
    all_rows = rows_of(wb["全年度"])
    data = service.plan_data(risky_db, str(service.plans(risky_db)["plan_id"].iloc[0]))
    assert len(year_rows) == len(data.kpis)  # one row per KPI, each once
    assert {r["年度"] for r in year_rows} == {2025}  # a number: analysts sort and pivot on it
    assert {r["比較"] for r in all_rows} <= {"以上", "以下", "回数・維持（上回っても達成）", None}
    assert {r["比較"] for r in all_rows} >= {"以上", "以下"}
    assert len(all_rows) == len(data.kpis) * len(data.years)
    assert [r["基本方針"] for r in rows_of(wb["基本方針別"])] == [1, 2, 3]
    conditions = {r["項目"]: r["内容"] for r in rows_of(wb["出力条件"])}
    assert conditions["対象年度（評価一覧）"] == "令和7年度 (2025)"
    assert conditions["絞り込み"] == "絞り込みなし"


def test_xlsx_comments_are_text_never_formulas(risky_db: Settings, tmp_path: Path):
    out = tmp_path / "status.xlsx"
    assert export(risky_db, out, "--fy", "2025") == EXIT_OK
    wb = openpyxl.load_workbook(out)
    for sheet in ("評価一覧", "全年度"):
        ws = wb[sheet]
        header = [c.value for c in ws[1]]
        id_col, note_col = header.index("指標ID"), header.index("備考")
        found = {}
        for row in ws.iter_rows(min_row=2):
            note = row[note_col]
            assert note.data_type != "f"
            if row[id_col].value in RISKY_NOTES and note.value is not None:
                assert note.data_type == "s"
                assert note.quotePrefix
                found[row[id_col].value] = note.value
        assert found == RISKY_NOTES, sheet


def test_csv_is_the_all_years_table_with_risky_text_prefixed(risky_db: Settings, tmp_path: Path):
    out = tmp_path / "status.csv"
    assert export(risky_db, out) == EXIT_OK
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens the Japanese correctly
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    data = service.plan_data(risky_db, str(service.plans(risky_db)["plan_id"].iloc[0]))
    assert len(rows) == len(data.kpis) * len(data.years)
    notes = {r["指標ID"]: r["備考"] for r in rows if r["年度"] == "2025" and r["備考"]}
    assert notes == {k: "'" + v for k, v in RISKY_NOTES.items()}


def test_filters_reduce_the_export(risky_db: Settings, tmp_path: Path):
    out = tmp_path / "policy3.xlsx"
    assert export(risky_db, out, "--policy", "3", "--fy", "2025") == EXIT_OK
    wb = openpyxl.load_workbook(out)
    ids = {r["指標ID"] for r in rows_of(wb["評価一覧"])}
    # 3-2-1 relists 2-4-3: its KPIs belong to policy 3's selection too
    assert ids == {"3-1-1-1", "3-1-1-2", "2-4-3-1", "2-4-3-2"}
    assert [r["基本方針"] for r in rows_of(wb["基本方針別"])] == [3]

    out = tmp_path / "graded.csv"
    assert export(risky_db, out, "--grade", "A", "--fy", "2025") == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    # notes on four KPIs with actual 1.0: only those meeting their 2025 target are A
    assert {r["指標ID"] for r in rows} <= set(RISKY_NOTES)
    assert {r["指標ID"] for r in rows} == {"2-5-3-3"}  # 1 件 <= 1 件以下: met


def test_export_bytes_formats(seed_db: Settings):
    data = service.plan_data(seed_db, str(service.plans(seed_db)["plan_id"].iloc[0]))
    as_of = dt.date(2026, 5, 1)
    assert exports.export_bytes(data, Filters(), "xlsx", as_of=as_of).startswith(b"PK")
    assert exports.export_bytes(data, Filters(), "csv", as_of=as_of).startswith(b"\xef\xbb\xbf")
    with pytest.raises(ValueError):
        exports.export_bytes(data, Filters(), "pdf", as_of=as_of)
    sheets = exports.export_sheets(data, Filters(departments=("存在しない課",)))
    assert list(sheets) == SHEETS
    assert all(frame.empty for frame in sheets.values())


def test_export_exit_codes(seed_db: Settings, tmp_path: Path, capsys):
    assert export(seed_db, tmp_path / "ok.csv") == EXIT_OK
    assert export(seed_db, tmp_path / "x.xlsx", "--plan-id", "no-such-plan") == EXIT_REJECTED
    assert "計画「no-such-plan」はありません" in capsys.readouterr().err
    assert export(seed_db, tmp_path / "x.xlsx", "--measure", "9-9") == EXIT_REJECTED
    assert export(seed_db, tmp_path / "x.xlsx", "--policy", "7") == EXIT_REJECTED
    assert export(seed_db, tmp_path / "x.txt") == EXIT_USAGE
    assert export(seed_db, tmp_path / "x") == EXIT_USAGE
    assert ".xlsx または .csv" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "x.txt").exists()
    with pytest.raises(SystemExit) as exc:
        main(["export", "--db", str(seed_db.db_path), "--out", str(tmp_path / "y.csv"),
              "--policy", "one"])  # fmt: skip
    assert exc.value.code == EXIT_USAGE


# ------------------------------------------------ issue #10 item 15: who to ask, and printing


def test_exports_name_the_lead_and_related_departments(seed_db):
    from etl.export import export_bytes

    data = service.plan_data(seed_db, "hadano-r3-r7")
    text = export_bytes(data, Filters(), "csv", as_of=seed_db.today()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    telework = next(r for r in rows if r["指標ID"] == "2-3-1-1")
    assert "人事課" in telework["主管課等"]
    assert "主管課等" in rows[0] and "関係課等" in rows[0]
    book = openpyxl.load_workbook(
        io.BytesIO(export_bytes(data, Filters(), "xlsx", as_of=seed_db.today()))
    )
    headers = [c.value for c in book["評価一覧"][1]]
    assert "主管課等" in headers and "関係課等" in headers


def test_excel_exports_print_landscape_fit_to_width_with_titles():
    from etl.export import to_excel_bytes

    frame = pd.DataFrame({"指標ID": ["1-1-1-1"] * 3, "指標名": ["名前"] * 3})
    for title, header_row in ((None, 1), ("評価一覧", 3)):
        ws = openpyxl.load_workbook(io.BytesIO(to_excel_bytes({"表": frame}, title=title)))["表"]
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows.replace("$", "") == f"{header_row}:{header_row}"
