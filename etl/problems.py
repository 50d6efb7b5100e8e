"""Validation problems as data: one row of the report a clerk reads (DESIGN 4.3).

Every problem names the file, sheet and cell (A1 style), the value as found, a stable
code (tests assert codes and cells, never wording), what is wrong and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import NamedTuple

from kpi.errors import KpiError

ERROR = "error"  # blocks the file: nothing of it is stored
WARNING = "warning"  # shown beside the preview; the file can still be stored

# The readers whose row rules raise a code: a test derives from these tags the codes that each
# reader's tests must produce (tests/test_column_reader.py for the actuals reader).
PLAN_ROWS = "plan rows"
ACTUALS_ROWS = "actuals rows"


class Entry(NamedTuple):
    """One code of the catalogue: its wording, its severity and who raises it."""

    message: str  # may use {value}, {detail} and {hint} (a caller's addition to the fix)
    fix: str
    severity: str = ERROR
    raised_by: frozenset[str] = frozenset()  # PLAN_ROWS, ACTUALS_ROWS: the readers' row rules


_PLAN = frozenset({PLAN_ROWS})
_ACTUALS = frozenset({ACTUALS_ROWS})
_BOTH = _PLAN | _ACTUALS

CATALOGUE: dict[str, Entry] = {
    # --- the file itself (etl/guard.py) ---
    "FILE_EMPTY": Entry(
        "ファイルが空です。", "Excel で保存し直した .xlsx ファイルを選んでください。"
    ),
    "FILE_TOO_LARGE": Entry(
        "ファイルが大きすぎます（{detail}）。",
        "不要なシートや画像を削除するか、年度ごとに分けてください。",
    ),
    "FILE_TOO_LARGE_UNCOMPRESSED": Entry(
        "展開後のサイズが上限を超えています（{detail}）。",
        "不要なシートを削除してください。意図しない巨大なデータが含まれている可能性があります。",
    ),
    "FILE_XLS": Entry(
        "旧形式の Excel ファイル（.xls）です。",
        "Excel で開き「名前を付けて保存」から「Excel ブック (*.xlsx)」を選んで保存し直してください。",
    ),
    "FILE_ENCRYPTED": Entry(
        "パスワードで保護（暗号化）されたファイルは読み込めません。",
        "Excel でパスワードを解除して保存し直してください。",
    ),
    "FILE_MACRO": Entry(
        "マクロを含むブックは受け付けられません。",
        "「Excel ブック (*.xlsx)」形式で保存し直してください（マクロは削除されます）。",
    ),
    "FILE_CSV": Entry(
        "CSV（テキスト）ファイルです。{detail}",
        "Excel で開き「Excel ブック (*.xlsx)」形式で保存し直してください。",
    ),
    "FILE_NOT_XLSX": Entry(
        "Excel ブック（.xlsx）ではありません。",
        "テンプレートをダウンロードして入力し、.xlsx 形式で保存してください。",
    ),
    "FILE_CORRUPT": Entry(
        "ファイルが壊れているため読み込めません（{detail}）。",
        "Excel で開けるか確認し、保存し直してください。",
    ),
    "FILE_XML_ENTITY": Entry(
        "ファイル内部に安全でない定義（XML エンティティ宣言）が含まれています。",
        "Excel で新しいブックに貼り付けて保存し直してください。",
    ),
    "FILE_TOO_MANY_ROWS": Entry(
        "シートの行数が上限を超えています（{detail}）。",
        "表よりずっと下のセルにスペースなどの入力が残っていないか確認し（Ctrl+End で最後のセルへ"
        "移動できます）、表の下の不要な行を削除して保存し直してください。本当に行が多い場合は"
        "ファイルを分割してください。",
    ),
    "FILE_SHEET_TOO_LARGE": Entry(
        "シートの使用範囲が大きすぎます（{detail}）。",
        "表から遠く離れたセル（右端や下端）に値や書式が残っていないか確認し（Ctrl+End で最後の"
        "セルへ移動できます）、表の外の不要な行と列を削除して保存し直してください。",
    ),
    # --- workbook structure ---
    "SHEET_MISSING": Entry(
        "シート「{detail}」がありません。",
        "テンプレートと同じシート名にしてください。",
    ),
    "COLUMN_MISSING": Entry(
        "列「{detail}」がありません。",
        "1 行目の見出しをテンプレートと同じにしてください。",
    ),
    "DUPLICATE_COLUMN": Entry(
        "見出し「{value}」の列が複数あります（{detail}）。どちらを読めばよいか判断できません。",
        "不要な方の列を削除するか、見出しを変えてください。",
    ),
    "SHEET_AMBIGUOUS": Entry(
        "実績のシートが複数あります（{detail}）。どのシートを読めばよいか判断できません。",
        "読み込むシートを「実績」の 1 枚だけにし、コピーしたシート（「実績 (2)」など）は削除するか"
        "別の名前にしてください。",
    ),
    "MERGED_HEADER": Entry(
        "見出しのセルが結合され（{detail}）、その右の列にも値があります。どの列の値か判断できません。",
        "見出しのセルの結合を解除し、値を見出しの真下の列に入力してください。",
    ),
    "HEADER_NOT_FOUND": Entry(
        "見出し行（指標ID・年度・実績値）が見つかりません。",
        "先頭 20 行以内に「指標ID」「年度」「実績値」の見出しを置いてください。",
    ),
    # --- cell values ---
    "REQUIRED": Entry("必須項目が空です。", "値を入力してください。", raised_by=_BOTH),
    "DUPLICATE_ID": Entry(
        "ID「{value}」が重複しています。", "ID は一意にしてください。", raised_by=_PLAN
    ),
    "UNKNOWN_REFERENCE": Entry(
        "「{value}」は{detail}に存在しません。",
        "既存の番号を指定してください。",
        raised_by=_PLAN,
    ),
    "BAD_ID": Entry(
        "ID の形式が正しくありません（{detail}）。",
        "例: 事業番号 1-2-4、指標ID 1-2-4-1",
        raised_by=_PLAN,
    ),
    "BAD_CHOICE": Entry(
        "「{value}」は選択肢にありません（{detail}）。",
        "選択肢から選んでください。",
        raised_by=_PLAN,
    ),
    "BAD_YEAR": Entry(
        "年度「{value}」を読み取れません。",
        "2025、令和7年度、R7 のように入力してください。",
        raised_by=_BOTH,
    ),
    "YEAR_OUT_OF_PLAN": Entry(
        "年度 {value} は計画期間（{detail}）の外です。",
        "計画期間（{detail}）内の年度を入力してください。{hint}",
        raised_by=_BOTH,
    ),
    "BAD_NUMBER": Entry(
        "「{value}」を数値として読み取れません。",
        "数値だけを入力してください（例: {hint}）。",
        raised_by=_ACTUALS,
    ),
    "BAD_TARGET": Entry(
        "目標値「{value}」を数値として読み取れません。",
        "数値（例: 70%以上、780万件）か、数字を含まない文章で入力してください。",
        raised_by=_PLAN,
    ),
    "NEGATIVE": Entry(
        "負の値「{value}」は入力できません。", "0 以上の値を入力してください。", raised_by=_ACTUALS
    ),
    "NUMBER_TOO_LARGE": Entry(
        "「{value}」は大きすぎて指標の値として扱えません（1,000兆以上）。",
        "桁数や単位を誤っていないか確認し、指標の単位で入力してください（例: {hint}）。",
        raised_by=_ACTUALS,
    ),
    "UNKNOWN_KPI": Entry(
        "指標ID「{value}」はこの計画にありません。",
        "テンプレートの指標IDをそのまま使ってください。",
        raised_by=_ACTUALS,
    ),
    "UNKNOWN_PLAN": Entry(
        "計画ID「{value}」はデータベースにありません。",
        "計画IDを確認してください。",
        raised_by=_ACTUALS,
    ),
    "FORMULA_NO_VALUE": Entry(
        "数式の計算結果が保存されていません。",
        "Excel で開いて再計算し、保存し直してください（または値を直接入力してください）。",
        raised_by=_ACTUALS,
    ),
    "CELL_ERROR": Entry(
        "セルがエラー値（{value}）です。",
        "数式を修正するか、値を直接入力してください。",
        raised_by=_ACTUALS,
    ),
    "MERGED_VALUE": Entry(
        "実績値のセルが他のセルと結合されています（{detail}）。どの行の値か判断できません。",
        "セルの結合を解除し、行ごとに実績値を入力してください。",
        raised_by=_ACTUALS,
    ),
    "CONFLICT": Entry(
        "同じ指標・年度に異なる値があります（{detail}）。",
        "どちらか一方の行を削除してください。",
        raised_by=_ACTUALS,
    ),
    "NOTE_TOO_LONG": Entry(
        "備考が長すぎます（{detail}）。",
        "備考は要点だけに短くしてください。詳しい説明は別の資料で情報システム課へ送ってください。",
    ),
    # --- warnings (shown, not blocking) ---
    "PERCENT_FRACTION": Entry(
        "{value} は {detail}% の意味ではありませんか？",
        "百分率の指標です。25% なら 25 と入力してください。",
        severity=WARNING,
        raised_by=_ACTUALS,
    ),
    "PERCENT_OVER_100": Entry(
        "{value}% は 100% を超えています。",
        "入力誤りでないか確認してください。",
        severity=WARNING,
        raised_by=_ACTUALS,
    ),
    "CUMULATIVE_DECREASE": Entry(
        "累積指標の値が年度の順に減っています（{detail}）。",
        "累積値（計画開始からの合計）を入力しているか確認してください。",
        severity=WARNING,
        raised_by=_ACTUALS,
    ),
    "LARGE_VALUE": Entry(
        "「{value}」（単位: {detail}）は非常に大きな値です（10億以上）。",
        "桁数や単位を誤っていないか確認してください。正しければこのままで構いません。",
        severity=WARNING,
        raised_by=_BOTH,
    ),
    "NOTE_CONTROL_CHARACTERS": Entry(
        "備考に表示できない制御文字が含まれていたため取り除きました（{detail}）。",
        "取り除いた後の内容で問題ないか確認してください。",
        severity=WARNING,
    ),
    "DUPLICATE_ROW": Entry(
        "同じ指標・年度の行が重複しています（値は同じ）。",
        "重複行を削除してください。",
        severity=WARNING,
        raised_by=_ACTUALS,
    ),
}


# Hints a fix cannot do without; callers that know more (the KPI's unit) pass their own.
_DEFAULT_HINTS = {"BAD_NUMBER": "1200、780万", "NUMBER_TOO_LARGE": "1200、780万"}


@dataclass(frozen=True)
class Problem:
    sheet: str
    cell: str
    value: str
    code: str
    message: str
    fix: str = ""
    severity: str = ERROR
    file: str = ""
    kpi_id: str = ""  # the 指標ID of the row, where the problem is in a row of KPI values

    @property
    def blocking(self) -> bool:
        return self.severity == ERROR

    def as_row(self) -> dict[str, str]:
        return asdict(self)


def problem(
    code: str,
    *,
    sheet: str = "",
    cell: str = "",
    value: object = "",
    detail: object = "",
    file: str = "",
    hint: object = "",
    kpi_id: str = "",
) -> Problem:
    """Build a Problem whose wording and severity come from the catalogue."""
    message, fix, severity, _ = CATALOGUE[code]
    text = "" if value is None else str(value)
    if code in _DEFAULT_HINTS and not hint:
        hint = _DEFAULT_HINTS[code]
    return Problem(
        sheet=sheet,
        cell=cell,
        value=text,
        code=code,
        message=message.format(value=text, detail=detail, hint=hint),
        fix=fix.format(value=text, detail=detail, hint=hint),
        severity=severity,
        file=file,
        kpi_id=kpi_id,
    )


def codes_raised_by(reader: str) -> set[str]:
    """The codes whose catalogue entry names `reader` (PLAN_ROWS, ACTUALS_ROWS)."""
    return {code for code, entry in CATALOGUE.items() if reader in entry.raised_by}


def has_blocking(problems: Iterable[Problem]) -> bool:
    return any(p.blocking for p in problems)


def cell_name(row_index0: int, col_index0: int) -> str:
    """0-based row/column -> A1 reference (e.g. (6, 6) -> 'G7')."""
    col = col_index0 + 1
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row_index0 + 1}"


class InputRejected(KpiError):
    """Raised when a workbook has blocking problems; carries all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{sum(p.blocking for p in problems)} 件のエラーがあります。")


# Which KPI and what to do first (the clerk asks the department about a KPI, not a cell);
# where, and the codes for support, after them (issue #10).
PROBLEM_HEADERS = {
    "kpi_id": "指標ID",
    "kpi_name": "指標名",
    "message": "内容",
    "fix": "直し方",
    "cell": "セル",
    "value": "値",
    "severity": "区分",
    "sheet": "シート",
    "file": "ファイル",
    "code": "コード",
}
SEVERITY_LABELS = {ERROR: "エラー", WARNING: "警告"}


def problem_rows(
    problems: Iterable[Problem], kpi_names: Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    """Rows with Japanese headers, errors first: the one table every surface renders.
    `kpi_names` (指標ID -> 指標名) fills 指標名; without it (the CLI) there is no such column."""
    ordered = sorted(problems, key=lambda p: (p.severity != ERROR,))
    rows = []
    for p in ordered:
        row = p.as_row()
        row["kpi_name"] = (kpi_names or {}).get(p.kpi_id, "")
        row["severity"] = SEVERITY_LABELS.get(p.severity, p.severity)
        rows.append(
            {
                label: row[key]
                for key, label in PROBLEM_HEADERS.items()
                if key != "kpi_name" or kpi_names is not None
            }
        )
    return rows
