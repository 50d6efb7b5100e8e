"""The pages of the app, in menu order. A test checks that this list and views/ agree."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    default: bool = False


PAGES: list[PageSpec] = [
    PageSpec("views/overview.py", "概況", ":material/dashboard:", default=True),
    PageSpec("views/kpi_detail.py", "指標の詳細", ":material/query_stats:"),
    PageSpec("views/projects.py", "事業一覧", ":material/list_alt:"),
    PageSpec("views/departments.py", "部署別", ":material/groups:"),
    PageSpec("views/plan_tree.py", "計画体系", ":material/account_tree:"),
    PageSpec("views/council.py", "庁議モード", ":material/co_present:"),
    PageSpec("views/reports.py", "報告書・データ出力", ":material/picture_as_pdf:"),
    PageSpec("views/final_review.py", "総括", ":material/fact_check:"),
    PageSpec("views/upload.py", "実績の取込", ":material/upload_file:"),
]
