"""Issue #10 item 12: the sample banner says which years are still sample values and offers
to roll the sample back; a real upload of a whole year takes that year off the list."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from etl import operations
from kpi import service
from kpi.config import ROOT
from kpi.fiscal import era_name
from kpi.sample_years import sample_years
from tests.test_actuals_loader import actuals
from tests.test_pages import app_env, sample_db  # noqa: F401  (fixtures)

PLAN_ID = "hadano-r3-r7"


def test_the_banner_names_the_sample_years_and_links_to_the_rollback(app_env):  # noqa: F811
    years = sample_years(service.plan_data(app_env, PLAN_ID))
    assert years
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    banner = next(w.value for w in at.warning if "架空" in w.value)
    assert all(era_name(y) in banner for y in years)
    links = [e.proto for e in at.get("page_link")]
    assert any("サンプルを取り消す" in p.label and "upload" in p.page for p in links)


def test_a_real_upload_of_a_whole_year_takes_it_off_the_list(tmp_path):
    from etl import cli
    from kpi.config import load_settings

    db = tmp_path / "kpi.duckdb"
    assert cli.main(["build", "--sample", "--db", str(db)]) == 0
    settings = load_settings().with_db(db)
    data = service.plan_data(settings, PLAN_ID)
    before = sample_years(data)
    year = before[-1]
    status = data.status
    rows = status[(status["fiscal_year"] == year) & (status["upload_kind"] == "sample")]
    values = {
        (k, year): float(v) for k, v in zip(rows["kpi_id"], rows["actual_value"], strict=True)
    }
    payload = actuals(values)
    operations.commit(settings, payload, "real.xlsx", by="情報 花子", plan_id=PLAN_ID)
    after = sample_years(service.plan_data(settings, PLAN_ID))
    assert after == [y for y in before if y != year]
