"""etl/guard.py: hostile uploads are refused with the right code, fast and in bounded memory.

Every hostile file is built here, in memory; only a legacy .xls is a committed fixture
(tests/fixtures/legacy.xls, a 1-sheet BIFF8 workbook written once with xlwt 1.3.0).
Tests assert codes, never wording.
"""

from __future__ import annotations

import io
import random
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from etl.guard import (
    _DTD,
    MAX_MEMBERS,
    _PrologScanner,
    check_workbook_bytes,
    ensure_defused_xml,
)
from kpi.config import Limits

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>"
)
SHEET_TAIL = b"</sheetData></worksheet>"
MB = 1_000_000


def codes(data: bytes, limits: Limits | None = None) -> list[str]:
    return [p.code for p in check_workbook_bytes(data, "upload.xlsx", limits)]


# --- builders -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "実績"
    ws.append(["指標ID", "年度", "実績値"])
    ws.append(["1-2-4-1", 2025, 1200])
    ws.append(["1-2-4-2", 2025, "<!DOCTYPE x [<!ENTITY a 'b'>]>"])  # text, escaped: harmless
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def rezip(
    data: bytes,
    replace: dict[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
    method: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    parts = {k: v for k, v in members_of(data).items() if k not in drop}
    parts.update(replace or {})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, payload in parts.items():
            z.writestr(name, payload)
    return buf.getvalue()


@dataclass
class Raw:
    """A member as stored: raw deflate (or stored) bytes and what the headers declare."""

    name: str
    payload: bytes
    crc: int
    size: int  # declared uncompressed size
    method: int = zipfile.ZIP_DEFLATED
    flags: int = 0


def deflate(name: str, content: bytes) -> Raw:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Raw(name, c.compress(content) + c.flush(), zlib.crc32(content), len(content))


def build_zip(members: list[Raw]) -> bytes:
    """Hand-written zip (no zip64), so that headers can lie and payloads be pre-compressed."""
    out = bytearray()
    central = bytearray()
    for m in members:
        name = m.name.encode()
        offset = len(out)
        fields = (20, m.flags, m.method, 0, 0x21, m.crc, len(m.payload), m.size, len(name), 0)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields) + name + m.payload
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, offset)
        central += name
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0
    )
    return bytes(out + central + end)


def with_sheet(xlsx_bytes: bytes, sheet: Raw) -> bytes:
    others = [deflate(k, v) for k, v in members_of(xlsx_bytes).items() if k != sheet.name]
    return build_zip([*others, sheet])


def space_bomb(total: int, declared: int | None = None) -> Raw:
    """Sheet XML of ``total`` bytes, mostly spaces, streamed: 1 MB blocks compressed once.

    After Z_FULL_FLUSH the compressor forgets its window, so every full-flushed block of the
    same input compresses to the same bytes and can simply be repeated.
    """
    block = b" " * MB
    n = (total - len(SHEET_HEAD) - len(SHEET_TAIL)) // MB
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(SHEET_HEAD) + c.flush(zlib.Z_FULL_FLUSH)
    body = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(block) + c.flush(zlib.Z_FULL_FLUSH) == body
    tail = c.compress(SHEET_TAIL) + c.flush()
    crc = zlib.crc32(SHEET_HEAD)
    for _ in range(n):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(SHEET_TAIL, crc)
    size = len(SHEET_HEAD) + n * MB + len(SHEET_TAIL)
    return Raw(SHEET, head + body * n + tail, crc, size if declared is None else declared)


def peak_while_checking(data: bytes, limits: Limits | None = None) -> tuple[list[str], int]:
    tracemalloc.start()
    try:
        found = codes(data, limits)
        return found, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- valid ----------------------------------------------------------------------------


def test_valid_workbook_passes(xlsx: bytes) -> None:
    assert check_workbook_bytes(xlsx, "ok.xlsx") == []


def test_hand_built_zip_of_a_valid_workbook_passes(xlsx: bytes) -> None:
    # The builder used by the hostile cases below yields a clean file when nothing lies.
    parts = members_of(xlsx)
    assert codes(with_sheet(xlsx, deflate(SHEET, parts[SHEET]))) == []


