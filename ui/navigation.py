"""The pages of the app, in menu order. A test checks that this list and pages/ agree."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    default: bool = False


PAGES: list[PageSpec] = [
    PageSpec("pages/plan_tree.py", "計画体系", ":material/account_tree:", default=True),
]
