"""AppTest of the round's tabs on the upload page (issue #13): the answer board, many files
at once, on-screen correction (画面修正) with its rollback, and 確定."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from etl import cli
from kpi import repository
from tests.downloads import download, record_downloads
from tests.test_round import fill
from tests.test_upload_page import (  # noqa: F401
    XLSX,
    built,
    current_value,
    db,
    login,
    upload_page,
)

PLAN_ID = "hadano-r3-r7"


@pytest.fixture
def round_dir(db, tmp_path):  # noqa: F811
    out = tmp_path / "round"
    assert cli.main(["round-templates", "--fy", "2025", "--out", str(out), "--db", str(db)]) == 0
    return out


def frame_with(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_board_lists_every_lead_department_with_downloads(db, monkeypatch):  # noqa: F811
    seen = record_downloads(monkeypatch)
    at = upload_page()
    board = frame_with(at, "事業評価 対象")
    assert len(board) == 19
    assert set(board["状況"]) == {"未提出"}  # fictional sample values answer nothing
    assert board.set_index("部署").loc["人事課", "未報告"] == 2
    name, data = download(at, seen, "未報告一覧（部署別、Excel）")
    assert name == "未報告一覧_2025.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert "人事課" in book.sheetnames and "未報告一覧" in book.sheetnames
    chased = [c.value for row in book["人事課"].iter_rows() for c in row]
    assert "2-3-1-1" in chased and "2-5-1-1" in chased
    name, data = download(at, seen, "照会票をまとめてダウンロード（zip）")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
    assert name == "照会票_2025.zip" and len(names) == 19 and "2025_人事課.xlsx" in names


def test_many_files_load_the_ones_that_passed(db, round_dir):  # noqa: F811
    good = fill((round_dir / "2025_人事課.xlsx").read_bytes())
    bad = fill((round_dir / "2025_防災課.xlsx").read_bytes(), evaluation={"進捗": "さあ"})
    at = login(upload_page())
    uploader = at.file_uploader(key="round_files")
    uploader.upload("2025_人事課.xlsx", good, XLSX).upload("2025_防災課.xlsx", bad, XLSX).run()
    assert not at.exception, [e.value for e in at.exception]
    summary = frame_with(at, "判定").set_index("ファイル")
    assert summary.loc["2025_人事課.xlsx", "判定"] == "取込可"
    assert summary.loc["2025_防災課.xlsx", "判定"] == "差し戻し"
    problems = frame_with(at, "コード")
    assert set(problems["コード"]) == {"BAD_CHOICE"} and list(problems["セル"]) == ["D4", "D5"]
    next(b for b in at.button if b.key == "round_commit").click()
    at.run()
    assert any("1 ファイルを取り込みました" in s.value for s in at.success)
    with repository.open_db(db) as con:
        uploads = repository.list_uploads(con, PLAN_ID)
    assert list(uploads.loc[uploads["kind"] == "actuals", "filename"]) == ["2025_人事課.xlsx"]


def _edit(at, kpi: str, value: str) -> None:
    table = next(
        d.value for d in at.dataframe if "目標値" in d.value.columns and "備考" in d.value.columns
    )
    row = int(table.index[table["指標ID"] == kpi][0])
    at.session_state["correction_editor"] = {
        "edited_rows": {row: {"実績値": value}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()


def test_correction_on_screen_commits_a_correction_upload_and_rolls_back(db):  # noqa: F811
    old = current_value(db)
    at = login(upload_page())
    _edit(at, "1-3-1-1", "321")
    assert not at.exception, [e.value for e in at.exception]
    preview = frame_with(at, "新しい値")
    assert list(preview["新しい値"]) == [321.0]
    assert current_value(db) == old  # the preview writes nothing
    next(b for b in at.button if b.key == "correction_commit").click()
    at.run()
    assert any("画面修正" in s.value for s in at.success)
    assert current_value(db) == 321.0
    with repository.open_db(db) as con:
        latest = repository.list_uploads(con, PLAN_ID).iloc[0]
    assert latest["kind"] == "correction"

    at = login(upload_page())
    history = frame_with(at, "取込番号")
    assert "画面修正" in set(history["種別"])
    at.selectbox(key="rollback_target").set_value(int(latest["upload_id"]))
    at.checkbox(key="rollback_sure").check()
    at.run()
    next(b for b in at.button if b.key == "rollback").click()
    at.run()
    assert current_value(db) == old


def test_lock_on_the_page_refuses_a_correction(db):  # noqa: F811
    at = login(upload_page())
    at.selectbox(key="lock_fy").set_value(2025)
    at.text_input(key="lock_reason").input("庁議報告のため")
    at.run()
    next(b for b in at.button if b.key == "lock_button").click()
    at.run()
    assert any("確定しました" in s.value for s in at.success)
    _edit(at, "1-3-1-1", "321")
    problems = frame_with(at, "コード")
    assert list(problems["コード"]) == ["YEAR_LOCKED"]
    history = frame_with(at, "操作")
    assert list(history["操作"]) == ["確定"] and list(history["理由"]) == ["庁議報告のため"]


def test_single_file_preview_lists_its_evaluations(db, round_dir):  # noqa: F811
    data = fill((round_dir / "2025_図書館.xlsx").read_bytes(), evaluation={"進捗": "遅れ"})
    at = login(upload_page())
    at.file_uploader(key="actuals_file").upload("2025_図書館.xlsx", data, XLSX).run()
    assert not at.exception, [e.value for e in at.exception]
    table = frame_with(at, "現在の進捗")
    assert list(table["事業番号"]) == ["1-1-4", "1-3-4"] and set(table["進捗"]) == {"遅れ"}
    assert set(table["区分"]) == {"新規"}