def test_problem_is_file_level(xlsx: bytes) -> None:
    [p] = check_workbook_bytes(b"", "実績.xlsx")
    assert (p.code, p.sheet, p.cell, p.file, p.blocking) == (
        "FILE_EMPTY",
        "",
        "",
        "実績.xlsx",
        True,
    )
    assert p.value and p.message and p.fix


# --- empty and too large --------------------------------------------------------------


def test_empty() -> None:
    assert codes(b"") == ["FILE_EMPTY"]


@pytest.mark.parametrize("data", [b" \r\n\t ", b"\xef\xbb\xbf \n", b"\x00" * 4096])
def test_whitespace_only_is_empty(data: bytes) -> None:
    assert codes(data) == ["FILE_EMPTY"]


def test_too_large_with_small_limit(xlsx: bytes) -> None:
    limits = Limits(max_file_bytes=len(xlsx) - 1)
    assert codes(xlsx, limits) == ["FILE_TOO_LARGE"]
    assert codes(xlsx, Limits(max_file_bytes=len(xlsx))) == []


def test_too_large_at_default_limit() -> None:
    assert codes(b"PK\x03\x04" + b"\x00" * (20_000_001 - 4)) == ["FILE_TOO_LARGE"]


def test_size_is_checked_before_content() -> None:
    # Blank or not, an oversized upload is refused for its size.
    assert codes(b" " * 2_000, Limits(max_file_bytes=1_000)) == ["FILE_TOO_LARGE"]


# --- OLE: legacy xls and encrypted xlsx -----------------------------------------------


def test_legacy_xls() -> None:
    assert codes((FIXTURES / "legacy.xls").read_bytes()) == ["FILE_XLS"]


def test_encrypted_xlsx(xlsx: bytes) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx)).encrypt("secret", out)
    assert out.getvalue()[:4] == b"\xd0\xcf\x11\xe0"
    assert codes(out.getvalue()) == ["FILE_ENCRYPTED"]


def test_truncated_ole_is_corrupt() -> None:
    data = (FIXTURES / "legacy.xls").read_bytes()
    assert codes(data[:3000]) == ["FILE_CORRUPT"]
    assert codes(data[:8]) == ["FILE_CORRUPT"]


def test_ole_without_a_workbook_is_not_xlsx() -> None:
    # Rename the Workbook stream in the OLE directory (UTF-16 name, same length).
    data = (FIXTURES / "legacy.xls").read_bytes()
    name = "Workbook".encode("utf-16-le")
    assert data.count(name) == 1
    assert codes(data.replace(name, "Document".encode("utf-16-le"))) == ["FILE_NOT_XLSX"]


# --- not a zip: CSV and others --------------------------------------------------------

CSV = "指標ID,年度,実績値\r\n1-2-4-1,2025,1200\r\n1-2-4-2,令和7年度,25%\r\n"


@pytest.mark.parametrize(
    "data",
    [
        CSV.encode("utf-8"),
        CSV.encode("utf-8-sig"),
        CSV.encode("cp932"),
        CSV.replace(",", "\t").encode("utf-16"),  # Excel's "Unicode text"
        CSV.replace(",", "\t").encode("cp932"),
    ],
    ids=["utf8", "utf8-bom", "cp932", "utf16-tsv", "cp932-tsv"],
)
def test_csv(data: bytes) -> None:
    assert codes(data) == ["FILE_CSV"]


