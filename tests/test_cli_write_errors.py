"""Issue #10 item 4: a command that cannot write its output says so in one line (exit 1),
never with a traceback. The output goes under a regular file, so no folder can be made."""

from __future__ import annotations

import pytest

from etl import cli

# Each command that writes a file or folder, with what it needs besides --out and --db.
COMMANDS = {
    "template": ["template", "--fy", "2025"],
    "sample-workbook": ["sample-workbook", "--plan", "data/plan.xlsx"],
    "plan-workbook": ["plan-workbook"],
    "plan-template": ["plan-template", "--start", "2026", "--end", "2030"],
    "report": ["report", "--fy", "2025"],
    "report-final": ["report", "--final"],
    "export": ["export"],
    "round-status": ["round-status", "--fy", "2025"],
    "round-templates": ["round-templates", "--fy", "2025"],
    "publish": ["publish", "--fy", "2025", "--allow-sample"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_unwritable_output_is_one_line(name, seed_db, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    out = blocker / ("out" if name in {"round-templates", "publish"} else "out.xlsx")
    if name.startswith("report"):
        out = blocker / "out.pdf"
    args = [*COMMANDS[name], "--out", str(out), "--db", str(seed_db.db_path)]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert str(blocker) in err
    assert len([line for line in err.splitlines() if line.startswith("エラー")]) == 1
