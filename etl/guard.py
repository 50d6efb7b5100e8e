"""Is an uploaded file safe to hand to an Excel reader at all? (DESIGN 4.3, 4.4)

Bytes in, problems out; no Streamlit, no parsing of workbook content. Every check works in
bounded memory: the zip is inflated member by member in small chunks that are thrown away,
and XML is never parsed, only its prolog (the part before the root element, the only place
a DTD may appear) is scanned as text.

One decisive reason is returned (the file as a whole is refused), in this order:

1. empty (0 bytes, whitespace or NUL bytes only)          FILE_EMPTY
2. larger than ``max_file_bytes``                          FILE_TOO_LARGE
3. OLE compound file (D0 CF 11 E0 ...)                    FILE_ENCRYPTED / FILE_XLS /
                                                           FILE_NOT_XLSX / FILE_CORRUPT
4. not a zip: delimited text                               FILE_CSV, otherwise FILE_NOT_XLSX
5. zip: too many members, declared sizes over the limit
   or an absurd compression ratio                          FILE_TOO_LARGE_UNCOMPRESSED
   unreadable directory, bad CRC, sizes that lie            FILE_CORRUPT
   (for a worksheet part over DEFER_SHEET_BYTES, CRC and true size are checked by
   etl.xlsx when it reads the sheet, also as FILE_CORRUPT)
   no ``[Content_Types].xml`` / ``xl/workbook.xml``          FILE_NOT_XLSX
   (an .ods: ``mimetype`` not a spreadsheet, no content.xml  FILE_NOT_XLSX;
    Basic/ or Scripts/ macros FILE_MACRO; manifest encryption FILE_ENCRYPTED)
   ``vbaProject.bin`` or Excel 4 macro sheets               FILE_MACRO
   zip-level password on a member                           FILE_ENCRYPTED
6. ``<!DOCTYPE`` / ``<!ENTITY`` in any XML prolog            FILE_XML_ENTITY
7. a worksheet whose ``<dimension>`` or whose cells reach past
   ``max_sheet_cells`` (last row x last column, from A1)    FILE_SHEET_TOO_LARGE
   (etl.sheet_bounds, streamed with the same chunks; a part over DEFER_SHEET_BYTES is
   measured by etl.xlsx in the pass that checks its CRC, before calamine parses it)
"""

from __future__ import annotations

import codecs
import copy
import io
import re
import zipfile
import zlib
from dataclasses import replace
from pathlib import PurePath

from etl.problems import Problem, problem
from etl.sheet_bounds import SheetReach, reach_problem, worksheet_parts
from kpi.config import Limits

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_LOCAL = b"PK\x03\x04"
ZIP_EMPTY = b"PK\x05\x06"  # an archive with no members starts with its end record
ZIP_CENTRAL = b"PK\x01\x02"