def test_long_cp932_csv_cut_inside_a_character() -> None:
    # The sniff window ends in the middle of a two-byte character; still CSV.
    row = "1-2-4-1,2025,実績値です\r\n".encode("cp932")
    data = b"a" + row * (200_000 // len(row))
    assert codes(data) == ["FILE_CSV"]


@pytest.mark.parametrize(
    "data",
    [
        random.Random(7).randbytes(50_000),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(1000),
        b"<html xmlns:x='urn:schemas-microsoft-com:office:excel'><table><tr><td>1,2</td></tr>",
        "これは表ではありません。\n説明文だけのテキストです。\n".encode(),
        b"\x89PNG\r\n\x1a\n" + bytes(100),
    ],
    ids=["random", "pdf", "html-as-xls", "plain-text", "png"],
)
def test_not_a_workbook(data: bytes) -> None:
    assert codes(data) == ["FILE_NOT_XLSX"]


# --- zip: sizes -----------------------------------------------------------------------


def test_zip_bomb_with_small_limit(xlsx: bytes) -> None:
    sheet = SHEET_HEAD + b"<row r='1'/>" * 200_000 + SHEET_TAIL  # ~2.4 MB, compresses to KB
    data = rezip(xlsx, {SHEET: sheet})
    assert len(data) < 100_000
    assert codes(data, Limits(max_uncompressed_bytes=MB)) == ["FILE_TOO_LARGE_UNCOMPRESSED"]
    assert codes(data) == []  # the same file is fine under the default limit


def test_realistic_bomb_past_default_limit_is_fast_and_bounded(xlsx: bytes) -> None:
    bomb = space_bomb(310 * MB)
    data = with_sheet(xlsx, bomb)
    assert len(data) < 1_000_000 and bomb.size > 300_000_000
    found, peak = peak_while_checking(data)
    assert found == ["FILE_TOO_LARGE_UNCOMPRESSED"]
    assert peak < 50 * MB


def test_bomb_under_the_limit_with_absurd_ratio(xlsx: bytes) -> None:
    # 250 MB of spaces declared honestly: within 300 MB, but ~1000:1 is no spreadsheet.
    data = with_sheet(xlsx, space_bomb(250 * MB))
    found, peak = peak_while_checking(data)
    assert found == ["FILE_TOO_LARGE_UNCOMPRESSED"]
    assert peak < 50 * MB


def test_ordinary_compression_ratio_is_accepted(xlsx: bytes) -> None:
    # A real sheet (references change on every row) stays far below the ratio limit.
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="s"><v>0</v></c><c r="B%d"><v>2025</v></c>'
        b'<c r="C%d" s="1"><v>%d</v></c></row>' % (i, i, i, i, i * 7 % 1000)
        for i in range(1, 200_001)
    )
    data = rezip(xlsx, {SHEET: SHEET_HEAD + rows + SHEET_TAIL})
    assert codes(data) == []


def test_too_many_members(xlsx: bytes) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, payload in members_of(xlsx).items():
            z.writestr(name, payload)
        for i in range(MAX_MEMBERS + 1):
            z.writestr(f"xl/media/{i:x}", b"")
    assert codes(buf.getvalue()) == ["FILE_TOO_LARGE_UNCOMPRESSED"]


def test_lying_header_declares_small_inflates_big(xlsx: bytes) -> None:
    # Declares 1 KB but inflates to 310 MB: refused after reading ~1 KB of it.
    data = with_sheet(xlsx, space_bomb(310 * MB, declared=1_000))
    found, peak = peak_while_checking(data)
    assert found == ["FILE_CORRUPT"]
    assert peak < 50 * MB


def test_lying_header_with_crc_of_the_declared_prefix(xlsx: bytes) -> None:
    # zipfile alone would stop at the declared size and find the CRC right: the guard asks
    # for one byte more and sees the member run past its header.
    content = SHEET_HEAD + b"<row/>" * 100_000 + SHEET_TAIL
    sheet = deflate(SHEET, content)
    sheet.size, sheet.crc = 1_000, zlib.crc32(content[:1_000])
    assert codes(with_sheet(xlsx, sheet)) == ["FILE_CORRUPT"]


def test_member_shorter_than_declared(xlsx: bytes) -> None:
    content = members_of(xlsx)[SHEET]
    sheet = deflate(SHEET, content)
    sheet.size += 10
    assert codes(with_sheet(xlsx, sheet)) == ["FILE_CORRUPT"]


