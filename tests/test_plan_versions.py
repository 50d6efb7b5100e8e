"""The plan's life (#14): blank template, load as a user, revisions with history, rollback."""

from __future__ import annotations

import io

import openpyxl
import pytest

from etl import cli
from etl.plan_reader import read_plan
from etl.plan_template import SHEET_HELP, build_plan_template
from etl.plan_versions import commit_plan, preview_plan, rollback_plan_uploads
from etl.problems import InputRejected
from kpi import repository
from tests import db_helpers
from tests.conftest import edit_workbook, find_row
from tests.plan_fixtures import NEXT_PLAN, SEED_PLAN, typed_plan

REASON = "中間見直し: 利用が計画を上回ったため上方修正"


def q(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()


def revise(
    plan_bytes: bytes, kpi: str = "1-3-1-1", column: str = "令和6年度", text: str = "900万件"
):
    def edit(wb):
        ws = wb["評価指標"]
        header = [c.value for c in ws[1]]
        ws.cell(row=find_row(ws, 2, kpi), column=header.index(column) + 1, value=text)

    return edit_workbook(plan_bytes, edit)


# ---------------------------------------------------------------- blank template


def test_blank_template_has_the_plan_sheets_years_dropdowns_and_help(plan_bytes):
    wb = openpyxl.load_workbook(io.BytesIO(build_plan_template(2026, 2030)))
    seed = openpyxl.load_workbook(io.BytesIO(plan_bytes))
    for name in ("計画", "基本方針", "事業推進計画", "個別事業"):
        assert [c.value for c in wb[name][1]] == [c.value for c in seed[name][1]]
    years = ["令和8年度", "令和9年度", "令和10年度", "令和11年度", "令和12年度"]
    assert [c.value for c in wb["取組"][1]][4:] == years
    kpi_head = [c.value for c in wb["評価指標"][1]]
    assert kpi_head[:8] == [c.value for c in seed["評価指標"][1]][:8]
    assert kpi_head[8:13] == years and kpi_head[13:] == ["再掲先事業番号", "前計画指標ID"]
    lists = {
        dv.formula1 for dv in wb["評価指標"].data_validations.dataValidation if dv.type == "list"
    }
    assert lists == {'"高いほど良い,低いほど良い,維持"', '"○"'}
    prompts = [dv for dv in wb["個別事業"].data_validations.dataValidation if dv.prompt]
    assert len(prompts) == len(list(wb["個別事業"][1]))  # every column explains itself
    explained = {(r[0], r[1]) for r in wb[SHEET_HELP].iter_rows(min_row=6, values_only=True)}
    assert ("評価指標", "前計画指標ID") in explained and ("評価指標", "方向") in explained


def test_plan_template_cli_and_wrong_period(tmp_path):
    out = tmp_path / "次期計画.xlsx"
    assert (
        cli.main(["plan-template", "--start", "令和8年度", "--end", "2030", "--out", str(out)]) == 0
    )
    assert out.read_bytes()[:2] == b"PK"
    assert cli.main(["plan-template", "--start", "2030", "--end", "2026", "--out", str(out)]) == 1


def test_blank_template_loaded_as_is_names_the_empty_cells():
    read = read_plan(build_plan_template(2026, 2030), "blank.xlsx")
    assert {(p.sheet, p.cell, p.code) for p in read.problems} == {
        ("計画", "A2", "REQUIRED"),
        ("計画", "B2", "REQUIRED"),
        ("計画", "C2", "REQUIRED"),
    }


# ---------------------------------------------------------------- a new plan typed from scratch


def test_fictional_plan_typed_into_template_loads(plan_con, seed_db):
    preview = preview_plan(plan_con, typed_plan(), "架空市.xlsx", settings=seed_db)
    assert preview.new_plans == [NEXT_PLAN] and not preview.needs_reason
    assert preview.count("kpi", "new") == 5 and preview.count("project", "new") == 4
    result = commit_plan(plan_con, typed_plan(), "架空市.xlsx", by="t", settings=seed_db)
    assert len(result.upload_ids) == 1
    assert q(plan_con, "SELECT start_fy, end_fy FROM plans WHERE plan_id = ?", [NEXT_PLAN]) == [
        (2026, 2030)
    ]
    targets = dict(
        q(
            plan_con,
            "SELECT fiscal_year, target_value FROM kpi_targets "
            "WHERE plan_id = ? AND kpi_id = '1-1-1-1'",
            [NEXT_PLAN],
        )
    )
    assert targets == {2026: 8000, 2027: 9000, 2028: 10000, 2029: 11000, 2030: 12000}
    merged = q(
        plan_con,
        "SELECT fiscal_year, target_text FROM kpi_targets WHERE plan_id = ? AND kpi_id = '2-1-1-1' "
        "ORDER BY 1",
        [NEXT_PLAN],
    )
    assert merged == [(2026, "検討を踏まえ設定"), (2027, "検討を踏まえ設定")]
    assert q(
        plan_con,
        "SELECT project_id, relisted FROM project_kpis WHERE plan_id = ? AND kpi_id = "
        "'1-1-1-1' ORDER BY 1",
        [NEXT_PLAN],
    ) == [("1-1-1", False), ("2-1-2", True)]
    assert q(plan_con, "SELECT * FROM kpi_predecessors") == [
        (NEXT_PLAN, "1-1-1-1", SEED_PLAN, "2-1-1-2")
    ]
    assert q(
        plan_con, "SELECT direction FROM kpis WHERE plan_id = ? AND kpi_id = '2-2-1-1'", [NEXT_PLAN]
    ) == [("lower",)]
    # the seed plan is untouched beside it
    assert q(plan_con, "SELECT count(*) FROM kpis WHERE plan_id = ?", [SEED_PLAN]) == [(35,)]


def test_plan_problems_name_sheet_and_cell(plan_con, seed_db):
    def edit(wb):
        kpis = wb["評価指標"]
        kpis["F2"] = "多いほど良い"  # unknown 方向
        kpis["K3"] = "①"  # unreadable number
        kpis["B6"] = "1-1-1-1"  # duplicate id
        kpis["C6"] = "1-1-1"
        wb["個別事業"]["I5"] = "9-9-9"  # relisted from nowhere
        wb["事業推進計画"]["C4"] = 5  # policy number that does not match 2-2
        act = wb["取組"]
        act["J1"] = "令和13年度"
        act["J2"] = "実施"  # a year outside the period

    with pytest.raises(InputRejected) as e:
        preview_plan(plan_con, typed_plan(edit), "bad.xlsx", settings=seed_db)
    found = {(p.sheet, p.cell, p.code) for p in e.value.problems}
    assert ("評価指標", "F2", "BAD_CHOICE") in found
    assert ("評価指標", "K3", "BAD_TARGET") in found
    assert ("評価指標", "B6", "DUPLICATE_ID") in found
    assert ("個別事業", "I5", "UNKNOWN_REFERENCE") in found
    assert ("事業推進計画", "B4", "BAD_ID") in found
    assert ("取組", "J2", "YEAR_OUT_OF_PLAN") in found


def test_unknown_previous_kpi_is_named_with_its_cell(plan_con, seed_db):
    def edit(wb):
        wb["評価指標"]["O2"] = f"{SEED_PLAN}:9-9-9-9"

    with pytest.raises(InputRejected) as e:
        preview_plan(plan_con, typed_plan(edit), "bad.xlsx", settings=seed_db)
    assert [(p.sheet, p.cell, p.code) for p in e.value.problems] == [
        ("評価指標", "O2", "UNKNOWN_REFERENCE")
    ]


# ---------------------------------------------------------------- revisions


def test_revision_needs_a_reason_then_keeps_the_original(plan_con, seed_db, plan_bytes):
    revised = revise(plan_bytes)
    before = db_helpers.snapshot(plan_con)
    with pytest.raises(InputRejected) as e:
        commit_plan(plan_con, revised, "plan_v2.xlsx", by="t", settings=seed_db)
    assert [p.code for p in e.value.problems] == ["REASON_REQUIRED"]
    assert db_helpers.snapshot(plan_con) == before
    preview = preview_plan(plan_con, revised, "plan_v2.xlsx", settings=seed_db)
    assert list(
        preview.revisions[["item_id", "fiscal_year", "before", "after"]].itertuples(
            index=False, name=None
        )
    ) == [("1-3-1-1", 2024, "８２８万件", "900万件")]
    result = commit_plan(plan_con, revised, "plan_v2.xlsx", by="t", settings=seed_db, reason=REASON)
    (uid,) = result.upload_ids
    rows = q(
        plan_con,
        "SELECT plan_id, kpi_id, fiscal_year, target_before_text, target_after_text, "
        "target_after_value, reason, upload_id FROM kpi_target_revisions",
    )
    assert rows == [(SEED_PLAN, "1-3-1-1", 2024, "８２８万件", "900万件", 9_000_000.0, REASON, uid)]
    # grading uses the target in force; the original is still there
    assert q(
        plan_con,
        "SELECT target_value FROM kpi_status WHERE kpi_id = '1-3-1-1' AND fiscal_year = 2024",
    ) == [(9_000_000.0,)]
    original = repository.original_targets(plan_con, SEED_PLAN)
    assert list(
        original[["kpi_id", "fiscal_year", "original_target_text"]].itertuples(
            index=False, name=None
        )
    ) == [("1-3-1-1", 2024, "８２８万件")]


def test_cli_load_plan_dry_run_reason_and_rollback(seed_db, plan_bytes, tmp_path, capsys):
    f = tmp_path / "plan_v2.xlsx"
    f.write_bytes(revise(plan_bytes))
    db = ["--db", str(seed_db.db_path)]
    assert cli.main(["load-plan", str(f), "--dry-run", *db]) == 0
    out = capsys.readouterr().out
    assert "1-3-1-1" in out and "900万件" in out and "--reason" in out
    assert cli.main(["load-plan", str(f), *db]) == 1
    assert "REASON_REQUIRED" in capsys.readouterr().err
    assert cli.main(["load-plan", str(f), "--reason", REASON, *db]) == 0
    with repository.open_db(seed_db.db_path) as con:
        (uid,) = q(con, "SELECT max(upload_id) FROM uploads WHERE kind = 'plan'")[0]
        assert q(con, "SELECT reason FROM uploads WHERE upload_id = ?", [uid]) == [(REASON,)]
    assert cli.main(["rollback", str(uid), "--dry-run", *db]) == 0
    assert "８２８万件" in capsys.readouterr().out
    assert cli.main(["rollback", str(uid), *db]) == 0
    with repository.open_db(seed_db.db_path) as con:
        assert q(
            con,
            "SELECT target_text FROM kpi_targets WHERE kpi_id = '1-3-1-1' AND fiscal_year = 2024",
        ) == [("８２８万件",)]
        assert q(con, "SELECT count(*) FROM kpi_target_revisions") == [(0,)]
        assert q(con, "SELECT status FROM uploads WHERE upload_id = ?", [uid]) == [("rolled_back",)]


def test_rollback_restores_the_whole_previous_version(plan_con, seed_db, plan_bytes):
    original = repository.current_plan_tables(plan_con, [SEED_PLAN])

    def edit(wb):
        ws = wb["評価指標"]
        ws.delete_rows(find_row(ws, 2, "2-5-3-3"))  # a KPI removed
        wb["個別事業"]["D2"] = "名称を変えた事業"

    changed = edit_workbook(revise(plan_bytes), edit)
    result = commit_plan(plan_con, changed, "v2.xlsx", by="t", settings=seed_db, reason=REASON)
    assert q(plan_con, "SELECT count(*) FROM kpis WHERE plan_id = ?", [SEED_PLAN]) == [(34,)]
    rollback_plan_uploads(plan_con, result.upload_ids, by="t")
    restored = repository.current_plan_tables(plan_con, [SEED_PLAN])
    for table, frame in original.items():
        cols = list(frame.columns)
        assert (
            restored[table]
            .sort_values(cols)
            .reset_index(drop=True)
            .equals(frame.sort_values(cols).reset_index(drop=True))
        ), table


def test_rolling_back_the_first_version_of_a_new_plan_removes_it(plan_con, seed_db):
    result = commit_plan(plan_con, typed_plan(), "架空市.xlsx", by="t", settings=seed_db)
    effect = rollback_plan_uploads(plan_con, result.upload_ids, by="t")
    assert effect.removed_plans == [NEXT_PLAN]
    assert q(plan_con, "SELECT plan_id FROM plans") == [(SEED_PLAN,)]
    assert q(plan_con, "SELECT count(*) FROM kpis_versions WHERE plan_id = ?", [NEXT_PLAN]) == [
        (5,)
    ]


def test_database_before_versions_backfills_current_plan(plan_con, seed_db, plan_bytes):
    """A file made before #14 has a plan but no version rows: the next load records it first."""
    for table in repository.VERSION_TABLES.values():
        plan_con.execute(f"DELETE FROM {table}")
    result = commit_plan(
        plan_con, revise(plan_bytes), "v2.xlsx", by="t", settings=seed_db, reason=REASON
    )
    assert len(repository.target_revisions(plan_con, SEED_PLAN)) == 1
    rollback_plan_uploads(plan_con, result.upload_ids, by="t")
    assert q(
        plan_con,
        "SELECT target_text FROM kpi_targets WHERE kpi_id = '1-3-1-1' AND fiscal_year = 2024",
    ) == [("８２８万件",)]


def test_build_still_works_and_records_a_version(seed_db):
    assert cli.main(["build", "--db", str(seed_db.db_path)]) == 0
    with repository.open_db(seed_db.db_path) as con:
        assert q(con, "SELECT count(*) FROM plan_versions") == [(1,)]


def test_first_version_of_a_plan_with_actuals_is_not_removed(seed_db, tmp_path, capsys):
    db = ["--db", str(seed_db.db_path)]
    assert cli.main(["build", "--sample", *db]) == 0
    with repository.open_db(seed_db.db_path) as con:
        (uid,) = q(con, "SELECT min(upload_id) FROM uploads WHERE kind = 'plan'")[0]
    assert cli.main(["rollback", str(uid), *db]) == 1
    assert "最初の版" in capsys.readouterr().err
    with repository.open_db(seed_db.db_path) as con:
        assert q(con, "SELECT count(*) FROM kpis") == [(35,)]


def test_build_on_every_start_does_not_undo_a_users_revision(seed_db, plan_bytes, tmp_path, capsys):
    """`make run` builds from data/plan.xlsx at every start: a revision loaded since stays."""
    db = ["--db", str(seed_db.db_path)]
    f = tmp_path / "plan_v2.xlsx"
    f.write_bytes(revise(plan_bytes))
    assert cli.main(["load-plan", str(f), "--reason", REASON, *db]) == 0
    assert cli.main(["build", *db]) == 0
    assert "適用しません" in capsys.readouterr().out
    with repository.open_db(seed_db.db_path) as con:
        assert q(
            con,
            "SELECT target_text FROM kpi_targets WHERE kpi_id = '1-3-1-1' AND fiscal_year = 2024",
        ) == [("900万件",)]
    # an edited plan.xlsx (new bytes) is still applied by build
    edited = tmp_path / "plan_edited.xlsx"
    edited.write_bytes(revise(plan_bytes, text="950万件"))
    assert cli.main(["build", "--plan", str(edited), *db]) == 0
    with repository.open_db(seed_db.db_path) as con:
        assert q(
            con,
            "SELECT target_text FROM kpi_targets WHERE kpi_id = '1-3-1-1' AND fiscal_year = 2024",
        ) == [("950万件",)]