# An .xlsx has tens of members, a few thousand with many images; zipfile builds one object
# per central-directory entry (a 20 MB file can hold ~230k of them: ~120 MB and ~15 s).
MAX_MEMBERS = 10_000
# Deflate tops out near 1032:1. Real sheet XML stays far below 100:1 because row and cell
# references differ on every row; only a repeated constant (a bomb) gets near the ceiling.
MAX_RATIO = 500
RATIO_MIN_BYTES = 10_000_000  # small members (styles, empty parts) may compress very well
CHUNK = 1 << 20  # inflate 1 MB at a time
# A worksheet part this large is inflated only through its XML prolog here: etl.xlsx inflates
# every sheet it reads with the same size and CRC checks (a national file's 200 MB sheet
# would otherwise be inflated twice, ~0.4 s). Its declared size still counts above.
DEFER_SHEET_BYTES = 16_000_000
TEXT_SNIFF = 64 * 1024
# The workbook part and its relationships are read whole to name the worksheets; real ones
# are a few KB (one <sheet> per sheet). Larger ones are not trusted for naming.
MAX_INDEX_BYTES = 10_000_000
XML_WS = " \t\r\n"
_BLANK = re.compile(rb"(?:\xef\xbb\xbf|\xff\xfe|\xfe\xff)?[ \t\r\n\f\v\x00]*\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # controls a text file never holds


def check_workbook_bytes(
    data: bytes, filename: str = "", limits: Limits | None = None
) -> list[Problem]:
    """Blocking problems that make the bytes unsafe or impossible to parse as an .xlsx; [] when OK.

    ``limits`` defaults to ``Limits()`` (the built-in defaults); callers pass
    ``load_settings().limits`` so that config.toml applies.
    """
    limits = limits or Limits()
    found = _check(data, limits)
    if found is None:
        return []
    if isinstance(found, Problem):
        return [replace(found, file=filename)]
    code, value, detail = found
    extension = PurePath(filename).suffix.lower()
    if code == "FILE_CSV" and extension in (".xlsx", ".xlsm", ".xls"):
        # Only a renamed CSV needs telling that its name lies; a .csv knows it is one.
        detail = f"拡張子だけが {extension} になっています。"
    return [problem(code, value=value, detail=detail, file=filename)]


def ensure_defused_xml() -> None:
    """Raise RuntimeError (Japanese message) if openpyxl.DEFUSEDXML is not True.

    DEFUSEDXML is False when defusedxml is missing: openpyxl then parses with the stdlib
    and accepts entity declarations.
    """
    import openpyxl  # lazy: importing this module must stay cheap

    if getattr(openpyxl, "DEFUSEDXML", False) is not True:
        raise RuntimeError(
            "defusedxml がインストールされていないため、Excel ファイルを安全に読み込めません。"
            "requirements.txt のパッケージ（defusedxml）をインストールしてから起動してください。"
        )


# --- dispatch -------------------------------------------------------------------------

# (code, value, detail), or a Problem that names its own sheet and cell
Found = tuple[str, str, str] | Problem | None


def _check(data: bytes, limits: Limits) -> Found:
    size = len(data)
    if size == 0:
        return "FILE_EMPTY", "0 B", ""
    # Size first: nothing else touches the content of an oversized upload.
    if size > limits.max_file_bytes:
        return (
            "FILE_TOO_LARGE",
            _human(size),
            f"{_human(size)}、上限 {_human(limits.max_file_bytes)}",
        )
    if _is_blank(data):
        return "FILE_EMPTY", _human(size), ""
    if data.startswith(OLE_MAGIC):
        return _check_ole(data)
    if data.startswith((ZIP_LOCAL, ZIP_EMPTY)):
        return _check_zip(data, limits)
    return _check_not_zip(data)


def _is_blank(data: bytes) -> bool:
    """Whitespace only (after a BOM), or NUL bytes as left by an interrupted save or sync."""
    # match() stops at the first other byte and copies nothing.
    return _BLANK.match(data) is not None


# --- OLE: legacy .xls or an encrypted .xlsx -------------------------------------------


def _check_ole(data: bytes) -> Found:
    """Classify an OLE compound file.

    Decisions: an OLE file that olefile cannot open (truncated, broken FAT) is FILE_CORRUPT:
    it is neither a workbook we could name nor something a resave of an .xls would explain.
    A readable container with ``EncryptionInfo`` / ``EncryptedPackage`` streams is an
    encrypted OOXML file (exactly what msoffcrypto's ``OfficeFile`` keys on; its OOXMLFile
    then answers is_encrypted() == True unconditionally, after parsing the EncryptionInfo
    XML with minidom, which we do not want to run on hostile bytes). A ``Workbook`` stream is
    BIFF8: msoffcrypto tells whether it carries a FilePass record (password-protected .xls
    -> FILE_ENCRYPTED, since removing the password is the clerk's first step); if msoffcrypto
    cannot parse it, it is still a legacy workbook -> FILE_XLS. ``Book`` (BIFF5, Excel 95)
    -> FILE_XLS. Any other OLE file (.doc, .ppt, .msg) -> FILE_NOT_XLSX.
    """
    import olefile  # lazy; installed with msoffcrypto-tool

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # hostile bytes: olefile may raise anything
        return "FILE_CORRUPT", "OLE", f"OLE 形式として読めません: {type(exc).__name__}"
    try:
        if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
            return "FILE_ENCRYPTED", "xlsx", ""
        if ole.exists("Workbook"):
            return (
                ("FILE_ENCRYPTED", "xls", "") if _xls_encrypted(data) else ("FILE_XLS", "xls", "")
            )
        if ole.exists("Book"):
            return "FILE_XLS", "xls (BIFF5)", ""
        return "FILE_NOT_XLSX", "OLE", ""
    except Exception as exc:  # a directory olefile accepted but cannot walk
        return "FILE_CORRUPT", "OLE", f"OLE 形式として読めません: {type(exc).__name__}"
    finally:
        ole.close()


def _xls_encrypted(data: bytes) -> bool:
    try:
        from msoffcrypto.format.xls97 import Xls97File  # lazy: pulls in cryptography

        return bool(Xls97File(io.BytesIO(data)).is_encrypted())
    except Exception:  # ParseError, AssertionError on a non-BIFF8 stream...
        return False


# --- not a zip: CSV or something else ------------------------------------------------


def _check_not_zip(data: bytes) -> Found:
    head = data[:TEXT_SNIFF]
    if head.startswith(b"%PDF"):
        return "FILE_NOT_XLSX", "PDF", ""
    text, encoding = _decode_text(head, truncated=len(data) > len(head))
    if text is None:
        return "FILE_NOT_XLSX", _hex_sig(head), ""
    if text.lstrip().startswith("<"):  # HTML or SpreadsheetML 2003 "saved as .xls"
        return "FILE_NOT_XLSX", "HTML/XML", ""
    lines = text.splitlines()
    if len(data) > len(head) and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut in the middle
    lines = [line for line in lines if line.strip()][:100]
    delimited = sum(1 for line in lines if "," in line or "\t" in line)
    if lines and delimited >= max(1, 0.8 * len(lines)):
        return "FILE_CSV", encoding, ""
    return "FILE_NOT_XLSX", "テキスト", ""


def _decode_text(head: bytes, truncated: bool) -> tuple[str | None, str]:
    """Decode a sniffed head as text, or None if it is binary."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" is UTF-16 + tabs
        candidates = ["utf-16"]
        if truncated:
            head = head[: len(head) // 2 * 2]
    elif head.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "cp932"]
    for encoding in candidates:
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the sniff window is not a reason to give up.
            if not (truncated and exc.start >= len(head) - 4):
                continue
            try:
                text = head[: exc.start].decode(encoding)
            except UnicodeDecodeError:
                continue
        if _CONTROL.search(text):
            return None, ""  # NUL and other controls: binary that happens to decode
        return text, {"utf-8-sig": "UTF-8 (BOM)", "cp932": "Shift_JIS"}.get(
            encoding, encoding.upper()
        )
    return None, ""


# --- zip ------------------------------------------------------------------------------


def _check_zip(data: bytes, limits: Limits) -> Found:
    # Every central-directory entry zipfile parses starts with this signature at a distinct
    # offset, so the count is an upper bound, taken before zipfile allocates anything.
    entries = data.count(ZIP_CENTRAL)
    if entries > MAX_MEMBERS:
        return (
            "FILE_TOO_LARGE_UNCOMPRESSED",
            f"{entries:,} 個",
            f"内部ファイル数 {entries:,} 個、上限 {MAX_MEMBERS:,} 個",
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # BadZipFile, ValueError, struct.error, ...
        return "FILE_CORRUPT", _human(len(data)), f"ZIP の目次を読めません: {type(exc).__name__}"
    with archive:
        infos = archive.infolist()
        found = _check_declared(infos, limits)
        if found is None:
            found = _check_structure(infos, archive)
        if found is None:
            found = _check_members(archive, infos, limits)
        return found


def _check_declared(infos: list[zipfile.ZipInfo], limits: Limits) -> Found:
    """Refuse on the sizes the central directory declares, before inflating anything."""
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        return (
            "FILE_TOO_LARGE_UNCOMPRESSED",
            _human(total),
            f"{_human(total)}、上限 {_human(limits.max_uncompressed_bytes)}",
        )
    for info in infos:
        if info.file_size >= RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            return (
                "FILE_TOO_LARGE_UNCOMPRESSED",
                info.filename[:100],
                f"{info.filename[:100]} の圧縮率 {ratio:,} 倍",
            )
    return None


def _check_structure(infos: list[zipfile.ZipInfo], archive: zipfile.ZipFile) -> Found:
    names = {info.filename for info in infos}
    if "mimetype" in names and "xl/workbook.xml" not in names:
        found = _check_ods(names, archive)
        if found is not None:
            return found
    else:
        for required in ("[Content_Types].xml", "xl/workbook.xml"):
            if required not in names:
                return "FILE_NOT_XLSX", required, ""
    for name in sorted(names):
        lower = name.lower()
        # .xlsm / .xltm / .xlam renamed: VBA project; .xlsm with Excel 4 (XLM) macro sheets.
        if lower.endswith("vbaproject.bin") or lower.startswith("xl/macrosheets/"):
            return "FILE_MACRO", name[:100], ""
    for info in infos:
        if info.flag_bits & 0x1:  # zip-level (ZipCrypto/AES) password: not an Excel feature
            return "FILE_ENCRYPTED", info.filename[:100], ""
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # Excel only deflates; zipfile inflates bz2/lzma without an output bound.
            return (
                "FILE_CORRUPT",
                info.filename[:100],
                f"未対応の圧縮形式（方式 {info.compress_type}）",
            )
    return None


ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
MANIFEST_BYTES = 1_000_000  # a manifest lists the parts: a few KB


def _check_ods(names: set[str], archive: zipfile.ZipFile) -> Found:
    """An OpenDocument spreadsheet (LibreOffice Calc, #14): the same rules as an .xlsx.

    The `mimetype` member names the kind of document (a text document is not a workbook);
    LibreOffice Basic macros live under Basic/ (and scripts under Scripts/); a password-
    protected file lists `encryption-data` in META-INF/manifest.xml. Sizes, CRCs and XML
    prologs are checked as for an .xlsx (the declared sizes before anything is inflated)."""
    try:
        with archive.open("mimetype") as f:
            mimetype = f.read(200).strip()
    except Exception as exc:  # BadZipFile, zlib.error...
        return "FILE_CORRUPT", "mimetype", f"ZIP の中身を読めません: {type(exc).__name__}"
    if mimetype != ODS_MIMETYPE:
        return "FILE_NOT_XLSX", mimetype.decode("ascii", "replace")[:100], ""
    if "content.xml" not in names:
        return "FILE_NOT_XLSX", "content.xml", ""
    for name in sorted(names):
        if name.startswith(("Basic/", "Scripts/")) and not name.endswith("/"):
            return "FILE_MACRO", name[:100], ""
    if "META-INF/manifest.xml" in names:
        try:
            with archive.open("META-INF/manifest.xml") as f:
                manifest = f.read(MANIFEST_BYTES)
        except Exception as exc:
            return (
                "FILE_CORRUPT",
                "META-INF/manifest.xml",
                f"ZIP の中身を読めません: {type(exc).__name__}",
            )
        if b"encryption-data" in manifest:
            return "FILE_ENCRYPTED", "ods", ""
    return None


def _check_members(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: Limits) -> Found:
    """Inflate every member in chunks: CRC, true sizes, the XML prolog of each, and how far
    each worksheet reaches."""
    total = 0
    sheets = _worksheets(archive)
    for info in infos:
        if info.is_dir():
            continue
        # Ask for one byte more than declared so that a member inflating past its header
        # shows itself (zipfile otherwise stops silently at the declared size).
        probe = copy.copy(info)
        probe.file_size = info.file_size + 1
        scanner: _PrologScanner | None = _PrologScanner()
        deferred = _deferred(info)
        reach = SheetReach() if info.filename in sheets and not deferred else None
        got = 0
        try:
            with archive.open(probe) as member:
                while chunk := member.read(CHUNK):
                    got += len(chunk)
                    total += len(chunk)
                    if got > info.file_size:
                        return _corrupt(info, "展開後のサイズが宣言と異なります")
                    if total > limits.max_uncompressed_bytes:  # unreachable unless sizes lie
                        return (
                            "FILE_TOO_LARGE_UNCOMPRESSED",
                            _human(total),
                            f"{_human(total)} 超、上限 {_human(limits.max_uncompressed_bytes)}",
                        )
                    if scanner is not None:
                        verdict = scanner.feed(chunk)
                        if verdict is _DTD:
                            return "FILE_XML_ENTITY", info.filename[:100], ""
                        if verdict is _DONE:
                            scanner = None
                    if reach is not None:
                        reach.feed(chunk)
                    if scanner is None and deferred:
                        break  # size and CRC: checked by etl.xlsx when the sheet is read
        except zipfile.BadZipFile as exc:
            detail = "CRC 不一致" if "CRC" in str(exc) else "ZIP の中身を読めません"
            return _corrupt(info, detail)
        except Exception as exc:  # zlib.error, EOFError, OSError, ...
            return _corrupt(info, f"ZIP の中身を読めません: {type(exc).__name__}")
        if deferred and scanner is None:
            continue
        if got != info.file_size:
            return _corrupt(info, "展開後のサイズが宣言と異なります")
        if scanner is not None and scanner.finish() is _DTD:
            return "FILE_XML_ENTITY", info.filename[:100], ""
        if reach is not None:
            reach.finish()
            if (far := reach_problem(reach, sheets[info.filename], limits)) is not None:
                return far
    return None


def _worksheets(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part -> sheet name (from the workbook and its relationships, both small;
    parts under xl/worksheets/ count even when the workbook does not list them)."""
    names = set(archive.namelist())
    listed: dict[str, str] = {}
    rels = "xl/_rels/workbook.xml.rels"
    if (
        rels in names
        and archive.getinfo(rels).file_size <= MAX_INDEX_BYTES
        and archive.getinfo("xl/workbook.xml").file_size <= MAX_INDEX_BYTES
    ):
        try:
            listed = worksheet_parts(archive.read("xl/workbook.xml"), archive.read(rels))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
            listed = {}  # a broken member: the loop below reports it as FILE_CORRUPT
    found = {n: n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    found.update({path: name for path, name in listed.items() if path in names})
    return found


def _deferred(info: zipfile.ZipInfo) -> bool:
    """A large worksheet part whose size and CRC etl.xlsx checks when it reads the sheet."""
    name = info.filename
    return (
        info.file_size >= DEFER_SHEET_BYTES
        and name.startswith("xl/worksheets/")
        and name.endswith(".xml")
    )


def _corrupt(info: zipfile.ZipInfo, detail: str) -> Found:
    return "FILE_CORRUPT", info.filename[:100], f"{info.filename[:100]}: {detail}"


# --- XML prolog scanner ---------------------------------------------------------------

_DTD = object()
_DONE = object()

# Byte-order marks and the first bytes of "<?" per XML 1.0 appendix F, longest first.
_ENCODINGS: tuple[tuple[bytes, str, int], ...] = (
    (b"\x00\x00\xfe\xff", "utf-32-be", 4),
    (b"\xff\xfe\x00\x00", "utf-32-le", 4),
    (b"\x00\x00\x00<", "utf-32-be", 0),
    (b"<\x00\x00\x00", "utf-32-le", 0),
    (b"\xef\xbb\xbf", "latin-1", 3),
    (b"\xfe\xff", "utf-16-be", 2),
    (b"\xff\xfe", "utf-16-le", 2),
    (b"\x00<", "utf-16-be", 0),
    (b"<\x00", "utf-16-le", 0),
)


class _PrologScanner:
    """Incremental scan of ``XMLDecl? (Comment | PI | S)* doctypedecl?`` up to the root tag.

    Keeps at most a few characters between chunks (a comment or PI body is discarded as it
    streams by), so a gigantic comment before a DTD costs time, not memory. ASCII-compatible
    encodings (UTF-8, Shift_JIS, ...) are scanned as latin-1: markup characters are ASCII
    and never appear inside a multi-byte character of those encodings.
    """

    def __init__(self) -> None:
        self._raw = b""  # bytes held until the encoding is known
        self._decoder: codecs.IncrementalDecoder | None = None
        self._buf = ""
        self._state = "misc"

    def feed(self, chunk: bytes, final: bool = False) -> object | None:
        if self._decoder is None:
            self._raw += chunk
            if len(self._raw) < 4 and not final:
                return None
            chunk, self._raw = self._raw, b""
            encoding, skip = "latin-1", 0
            for mark, name, bom_len in _ENCODINGS:
                if chunk.startswith(mark):
                    encoding, skip = name, bom_len
                    break
            chunk = chunk[skip:]
            self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._buf += self._decoder.decode(chunk, final)
        return self._step(final)

    def finish(self) -> object | None:
        return self.feed(b"", final=True)

    def _step(self, final: bool) -> object | None:
        while True:
            if self._state == "misc":
                self._buf = self._buf.lstrip(XML_WS)
                if not self._buf:
                    return _DONE if final else None
                if self._buf[0] != "<":
                    return _DONE  # text before any tag: not XML, the reader will refuse it
                if len(self._buf) < 9 and not final:
                    return None  # not enough to tell "<!DOCTYPE" from "<!--" or a root tag
                head = self._buf[:9].upper()
                if head.startswith(("<!DOCTYPE", "<!ENTITY")):
                    return _DTD
                if head.startswith("<?"):
                    self._state, self._buf = "?>", self._buf[2:]
                elif head.startswith("<!--"):
                    self._state, self._buf = "-->", self._buf[4:]
                else:
                    return _DONE  # the root element (or markup the reader will reject)
            else:
                end = self._buf.find(self._state)
                if end < 0:
                    # Keep only what could be the start of the terminator.
                    self._buf = self._buf[-(len(self._state) - 1) :]
                    return _DONE if final else None
                self._buf = self._buf[end + len(self._state) :]
                self._state = "misc"


# --- formatting -----------------------------------------------------------------------


def _human(n: int) -> str:
    if n < 1_000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1_000:.1f} KB"
    if n < 1_000_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{n / 1_000_000_000:.1f} GB"


def _hex_sig(head: bytes) -> str:
    return " ".join(f"{b:02X}" for b in head[:4])
