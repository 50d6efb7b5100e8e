"""Issue #10 item 9: text from a file (a 備考, a KPI id, a file name, a --by name) never
reaches the terminal as an escape sequence: the CLI shows control characters inert."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook

from etl import cli
from etl.text_table import display_width, format_table, inert

ESC = "\x1b"
# What a terminal would act on: C0 but tab/newline, DEL, C1, bidi overrides.
ACTIVE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_inert_shows_control_characters_as_symbols():
    assert inert(f"a{ESC}[2Jb\x00\r\x9b\u202e") == "a␛[2Jb␀␍\\x9b\\u202e"
    assert inert("改行\nとタブ\tは残る") == "改行\nとタブ\tは残る"
    assert not ACTIVE.search(inert("".join(map(chr, range(0x00, 0xA0)))))


def test_a_table_with_escapes_stays_aligned_and_inert():
    table = format_table([{"指標ID": f"1-1{ESC}[31m", "備考": "x\ty"}, {"指標ID": "2", "備考": ""}])
    assert not ACTIVE.search(table)
    assert "1-1␛[31m" in table
    widths = {display_width(line) for line in table.splitlines()[:2]}
    assert len(widths) == 1  # header and rule line up


def _workbook_with(kpi_id: str, note: str) -> bytes:
    """openpyxl refuses control characters, so they are written as OOXML's _xHHHH_ escapes."""
    wb = Workbook()
    ws = wb.active
    ws.title = "実績"
    ws.append(["指標ID", "年度", "実績値", "備考"])
    ws.append(["KPIPLACEHOLDER", 2024, 1, "NOTEPLACEHOLDER"])
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith(".xml"):
                text = data.decode()
                text = text.replace("KPIPLACEHOLDER", kpi_id).replace("NOTEPLACEHOLDER", note)
                data = text.encode()
            dst.writestr(item, data)
    return out.getvalue()


def test_the_problem_table_of_the_cli_is_inert(seed_db, tmp_path, capsys):
    path = tmp_path / "escape.xlsx"
    path.write_bytes(_workbook_with("_x001B_]0;pwned_x0007_9-9", "_x001B_[2J"))
    assert cli.main(["load-actuals", str(path), "--db", str(seed_db.db_path)]) == 1
    captured = capsys.readouterr()
    assert "␛]0;pwned␇9-9" in captured.err  # the unknown id is reported…
    assert not ACTIVE.search(captured.out + captured.err)  # …but inert


def test_preview_and_history_show_file_names_and_names_inert(seed_db, tmp_path, capsys):
    wb = Workbook()
    ws = wb.active
    ws.title = "実績"
    ws.append(["指標ID", "年度", "実績値", "備考"])
    ws.append(["1-2-1-1", 2024, 7900, None])
    path = tmp_path / f"実績{ESC}[31m赤.xlsx"
    wb.save(path)
    db = str(seed_db.db_path)
    assert cli.main(["load-actuals", str(path), "--db", db, "--by", f"山田{ESC}[2J"]) == 0
    assert cli.main(["history", "--db", db]) == 0
    captured = capsys.readouterr()
    assert "実績␛[31m赤.xlsx" in captured.out and "山田␛[2J" in captured.out
    assert not ACTIVE.search(captured.out + captured.err)


def test_the_cli_restores_the_terminal_streams(seed_db):
    import sys

    before = sys.stdout, sys.stderr
    cli.main(["history", "--db", str(Path(seed_db.db_path))])
    assert (sys.stdout, sys.stderr) == before
