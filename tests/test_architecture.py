"""The rules of DESIGN 9 that code review alone would miss."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from kpi.config import ROOT
from ui.navigation import PAGES

SQL = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(OR\s+REPLACE\s+)?"
    r"(TABLE|VIEW|MACRO))\b",
    re.I | re.S,
)


def python_files(*folders: str) -> list[Path]:
    files = []
    for folder in folders:
        path = ROOT / folder
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_streamlit():
    offenders = [
        str(p.relative_to(ROOT))
        for p in python_files("kpi", "etl")
        if "streamlit" in imported_modules(p)
    ]
    assert offenders == []


def test_the_entry_point_talks_to_pages_not_to_the_database():
    """app.py is a script, outside import-linter's packages (pyproject.toml): the same rule as
    for ui and views, checked here."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    assert not {n for n in names if n.split(".")[0] == "duckdb" or n.startswith("kpi.repository")}
    assert names  # the parse saw the imports


def test_every_table_goes_through_show_table():
    """ui.tables.show_table gives every table the app's 「―」 for a missing value."""
    offenders = [
        f"{p.relative_to(ROOT)}:{node.lineno}"
        for p in python_files("ui", "views", "app.py")
        if p.name != "tables.py"
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute)
        and node.attr == "dataframe"
        and isinstance(node.value, ast.Name)
        and node.value.id == "st"
    ]
    assert offenders == []


def test_only_the_repository_writes_sql():
    offenders = []
    for p in python_files("kpi", "etl", "ui", "views", "app.py"):
        if p.name == "repository.py" and p.parent.name == "kpi":
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and SQL.search(node.value)
            ):
                offenders.append(f"{p.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_navigation_lists_every_page_file():
    on_disk = {f"views/{p.name}" for p in (ROOT / "views").glob("*.py")}
    assert {p.path for p in PAGES} == on_disk
    assert sum(p.default for p in PAGES) == 1


def test_no_legacy_pages_folder():
    """Streamlit runs files of a pages/ folder beside app.py in its legacy multipage mode,
    without app.py's navigation, sidebar and URL-bound filters: our pages live in views/."""
    assert not (ROOT / "pages").exists()


def test_streamlit_settings_protect_users():
    import tomllib

    conf = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert conf["client"]["showErrorDetails"] == "none"  # no tracebacks for users
    assert conf["client"]["disableDataExport"] is True  # unsafe toolbar CSV export off
    assert conf["server"].get("enableXsrfProtection", True) is True
    assert conf["browser"]["gatherUsageStats"] is False  # no network here
