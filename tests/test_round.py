"""The yearly collection round (issue #13): department workbooks, many files at once with
conflicts, project evaluations, the answer board, on-screen corrections, year locks."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from etl import cli
from etl.actuals_loader import (
    commit_actuals,
    preview_actuals,
    rollback_preview,
    rollback_upload,
)
from etl.correction import correction_workbook
from etl.evaluation_reader import DIRECTION_CHOICES, PROGRESS_CHOICES
from etl.problems import InputRejected
from etl.round_ops import unreported_excel
from etl.round_templates import safe_filename, workbook_name
from etl.template import NO_TARGET, build_template
from etl.year_locks import LOCK, UNLOCK, LockRefused, set_lock
from kpi import repository, round_status
from kpi.config import Settings
from tests import db_helpers

PLAN_ID = "hadano-r3-r7"
FY = 2025


def _header(ws, name: str) -> tuple[int, int]:
    """(row, column), 1-based, of a header cell in the first 20 rows."""
    for row in ws.iter_rows(min_row=1, max_row=20):
        for cell in row:
            if cell.value == name:
                return cell.row, cell.column
    raise KeyError(name)


def fill(
    data: bytes,
    values: dict[str, object] | None = None,
    *,
    default: object = 50,
    evaluation: dict[str, str] | None = None,
) -> bytes:
    """A department workbook filled in as a clerk would: every KPI with a target gets
    `values.get(kpi_id, default)`, every project the evaluation (default 順調 / 継続)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["実績"]
    hr, c_id = _header(ws, "指標ID")
    _, c_target = _header(ws, "目標値")
    _, c_value = _header(ws, "実績値")
    for r in range(hr + 1, ws.max_row + 1):
        kid = ws.cell(row=r, column=c_id).value
        if kid and ws.cell(row=r, column=c_target).value != NO_TARGET:
            ws.cell(row=r, column=c_value, value=(values or {}).get(kid, default))
    ev = wb["事業評価"]
    hr, c_project = _header(ev, "事業番号")
    answer = evaluation or {"進捗": "順調", "取組実績": "予定どおり実施", "今後の方向性": "継続"}
    columns = {h: _header(ev, h)[1] for h in answer}
    for r in range(hr + 1, ev.max_row + 1):
        if ev.cell(row=r, column=c_project).value:
            for h, v in answer.items():
                ev.cell(row=r, column=columns[h], value=v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def correct(con, settings: Settings, fy: int, edits: pd.DataFrame, plan_id: str = PLAN_ID):
    """Commit `edits` (kpi_id, value, note) as the upload page's 画面修正 does."""
    return commit_actuals(
        con,
        correction_workbook(plan_id, fy, edits),
        "画面修正.xlsx",
        by="t",
        settings=settings,
        plan_id=plan_id,
        kind="correction",
    )


@pytest.fixture
def db(seed_db: Settings, monkeypatch) -> Path:
    monkeypatch.setenv("KPI_TODAY", "2026-11-25")
    return seed_db.db_path


@pytest.fixture
def round_dir(db: Path, tmp_path: Path) -> Path:
    out = tmp_path / "round"
    assert (
        cli.main(
            [
                "round-templates",
                "--fy",
                "2025",
                "--out",
                str(out),
                "--db",
                str(db),
                "--deadline",
                "2026-05-29",
            ]
        )
        == 0
    )
    return out


def rows_of(data: bytes, sheet: str, first: str) -> list[dict[str, object]]:
    ws = openpyxl.load_workbook(io.BytesIO(data))[sheet]
    hr, _ = _header(ws, first)
    headers = [c.value for c in ws[hr]]
    return [
        dict(zip(headers, (c.value for c in row), strict=False))
        for row in ws.iter_rows(min_row=hr + 1)
        if row[0].value
    ]


# ---------------------------------------------------------------- 1. department workbooks


def test_round_templates_one_workbook_per_lead_department(db, tmp_path, capsys):
    round_dir = tmp_path / "out"
    args = ["round-templates", "--fy", "2025", "--out", str(round_dir), "--db", str(db)]
    assert cli.main([*args, "--deadline", "2026-05-29"]) == 0
    with repository.open_db(db) as con:
        leads = repository.lead_projects(con, PLAN_ID)
        lead_kpis = repository.lead_kpis(con, PLAN_ID)
    departments = sorted(set(leads["department"]))
    files = sorted(p.name for p in round_dir.iterdir())
    assert files == sorted(workbook_name(FY, d) for d in departments)
    assert f"{len(departments)} 部署" in capsys.readouterr().out
    data = (round_dir / "2025_情報システム課.xlsx").read_bytes()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["実績", "事業評価", "説明"]
    # 実績: the template's headers, only this department's KPIs, only FY2025
    actual_rows = rows_of(data, "実績", "指標ID")
    hr, _ = _header(wb["実績"], "指標ID")
    assert [c.value for c in wb["実績"][hr]] == [
        "指標ID",
        "事業番号",
        "事業名",
        "指標名",
        "単位",
        "年度",
        "目標値",
        "実績値",
        "備考",
        "担当課",
        "計画ID",
    ]
    own = set(lead_kpis.loc[lead_kpis["department"] == "情報システム課", "kpi_id"])
    assert {r["指標ID"] for r in actual_rows} == own
    assert {r["年度"] for r in actual_rows} == {"令和7年度"}
    # 事業評価: one row per project it leads, a 再掲 once under its original number
    evaluation_rows = rows_of(data, "事業評価", "事業番号")
    projects = [r["事業番号"] for r in evaluation_rows]
    assert len(projects) == len(set(projects))
    assert "2-4-3" in projects and "3-2-1" not in projects  # 3-2-1 relists 2-4-3
    assert "2-3-3" in projects and "2-4-2" not in projects
    assert "2-2-2" in projects and "2-3-2" not in projects
    hr, _ = _header(wb["事業評価"], "事業番号")
    assert [c.value for c in wb["事業評価"][hr]] == [
        "事業番号",
        "事業名",
        "年度",
        "進捗",
        "取組実績",
        "評価の理由",
        "課題",
        "今後の方向性",
        "計画ID",
    ]
    lists = {
        str(dv.sqref).split(":")[0].rstrip("0123456789"): dv.formula1
        for dv in wb["事業評価"].data_validations.dataValidation
    }
    assert lists["D"] == '"' + ",".join(PROGRESS_CHOICES) + '"'
    assert lists["H"] == '"' + ",".join(DIRECTION_CHOICES) + '"'
    # deadline and contact on the first rows and in 説明
    top = " ".join(
        str(wb[s].cell(row=r, column=1).value) for s in ("実績", "事業評価") for r in (1, 2)
    )
    assert "2026-05-29" in top and "情報システム課" in top
    notes = " ".join(str(c.value) for c in wb["説明"]["A"] if c.value)
    assert "2026-05-29" in notes and "問合せ・提出先: 情報システム課" in notes
    # a department without any KPI still gets its projects (1-1-4 has no KPI)
    library = (round_dir / "2025_図書館.xlsx").read_bytes()
    assert rows_of(library, "実績", "指標ID") == []
    assert {r["事業番号"] for r in rows_of(library, "事業評価", "事業番号")} == {"1-1-4", "1-3-4"}


def test_safe_filename_on_windows():
    assert safe_filename('総務課/情報:係*?"<>|') == "総務課_情報_係______"
    assert safe_filename("CON") == "_CON"
    assert safe_filename("課. ") == "課"
    assert workbook_name(2025, "a\\b") == "2025_a_b.xlsx"


def test_yearly_template_gains_the_evaluation_sheet(plan_con, seed_db):
    data = build_template(plan_con, PLAN_ID, FY)
    rows = rows_of(data, "事業評価", "事業番号")
    projects = [r["事業番号"] for r in rows]
    assert "1-1-4" in projects and "3-2-1" not in projects
    assert len(projects) == 38  # 41 entries, 3 relisted


# ---------------------------------------------------------------- 2. many files at once


def test_whole_round_loads_in_one_call(db, round_dir, capsys):
    for f in round_dir.iterdir():
        f.write_bytes(fill(f.read_bytes()))
    assert cli.main(["load-actuals", str(round_dir), "--db", str(db), "--by", "ict"]) == 0
    out = capsys.readouterr().out
    assert "19 ファイルを取り込みました" in out
    assert "差し戻し" not in out and out.count("取込可") == 19
    with repository.open_db(db) as con:
        uploads = repository.list_uploads(con, PLAN_ID)
        items = repository.round_items(con, PLAN_ID, FY)
        evaluations = repository.current_evaluations(con, [PLAN_ID])
    files = sorted(p.name for p in round_dir.iterdir())
    assert sorted(uploads.loc[uploads["kind"] == "actuals", "filename"]) == files
    board = round_status.board(items)
    assert set(board["状況"]) == {round_status.SUBMITTED}
    assert (board["未報告"] == 0).all()
    assert len(evaluations[evaluations["fiscal_year"] == FY]) == 38
    assert set(evaluations["progress"]) == {"順調"}
    assert cli.main(["round-status", "--fy", "2025", "--db", str(db)]) == 0
    assert "提出済 19" in capsys.readouterr().out


def test_conflict_between_two_departments_names_both_files_and_cells(db, round_dir, capsys):
    # 2-2-2 is led by 文書法制課 and 情報システム課: both answer its KPIs
    a = round_dir / "2025_文書法制課.xlsx"
    b = round_dir / "2025_情報システム課.xlsx"
    a.write_bytes(fill(a.read_bytes(), {"2-2-2-1": 40}))
    b.write_bytes(fill(b.read_bytes(), {"2-2-2-1": 45}))
    with repository.open_db(db) as con:
        before = db_helpers.snapshot(con)
    code = cli.main(["load-actuals", str(a), str(b), "--db", str(db)])
    assert code == 1
    err = capsys.readouterr().err
    with repository.open_db(db) as con:
        assert db_helpers.snapshot(con) == before  # nothing loaded
        from etl.round import check_round
        from kpi.config import load_settings

        check = check_round(
            con,
            [(a.name, a.read_bytes()), (b.name, b.read_bytes())],
            plan_id=None,
            settings=load_settings().with_db(db),
        )
    conflicts = [
        p for p in check.problems if p.code == "ROUND_CONFLICT" and "指標 2-2-2-1" in p.message
    ]
    assert {p.file for p in conflicts} == {a.name, b.name}
    cell_a = next(p for p in conflicts if p.file == a.name)
    cell_b = next(p for p in conflicts if p.file == b.name)
    assert (cell_a.value, cell_b.value) == ("40", "45")
    assert cell_a.sheet == "実績" and cell_a.cell.startswith("H")
    assert f"{b.name} の 実績!{cell_b.cell}" in cell_a.message
    assert f"{a.name} の 実績!{cell_a.cell}" in cell_b.message
    assert "ROUND_CONFLICT" in err
    assert {f.verdict for f in check.files} == {"rejected"}


def test_round_reports_every_file_and_loads_nothing_when_one_is_bad(db, round_dir, capsys):
    good = round_dir / "2025_人事課.xlsx"
    bad = round_dir / "2025_広報広聴課.xlsx"
    good.write_bytes(fill(good.read_bytes()))
    bad.write_bytes(fill(bad.read_bytes(), evaluation={"進捗": "たぶん順調"}))
    with repository.open_db(db) as con:
        before = db_helpers.snapshot(con)
    assert cli.main(["load-actuals", str(good), str(bad), "--db", str(db)]) == 1
    captured = capsys.readouterr()
    assert "差し戻し" in captured.out and "取込可" in captured.out
    assert "BAD_CHOICE" in captured.err
    with repository.open_db(db) as con:
        assert db_helpers.snapshot(con) == before


# ---------------------------------------------------------------- 3. evaluations are data


def test_evaluations_load_show_as_current_and_roll_back(plan_con, seed_db, round_dir):
    data = fill(
        (round_dir / "2025_図書館.xlsx").read_bytes(),
        evaluation={"進捗": "遅れ", "課題": "人員不足", "今後の方向性": "改善"},
    )
    result = commit_actuals(plan_con, data, "lib.xlsx", by="t", settings=seed_db)
    assert result.written
    current = repository.current_evaluations(plan_con, [PLAN_ID])
    row = current[(current["project_id"] == "1-1-4") & (current["fiscal_year"] == FY)].iloc[0]
    assert (row["progress"], row["issues"], row["direction"]) == ("遅れ", "人員不足", "改善")
    assert row["upload_id"] == result.upload_ids[0]
    assert rollback_preview(plan_con, result.upload_ids).evaluations == 2  # 1-1-4 and 1-3-4
    rollback_upload(plan_con, result.upload_ids[0], by="t")
    assert repository.current_evaluations(plan_con, [PLAN_ID]).empty


def test_evaluation_bad_choice_and_unknown_project_name_cells(plan_con, seed_db, round_dir):
    def edit(wb):
        ws = wb["事業評価"]
        ws["D4"] = "まあまあ"
        ws["A5"] = "9-9-9"
        ws["E5"] = "書いた"

    data = fill((round_dir / "2025_図書館.xlsx").read_bytes())
    wb = openpyxl.load_workbook(io.BytesIO(data))
    edit(wb)
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(InputRejected) as e:
        preview_actuals(plan_con, buf.getvalue(), "x.xlsx", plan_id=None, settings=seed_db)
    found = {(p.code, p.sheet, p.cell) for p in e.value.problems}
    assert ("BAD_CHOICE", "事業評価", "D4") in found
    assert ("UNKNOWN_REFERENCE", "事業評価", "A5") in found


# ---------------------------------------------------------------- 5. the answer board


def test_board_statuses_and_unreported_download(plan_con, seed_db, round_dir):
    data = fill((round_dir / "2025_人事課.xlsx").read_bytes(), {"2-5-1-1": None})
    commit_actuals(plan_con, data, "hr.xlsx", by="t", settings=seed_db)
    items = repository.round_items(plan_con, PLAN_ID, FY)
    board = round_status.board(items).set_index("部署")
    hr = board.loc["人事課"]
    assert hr["状況"] == round_status.PARTIAL
    assert (hr["指標（目標あり）"], hr["報告済"], hr["未報告"]) == (2, 1, 1)
    assert (hr["事業評価 記入済"], hr["事業評価 対象"]) == (2, 2)
    assert hr["ファイル"] == "hr.xlsx" and hr["最後の受信（取込番号）"] > 0
    assert board.loc["防災課", "状況"] == round_status.NOT_SUBMITTED
    # the fictional sample's FY2025 values count as nothing
    assert board.loc["情報システム課", "報告済"] == 0
    book = openpyxl.load_workbook(io.BytesIO(unreported_excel(items, FY)))
    assert "人事課" in book.sheetnames
    values = [c.value for row in book["人事課"].iter_rows() for c in row]
    assert "2-5-1-1" in values and "2-3-1-1" not in values


# ---------------------------------------------------------------- 6. on-screen correction


def test_correction_is_an_upload_of_its_own_kind_and_rolls_back(plan_con, seed_db):
    edits = pd.DataFrame({"kpi_id": ["1-3-1-1"], "value": ["1,234"], "note": ["画面で修正"]})
    data = correction_workbook(PLAN_ID, FY, edits)
    result = commit_actuals(
        plan_con,
        data,
        "画面修正.xlsx",
        by="t",
        settings=seed_db,
        plan_id=PLAN_ID,
        kind="correction",
    )
    uid = result.upload_ids[0]
    assert repository.upload(plan_con, uid)["kind"] == "correction"
    cur = repository.current_actuals_of(plan_con, [PLAN_ID])
    row = cur[(cur["kpi_id"] == "1-3-1-1") & (cur["fiscal_year"] == FY)].iloc[0]
    assert (row["actual_value"], row["note"]) == (1234.0, "画面で修正")
    rollback_upload(plan_con, uid, by="t")
    cur = repository.current_actuals_of(plan_con, [PLAN_ID])
    assert cur[(cur["kpi_id"] == "1-3-1-1") & (cur["fiscal_year"] == FY)].empty


def test_correction_goes_through_the_same_validation(plan_con, seed_db):
    edits = pd.DataFrame({"kpi_id": ["1-3-1-1"], "value": ["たくさん"], "note": [None]})
    with pytest.raises(InputRejected) as e:
        preview_actuals(
            plan_con,
            correction_workbook(PLAN_ID, FY, edits),
            "画面修正.xlsx",
            plan_id=PLAN_ID,
            settings=seed_db,
            kind="correction",
        )
    assert [(p.code, p.cell) for p in e.value.problems] == [("BAD_NUMBER", "D2")]


def test_old_database_gains_the_correction_kind(settings):
    con = repository.connect(":memory:")
    con.execute(
        "CREATE SEQUENCE upload_id_seq START 1; CREATE TABLE uploads (upload_id INTEGER PRIMARY KEY "
        "DEFAULT nextval('upload_id_seq'), kind VARCHAR NOT NULL CHECK (kind IN ('plan', "
        "'actuals', 'sample')), plan_id VARCHAR, filename VARCHAR NOT NULL, sha256 VARCHAR NOT "
        "NULL, uploaded_at TIMESTAMP NOT NULL, uploaded_by VARCHAR NOT NULL, status VARCHAR NOT "
        "NULL CHECK (status IN ('active', 'rolled_back')), rows_new INTEGER NOT NULL DEFAULT 0, "
        "rows_changed INTEGER NOT NULL DEFAULT 0, rows_unchanged INTEGER NOT NULL DEFAULT 0, "
        "rows_skipped INTEGER NOT NULL DEFAULT 0, rolled_back_at TIMESTAMP, rolled_back_by VARCHAR)"
    )
    con.execute(
        "INSERT INTO uploads (kind, filename, sha256, uploaded_at, uploaded_by, status) "
        "VALUES ('actuals', 'old.xlsx', 'x', now(), 'a', 'active')"
    )
    repository.init_schema(con, settings.grading)
    uid = db_helpers.insert_upload(
        con,
        kind="correction",
        plan_id=None,
        filename="画面修正",
        sha256="y",
        uploaded_at=pd.Timestamp.now(),
        uploaded_by="b",
    )
    assert uid == 2
    assert con.execute("SELECT filename FROM uploads WHERE upload_id = 1").fetchone() == (
        "old.xlsx",
    )


# ---------------------------------------------------------------- 7. 確定 (lock a year)


def test_locked_year_refuses_a_file_until_unlocked(db, round_dir, capsys):
    f = round_dir / "2025_人事課.xlsx"
    f.write_bytes(fill(f.read_bytes()))
    assert (
        cli.main(["lock", "--fy", "2025", "--reason", "庁議報告のため確定", "--db", str(db)]) == 0
    )
    with repository.open_db(db) as con:
        before = db_helpers.snapshot(con)
    capsys.readouterr()
    assert cli.main(["load-actuals", str(f), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "YEAR_LOCKED" in err
    with repository.open_db(db) as con:
        assert db_helpers.snapshot(con) == before
        from kpi.config import load_settings

        with pytest.raises(InputRejected) as e:
            preview_actuals(
                con, f.read_bytes(), f.name, plan_id=None, settings=load_settings().with_db(db)
            )
    cells = {(p.code, p.sheet, p.cell) for p in e.value.problems}
    assert ("YEAR_LOCKED", "実績", "H5") in cells
    assert any(c[0] == "YEAR_LOCKED" and c[1] == "事業評価" for c in cells)
    assert (
        cli.main(["unlock", "--fy", "2025", "--reason", "人事課の数値訂正", "--db", str(db)]) == 0
    )
    capsys.readouterr()
    assert cli.main(["load-actuals", str(f), "--db", str(db)]) == 0
    assert "事業評価: 新規 2 / 変更 0 / 変更なし 0" in capsys.readouterr().out  # 2-3-1, 2-5-1
    with repository.open_db(db) as con:
        events = repository.year_lock_events(con, PLAN_ID)
    assert list(events["action"]) == ["unlock", "lock"]
    assert list(events["reason"]) == ["人事課の数値訂正", "庁議報告のため確定"]
    capsys.readouterr()
    assert cli.main(["history", "--db", str(db)]) == 0
    listed = capsys.readouterr().out
    assert "確定解除" in listed and "人事課の数値訂正" in listed and "庁議報告のため確定" in listed


def test_locked_year_refuses_a_correction_and_other_years_stay_open(plan_con, seed_db):
    set_lock(plan_con, PLAN_ID, FY, action=LOCK, reason="確定", by="t")
    edits = pd.DataFrame({"kpi_id": ["1-3-1-1"], "value": [5], "note": [None]})
    with pytest.raises(InputRejected) as e:
        correct(plan_con, seed_db, FY, edits)
    assert [(p.code, p.cell) for p in e.value.problems] == [("YEAR_LOCKED", "D2")]
    result = correct(plan_con, seed_db, 2024, edits)
    assert result.written


def test_lock_needs_a_reason_and_a_state_change(plan_con):
    with pytest.raises(LockRefused):
        set_lock(plan_con, PLAN_ID, FY, action=LOCK, reason="  ", by="t")
    with pytest.raises(LockRefused):
        set_lock(plan_con, PLAN_ID, FY, action=UNLOCK, reason="理由", by="t")
    set_lock(plan_con, PLAN_ID, FY, action=LOCK, reason="理由", by="t")
    with pytest.raises(LockRefused):
        set_lock(plan_con, PLAN_ID, FY, action=LOCK, reason="理由", by="t")
    assert list(repository.locked_years(plan_con, [PLAN_ID])["fiscal_year"]) == [FY]


def test_database_doc_examples_answer_with_round_data(plan_con, seed_db, round_dir):
    from tests.test_database_doc import examples

    data = fill((round_dir / "2025_図書館.xlsx").read_bytes(), evaluation={"進捗": "遅れ"})
    commit_actuals(plan_con, data, "lib.xlsx", by="t", settings=seed_db)
    set_lock(plan_con, PLAN_ID, FY, action=LOCK, reason="庁議", by="t")
    (evaluations,) = [s for s in examples() if "project_evaluations_current e" in s]
    rows = {r[0]: r[2] for r in plan_con.execute(evaluations).fetchall()}
    assert rows["1-1-4"] == "遅れ" and rows["1-1-5"] is None
    (locks,) = [s for s in examples() if "year_lock_state" in s]
    states = {r[0]: (r[1], r[2]) for r in plan_con.execute(locks).fetchall()}
    assert states[2025] == ("確定", "庁議") and states[2024][0] == "速報"


def test_two_departments_evaluating_one_project_differently_conflict(plan_con, seed_db, round_dir):
    from etl.round import check_round

    a = fill((round_dir / "2025_文書法制課.xlsx").read_bytes())
    b = fill(
        (round_dir / "2025_情報システム課.xlsx").read_bytes(),
        evaluation={"進捗": "遅れ", "今後の方向性": "継続"},
    )
    check = check_round(plan_con, [("a.xlsx", a), ("b.xlsx", b)], plan_id=None, settings=seed_db)
    found = {
        (p.file, p.sheet, p.value)
        for p in check.problems
        if p.code == "ROUND_CONFLICT" and "事業 2-2-2" in p.message
    }
    assert found == {("a.xlsx", "事業評価", "順調"), ("b.xlsx", "事業評価", "遅れ")}
    assert not check.passed


def test_correction_value_text_reads_back_as_the_same_number(plan_con, seed_db):
    from etl.correction import value_text

    assert [value_text(v) for v in (1234567.0, 0.25, 12.0, float("nan"), None)] == [
        "1234567",
        "0.25",
        "12",
        "",
        "",
    ]
    edits = pd.DataFrame({"kpi_id": ["1-3-1-1"], "value": [value_text(98765432.0)], "note": ["x"]})
    preview = preview_actuals(
        plan_con,
        correction_workbook(PLAN_ID, FY, edits),
        "画面修正.xlsx",
        plan_id=PLAN_ID,
        settings=seed_db,
        kind="correction",
    )
    assert list(preview.rows["actual_value"]) == [98765432.0]


def test_a_locked_year_is_named_beside_the_files_other_problems(plan_con, seed_db):
    """A clerk fixing a file learns at once that its year is locked, not after fixing the rest."""
    set_lock(plan_con, PLAN_ID, FY, action=LOCK, reason="確定", by="t")
    edits = pd.DataFrame({"kpi_id": ["1-3-1-1", "1-3-5-1"], "value": [5, "五"], "note": [None] * 2})
    with pytest.raises(InputRejected) as e:
        correct(plan_con, seed_db, FY, edits)
    codes = {p.code for p in e.value.problems}
    assert {"YEAR_LOCKED", "BAD_NUMBER"} <= codes


def test_a_reply_with_only_reasons_counts_as_a_reply(plan_con, seed_db, round_dir):
    """A department that wrote why its values are missing (集計中…) has answered the 照会:
    the board says so and the list to chase carries the reason, so nobody phones them again."""
    wb = openpyxl.load_workbook(io.BytesIO((round_dir / "2025_広報広聴課.xlsx").read_bytes()))
    ws = wb["実績"]
    hr, c_id = _header(ws, "指標ID")
    _, c_note = _header(ws, "備考")
    noted = []
    for r in range(hr + 1, ws.max_row + 1):
        if kid := ws.cell(row=r, column=c_id).value:
            ws.cell(row=r, column=c_note, value="集計中（5月末確定予定）")
            noted.append(kid)
    buf = io.BytesIO()
    wb.save(buf)
    result = commit_actuals(plan_con, buf.getvalue(), "kouhou.xlsx", by="t", settings=seed_db)
    items = repository.round_items(plan_con, PLAN_ID, FY)
    board = round_status.board(items).set_index("部署")
    row = board.loc["広報広聴課"]
    assert row["状況"] == round_status.PARTIAL
    assert row["未報告"] == row["指標（目標あり）"] > 0
    assert row["うち理由の記載あり"] == row["未報告"]
    assert row["ファイル"] == "kouhou.xlsx"
    assert row["最後の受信（取込番号）"] == result.upload_ids[0]
    assert board.loc["人事課", "うち理由の記載あり"] == 0
    chase = round_status.unreported(items)
    mine = chase[(chase["部署"] == "広報広聴課") & (chase["種別"] == "評価指標")]
    assert set(mine["理由（備考）"]) == {"集計中（5月末確定予定）"}
    assert set(mine["ID"]) <= set(noted)