# --- zip: corrupt ---------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.99])
def test_truncated_zip_is_corrupt(xlsx: bytes, keep: float) -> None:
    assert codes(xlsx[: int(len(xlsx) * keep)]) == ["FILE_CORRUPT"]


def test_flipped_bytes_in_member_data_is_corrupt(xlsx: bytes) -> None:
    content = SHEET_HEAD + b"".join(b'<row r="%d"/>' % i for i in range(5_000)) + SHEET_TAIL
    data = bytearray(rezip(xlsx, {SHEET: content}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo(SHEET)
    start = info.header_offset + 30 + len(SHEET) + len(info.extra)
    for i in range(start + 100, start + 110):
        data[i] ^= 0xFF
    assert codes(bytes(data)) == ["FILE_CORRUPT"]


def test_bad_crc_is_corrupt(xlsx: bytes) -> None:
    sheet = deflate(SHEET, members_of(xlsx)[SHEET])
    sheet.crc ^= 1
    assert codes(with_sheet(xlsx, sheet)) == ["FILE_CORRUPT"]


def test_unsupported_compression_is_corrupt(xlsx: bytes) -> None:
    # zipfile inflates lzma/bz2 without an output bound; Excel never writes them.
    assert codes(rezip(xlsx, method=zipfile.ZIP_LZMA)) == ["FILE_CORRUPT"]


def test_zip_level_password_is_encrypted(xlsx: bytes) -> None:
    sheet = deflate(SHEET, members_of(xlsx)[SHEET])
    sheet.flags = 0x1
    assert codes(with_sheet(xlsx, sheet)) == ["FILE_ENCRYPTED"]


# --- zip: not a workbook, macro -------------------------------------------------------


def test_docx_is_not_xlsx() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    assert codes(buf.getvalue()) == ["FILE_NOT_XLSX"]


def test_odt_is_not_a_workbook() -> None:
    """An .ods passes (tests/test_ods.py, #14); another OpenDocument file does not."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
    assert codes(buf.getvalue()) == ["FILE_NOT_XLSX"]


def test_xlsx_without_workbook_xml(xlsx: bytes) -> None:
    assert codes(rezip(xlsx, drop=("xl/workbook.xml",))) == ["FILE_NOT_XLSX"]


def test_empty_zip_is_not_xlsx() -> None:
    buf = io.BytesIO()
    zipfile.ZipFile(buf, "w").close()
    assert codes(buf.getvalue()) == ["FILE_NOT_XLSX"]


def test_macro_workbook(xlsx: bytes) -> None:
    data = rezip(xlsx, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)})
    assert codes(data) == ["FILE_MACRO"]


# --- XML entity declarations ----------------------------------------------------------

LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n"
)


def test_billion_laughs_in_sheet(xlsx: bytes) -> None:
    sheet = LAUGHS + b'<worksheet><sheetData><row><c t="inlineStr"><is><t>&lol9;</t></is></c>'
    sheet += b"</row></sheetData></worksheet>"
    assert codes(rezip(xlsx, {SHEET: sheet})) == ["FILE_XML_ENTITY"]


def test_external_entity_in_rels(xlsx: bytes) -> None:
    rels = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<Relationships>&x;</Relationships>"
    )
    assert codes(rezip(xlsx, {"_rels/.rels": rels})) == ["FILE_XML_ENTITY"]


def test_dtd_after_a_long_comment_prolog(xlsx: bytes) -> None:
    prolog = (
        b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application x?>\n<!--'
        + b"- > ?> <root> " * 400_000  # ~5 MB of comment that looks like markup
        + b"-->\n<!-- second -->\n"
    )
    sheet = prolog + b"<!DOCTYPE worksheet [<!ENTITY a 'b'>]><worksheet/>"
    assert codes(rezip(xlsx, {SHEET: sheet})) == ["FILE_XML_ENTITY"]


def test_dtd_in_utf16_xml(xlsx: bytes) -> None:
    sheet = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w [<!ENTITY a "b">]><worksheet/>'
    assert codes(rezip(xlsx, {SHEET: sheet.encode("utf-16")})) == ["FILE_XML_ENTITY"]
    assert codes(rezip(xlsx, {SHEET: sheet.encode("utf-16-be")})) == ["FILE_XML_ENTITY"]


def test_doctype_text_inside_a_comment_or_after_the_root_is_fine(xlsx: bytes) -> None:
    sheet = members_of(xlsx)[SHEET]
    assert sheet.startswith(b"<worksheet")  # openpyxl writes no XML declaration
    commented = b'<?xml version="1.0"?><!-- <!DOCTYPE x> -->' + sheet
    commented += b"<!-- <!DOCTYPE after the root -->"
    assert codes(rezip(xlsx, {SHEET: commented})) == []


@pytest.mark.parametrize(
    ("text", "dtd"),
    [
        (b'<?xml version="1.0"?><!-- c --><?pi x?>\n<!DOCTYPE a><a/>', True),
        (b"\xef\xbb\xbf<!ENTITY x 'y'><a/>", True),
        ('<?xml version="1.0"?><!DOCTYPE a><a/>'.encode("utf-16-le"), True),
        (b'<?xml version="1.0"?>\n<a><!DOCTYPE b></a>', False),
        (b"<!-- <!DOCTYPE a> --><a/>", False),
        (b"<!--->--><!DOCTYPE a>", True),  # "-->" begins after "<!--", not inside it
        (b"\x89PNG<!DOCTYPE a>", False),
        (b"<!DOCTYPE", True),
        (b"", False),
    ],
)
def test_prolog_scanner_at_every_chunk_boundary(text: bytes, dtd: bool) -> None:
    for size in (1, 2, 3, 5, 7, len(text) or 1):
        scanner = _PrologScanner()
        verdict = None
        for i in range(0, len(text), size):
            verdict = scanner.feed(text[i : i + size])
            if verdict is not None:
                break
        if verdict is None:
            verdict = scanner.finish()
        assert verdict is not None, (text, size)
        assert (verdict is _DTD) == dtd, (text, size)


# --- robustness ----------------------------------------------------------------------


def test_mutated_files_never_raise(xlsx: bytes) -> None:
    """Seeded fuzz: flipped, deleted and inserted bytes, truncation; always a FILE_* code or []."""
    from msoffcrypto.format.ooxml import OOXMLFile

    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx)).encrypt("pw", encrypted)
    bases = [xlsx, encrypted.getvalue(), (FIXTURES / "legacy.xls").read_bytes()]
    rng = random.Random(20250401)
    for _ in range(600):
        data = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 20)):
            i = rng.randrange(len(data))
            roll = rng.random()
            if roll < 0.7:
                data[i] = rng.randrange(256)
            elif roll < 0.85:
                del data[i : i + rng.randint(1, 64)]
            else:
                data[i:i] = rng.randbytes(rng.randint(1, 64))
        if rng.random() < 0.2:
            data = data[: rng.randrange(1, len(data))]
        found = codes(bytes(data))
        assert found == [] or (len(found) == 1 and found[0].startswith("FILE_"))


# --- defusedxml and import cost -------------------------------------------------------


def test_ensure_defused_xml_passes_here() -> None:
    ensure_defused_xml()


def test_ensure_defused_xml_refuses_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(RuntimeError):
        ensure_defused_xml()


def test_import_is_cheap() -> None:
    heavy = ["openpyxl", "msoffcrypto", "olefile", "cryptography"]
    code = f"import sys, etl.guard; print([m for m in {heavy!r} if m in sys.modules])"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_csv_message_mentions_the_extension_only_when_it_lies() -> None:
    data = b"kpi,year,value\n1-2-4-1,2025,1\n"
    (renamed,) = check_workbook_bytes(data, "actuals.xlsx")
    (named_csv,) = check_workbook_bytes(data, "actuals.csv")
    assert renamed.code == named_csv.code == "FILE_CSV"
    assert ".xlsx" in renamed.message
    assert ".xlsx" not in named_csv.message and "拡張子" not in named_csv.message
