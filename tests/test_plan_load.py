"""Loading the plan workbook: the facts of the source, idempotency, and rejected workbooks."""

from __future__ import annotations

import pytest

from etl import cli
from etl.plan_loader import load_plan
from etl.problems import InputRejected
from kpi import repository
from tests import db_helpers
from tests.conftest import edit_workbook, find_row

PLAN_ID = "hadano-r3-r7"


def q(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()


def test_counts(plan_con):
    counts = db_helpers.table_counts(plan_con)
    assert counts["plans"] == 1
    assert counts["policies"] == 3
    assert counts["measures"] == 10
    assert counts["projects"] == 41
    relisted = q(
        plan_con,
        "SELECT project_id, relisted_from FROM projects WHERE relisted_from IS NOT NULL ORDER BY 1",
    )
    assert relisted == [("2-3-2", "2-2-2"), ("2-4-2", "2-3-3"), ("3-2-1", "2-4-3")]


def test_kpis_stored_once_and_shown_under_relisted_projects(plan_con):
    ids = [r[0] for r in q(plan_con, "SELECT kpi_id FROM kpis")]
    assert len(ids) == len(set(ids)) == 35
    # 3-2-1 prints 2-4-3's KPIs again: no KPI of its own, both shown under it.
    assert q(plan_con, "SELECT count(*) FROM kpis WHERE project_id = '3-2-1'") == [(0,)]
    shown = q(
        plan_con, "SELECT kpi_id, relisted FROM project_kpis WHERE project_id = '3-2-1' ORDER BY 1"
    )
    assert shown == [("2-4-3-1", True), ("2-4-3-2", True)]
    # 2-3-2's paper KPI differs from 2-2-2's: its own KPI; 電子決裁率 is 2-2-2's.
    shown = q(
        plan_con, "SELECT kpi_id, relisted FROM project_kpis WHERE project_id = '2-3-2' ORDER BY 1"
    )
    assert shown == [("2-2-2-2", True), ("2-3-2-1", False)]
    assert q(
        plan_con,
        "SELECT fiscal_year, target_value FROM kpi_targets WHERE kpi_id = '2-3-2-1' ORDER BY 1",
    ) == [(2023, 450000.0), (2024, 450000.0), (2025, 450000.0)]


def test_targets_from_the_issue(plan_con):
    assert q(
        plan_con,
        "SELECT target_value, comparator FROM kpi_targets "
        "WHERE kpi_id = '2-5-3-3' AND fiscal_year = 2025",
    ) == [(1.0, "<=")]
    assert q(plan_con, "SELECT direction FROM kpis WHERE kpi_id = '2-5-3-3'") == [("lower",)]
    assert q(
        plan_con,
        "SELECT target_value FROM kpi_targets WHERE kpi_id = '1-3-1-1' AND fiscal_year = 2021",
    ) == [(7_800_000.0,)]
    assert q(
        plan_con,
        "SELECT k.cumulative, t.target_value FROM kpis k JOIN kpi_targets t "
        "USING (plan_id, kpi_id) WHERE kpi_id = '2-1-1-2' "
        "AND fiscal_year = 2025",
    ) == [(True, 7350.0)]


def test_text_targets_keep_text_with_null_value(plan_con):
    rows = q(
        plan_con,
        "SELECT kpi_id, fiscal_year, target_value, comparator, target_text "
        "FROM kpi_targets WHERE kpi_id = '2-2-1-2' ORDER BY 2",
    )
    assert [r[1] for r in rows] == [2022, 2023, 2024, 2025]  # merged over four years
    assert all(r[2] is None and r[3] is None and r[4] == "検討を踏まえ設定" for r in rows)


def test_names_from_detail_pages_and_departments(plan_con):
    assert q(plan_con, "SELECT name FROM projects WHERE project_id = '1-1-2'") == [
        ("住民異動届出等におけるスマート窓口の導入",)
    ]
    depts = q(
        plan_con,
        "SELECT role, department FROM project_departments "
        "WHERE project_id = '1-2-4' ORDER BY role, seq",
    )
    assert depts == [
        ("lead", "教育研究所"),
        ("lead", "学校教育課"),
        ("related", "教育指導課"),
        ("related", "教育総務課"),
    ]


def test_activity_years_only_where_printed(plan_con):
    assert q(
        plan_con,
        "SELECT count(*) FROM activities WHERE fiscal_year IS NOT NULL "
        "AND project_id NOT IN ('2-2-3', '2-2-4')",
    ) == [(0,)]
    notes = q(
        plan_con,
        "SELECT fiscal_year, note FROM activities WHERE project_id = '2-2-4' "
        "AND seq = 1 ORDER BY 1",
    )
    assert notes[0] == (2021, "令和２年度分")
    assert len(notes) == 5


def test_build_twice_same_content(plan_con, settings, plan_bytes):
    before = db_helpers.snapshot(plan_con)
    result = load_plan(plan_con, plan_bytes, "plan.xlsx", by="test", settings=settings)
    assert not result.changed and result.upload_ids == []
    assert db_helpers.snapshot(plan_con) == before


def test_reload_changed_plan_keeps_actuals_and_lists_orphans(plan_con, settings, plan_bytes):
    import datetime as dt

    import pandas as pd

    with repository.transaction(plan_con):
        uid = db_helpers.insert_upload(
            plan_con,
            kind="actuals",
            plan_id=PLAN_ID,
            filename="a.xlsx",
            sha256="x",
            uploaded_at=dt.datetime(2026, 5, 1),
            uploaded_by="t",
        )
        repository.insert_actuals(
            plan_con,
            pd.DataFrame(
                [
                    dict(
                        plan_id=PLAN_ID,
                        kpi_id="3-1-1-2",
                        fiscal_year=2025,
                        actual_value=2.0,
                        note=None,
                        upload_id=uid,
                        recorded_at=dt.datetime(2026, 5, 1),
                        source_cell="実績!E2",
                    )
                ]
            ),
        )

    def drop_last_kpi(wb):
        ws = wb["評価指標"]
        ws.delete_rows(find_row(ws, 2, "3-1-1-2"))

    changed = edit_workbook(plan_bytes, drop_last_kpi)
    result = load_plan(plan_con, changed, "plan-v2.xlsx", by="test", settings=settings)
    assert result.changed and result.changes[0].kpis_removed == ["3-1-1-2"]
    assert q(plan_con, "SELECT count(*) FROM kpi_actuals") == [(1,)]
    orphans = repository.orphaned_actuals(plan_con, PLAN_ID)
    assert list(orphans["kpi_id"]) == ["3-1-1-2"]
    assert (settings.uploads_dir).is_dir()


# ------------------------------------------------------------------ rejected workbooks


def _codes_and_cells(problems):
    return {(p.sheet, p.cell, p.code) for p in problems}


def _rejected(plan_con, settings, data):
    before = db_helpers.snapshot(plan_con)
    with pytest.raises(InputRejected) as e:
        load_plan(plan_con, data, "bad.xlsx", by="test", settings=settings)
    assert db_helpers.snapshot(plan_con) == before  # database exactly as it was
    return e.value.problems


def test_missing_sheet(plan_con, settings, plan_bytes):
    data = edit_workbook(plan_bytes, lambda wb: wb.remove(wb["取組"]))
    assert _codes_and_cells(_rejected(plan_con, settings, data)) == {("取組", "", "SHEET_MISSING")}


def test_missing_column(plan_con, settings, plan_bytes):
    def rename(wb):
        wb["評価指標"]["D1"] = "名前"

    problems = _rejected(plan_con, settings, edit_workbook(plan_bytes, rename))
    assert _codes_and_cells(problems) == {("評価指標", "1:1", "COLUMN_MISSING")}
    assert "指標名" in problems[0].message


def test_every_cell_problem_is_reported_at_once(plan_con, settings, plan_bytes):
    rows = {}

    def break_it(wb):
        ws = wb["評価指標"]
        ws["B3"] = ws["B2"].value  # duplicate 指標ID
        rows["unknown"] = r = find_row(ws, 2, "1-2-1-1")
        ws.cell(row=r, column=2, value="9-9-9-1")  # unknown project
        ws.cell(row=r, column=3, value="9-9-9")
        rows["target"] = r = find_row(ws, 2, "2-1-1-2")
        ws.cell(row=r, column=9, value="約600時間")  # unreadable target (I = 令和3年度)
        rows["direction"] = r = find_row(ws, 2, "2-5-3-3")
        ws.cell(row=r, column=6, value="少ないほど良い")  # unknown direction

    problems = _rejected(plan_con, settings, edit_workbook(plan_bytes, break_it))
    assert _codes_and_cells(problems) == {
        ("評価指標", "B3", "DUPLICATE_ID"),
        ("評価指標", f"C{rows['unknown']}", "UNKNOWN_REFERENCE"),
        ("評価指標", f"I{rows['target']}", "BAD_TARGET"),
        ("評価指標", f"F{rows['direction']}", "BAD_CHOICE"),
    }
    assert all(p.message and p.fix for p in problems)


def test_unknown_relisted_origin(plan_con, settings, plan_bytes):
    row = {}

    def break_it(wb):
        ws = wb["個別事業"]
        row["r"] = find_row(ws, 2, "2-3-2")
        ws.cell(row=row["r"], column=9, value="8-8-8")

    problems = _rejected(plan_con, settings, edit_workbook(plan_bytes, break_it))
    assert _codes_and_cells(problems) == {("個別事業", f"I{row['r']}", "UNKNOWN_REFERENCE")}


def test_one_bad_cell_gives_one_message_not_a_cascade(plan_con, settings, plan_bytes):
    def break_it(wb):
        wb["計画"]["D2"] = "来年"  # every other sheet refers to this plan

    problems = _rejected(plan_con, settings, edit_workbook(plan_bytes, break_it))
    assert _codes_and_cells(problems) == {("計画", "D2", "BAD_YEAR")}


def test_not_a_workbook(plan_con, settings):
    problems = _rejected(plan_con, settings, b"plan_id,name\n1,2\n")
    assert [p.code for p in problems] == ["FILE_CSV"]


# ------------------------------------------------------------------ CLI


def test_cli_build_and_history(tmp_path, capsys):
    db = tmp_path / "x.duckdb"
    assert cli.main(["build", "--db", str(db)]) == 0
    assert "更新しました" in capsys.readouterr().out
    assert cli.main(["build", "--db", str(db)]) == 0
    assert "変更なし" in capsys.readouterr().out
    assert cli.main(["history", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "plan" in out and out.count("hadano-r3-r7") == 1


def test_cli_rejects_bad_plan_with_exit_1(tmp_path, capsys, plan_bytes):
    db = tmp_path / "x.duckdb"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(edit_workbook(plan_bytes, lambda wb: wb.remove(wb["評価指標"])))
    assert cli.main(["build", "--db", str(db), "--plan", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "SHEET_MISSING" in err and "データベースは変更されていません" in err


def test_cli_usage_error_exit_2():
    with pytest.raises(SystemExit) as e:
        cli.main(["no-such-command"])
    assert e.value.code == 2


def test_cli_build_lists_orphaned_actuals(tmp_path, capsys, plan_bytes):
    db = tmp_path / "x.duckdb"
    assert cli.main(["build", "--sample", "--db", str(db)]) == 0

    def drop_kpi(wb):
        ws = wb["評価指標"]
        ws.delete_rows(find_row(ws, 2, "2-5-3-3"))

    changed = tmp_path / "plan-v2.xlsx"
    changed.write_bytes(edit_workbook(plan_bytes, drop_kpi))
    capsys.readouterr()
    assert cli.main(["build", "--db", str(db), "--plan", str(changed)]) == 0
    out = capsys.readouterr().out
    assert "計画にない指標の実績 5 件" in out and "2-5-3-3" in out
