"""AppTest of the 計画 tab of the upload page (#14): template, revision with reason, rollback."""

from __future__ import annotations

from kpi import repository
from kpi.config import ROOT
from tests.conftest import edit_workbook, find_row
from tests.test_upload_page import (  # noqa: F401 (built, db: fixtures)
    XLSX,
    built,
    db,
    login,
    upload_page,
)

PLAN = (ROOT / "data" / "plan.xlsx").read_bytes()
REASON = "中間見直しによる上方修正"


def revised() -> bytes:
    def edit(wb):
        ws = wb["評価指標"]
        header = [c.value for c in ws[1]]
        ws.cell(
            row=find_row(ws, 2, "1-3-1-1"), column=header.index("令和6年度") + 1, value="900万件"
        )

    return edit_workbook(PLAN, edit)


def target_2024(path) -> str:
    with repository.open_db(path) as con:
        row = con.execute(
            "SELECT target_text FROM kpi_targets WHERE kpi_id = '1-3-1-1' AND fiscal_year = 2024"
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_blank_plan_workbook_is_offered_without_login(db):  # noqa: F811 (the fixture)
    at = upload_page()
    button = next(b for b in at.get("download_button") if "空の計画ワークブック" in b.proto.label)
    assert button is not None
    assert at.number_input(key="plan_tpl_start").value == 2026  # the year after the plan
    assert not any(u.key == "plan_file" for u in at.file_uploader)  # loading needs the login


def test_revision_needs_reason_then_loads_then_rolls_back(db):  # noqa: F811
    original = target_2024(db)
    at = login(upload_page())
    at.file_uploader(key="plan_file").upload("plan_v2.xlsx", revised(), XLSX).run()
    assert not at.exception, [e.value for e in at.exception]
    changes = next(d.value for d in at.dataframe if "変更後" in d.value.columns)
    assert list(changes[["番号", "変更前", "変更後"]].itertuples(index=False, name=None)) == [
        ("1-3-1-1", original, "900万件")
    ]
    commit = next(b for b in at.button if b.key == "plan_commit")
    assert commit.disabled  # no reason yet
    at.text_area(key="plan_reason").input(REASON).run()
    next(b for b in at.button if b.key == "plan_commit").click()
    at.run()
    assert any("計画を取り込みました" in s.value for s in at.success)
    assert target_2024(db) == "900万件"
    with repository.open_db(db) as con:
        assert con.execute("SELECT reason FROM kpi_target_revisions").fetchall() == [(REASON,)]
        newest = con.execute("SELECT max(upload_id) FROM plan_versions").fetchone()
    assert newest is not None
    (uid,) = newest

    at = login(upload_page())
    at.selectbox(key="plan_rollback_target").set_value(uid)
    at.checkbox(key="plan_rollback_sure").check()
    at.run()
    effect = [d.value for d in at.dataframe if "変更後" in d.value.columns][-1]
    assert list(effect["変更後"]) == [original]
    next(b for b in at.button if b.key == "plan_rollback").click()
    at.run()
    assert any(f"取込番号 {uid} を取り消しました" in s.value for s in at.success)
    assert target_2024(db) == original
