"""見込み (issue #15) where decisions are made: the KPI chart's dotted projection, the counts
on 概況 and 庁議モード, the sentence on the KPI page (AppTest on the sample database)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from etl import cli
from kpi import outlook, service
from kpi.charts import PROJECTION_NAME, kpi_figure, short_year
from kpi.dashboard import Filters, kpi_history, select, status_table
from kpi.fiscal import fy_label
from tests.test_pages import app_env, open_page, sample_db  # noqa: F401 (fixtures)

PLAN_ID = "hadano-r3-r7"


@pytest.fixture
def data(app_env):  # noqa: F811
    return service.plan_data(app_env, PLAN_ID)


def forecast_row(data, year: int) -> dict:
    """A KPI whose outlook as of `year` is a forecast: found in the data, not hard-coded."""
    o = data.outlook
    hit = o[(o["as_of_year"] == year) & (o["basis"] == "trend")]
    assert len(hit), "the sample has forecasts"
    found = outlook.row(o, str(hit["kpi_id"].iloc[0]), year)
    assert found is not None
    return found


def projection(fig):
    return [t for t in fig.data if t.name == PROJECTION_NAME]


# ------------------------------------------------------------------- the chart


def test_chart_draws_the_projection_dotted_from_the_last_actual_to_the_final_year(data):
    row = forecast_row(data, 2023)
    fig = kpi_figure(kpi_history(data, row["kpi_id"]), outlook=row)
    (trace,) = projection(fig)
    assert trace.line.dash == "dot"  # visibly not the actual bars nor the dashed target
    assert list(trace.x) == [short_year(int(row["last_point_year"])), short_year(2025)]
    assert list(trace.y) == [
        pytest.approx(row["last_point_value"]),
        pytest.approx(row["projected_value"]),
    ]
    (label,) = [a for a in fig.layout.annotations if a.name == "projection-label"]
    assert label.text.startswith("見込み ") and label.x == short_year(2025)
    assert label.y == pytest.approx(row["projected_value"])
    assert "推計" in trace.hovertemplate and "予測" in trace.hovertemplate
    assert fig.layout.yaxis.range[1] >= row["projected_value"]  # the end of the line shows


def test_chart_has_no_projection_once_the_final_year_is_known(data):
    o = data.outlook
    actual = o[(o["as_of_year"] == 2025) & (o["basis"] == "actual")].iloc[0]
    row = outlook.row(o, str(actual["kpi_id"]), 2025)
    assert row is not None
    assert not projection(kpi_figure(kpi_history(data, row["kpi_id"]), outlook=row))
    assert not projection(kpi_figure(kpi_history(data, row["kpi_id"])))


def test_summary_only_before_the_final_year(data):
    before = outlook.summary(data, select(data, Filters(fiscal_year=2023)))
    assert before is not None and before.final_years == (2025,)
    rows = outlook.of_year(data.outlook, 2023, data.kpis["kpi_id"])
    ahead = rows[rows["final_year"].notna() & (rows["final_year"] > 2023)]
    assert before.counts == outlook.counts(ahead)  # only KPIs whose final year is ahead
    assert before.past_final == int((rows["final_year"] <= 2023).sum()) > 0
    assert before.not_graded == int(rows["final_year"].isna().sum()) > 0
    assert sum(before.counts.values()) + before.past_final + before.not_graded == len(rows)
    assert before.is_sample  # the sample values are fictional
    assert "令和7年度" in outlook.summary_title(before)
    assert "令和5年度" in outlook.summary_title(before)
    assert outlook.summary(data, select(data, Filters(fiscal_year=2025))) is None


# ------------------------------------------------------------------- pages


def with_year(page: str, year: int, **params):
    at = open_page("views/overview.py")
    at.sidebar.selectbox(key="fy").set_value(year).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_overview_shows_outlook_counts_before_the_final_year(app_env, data):  # noqa: F811
    at = with_year("views/overview.py", 2023)
    expected = outlook.summary(data, select(data, Filters(fiscal_year=2023)))
    assert expected is not None
    metrics = {m.label: m.value for m in at.metric}
    for g in "ABCD":
        assert metrics[outlook.badge(g)] == f"{expected.counts[g]} 指標"
    assert outlook.summary_title(expected) in [s.value for s in at.header]
    assert any(outlook.METHOD_NOTE in c.value for c in at.caption)


def test_overview_has_no_outlook_in_the_final_year(app_env):  # noqa: F811
    at = with_year("views/overview.py", 2025)
    assert not any(m.label == outlook.badge("A") for m in at.metric)
    assert not any("見込み" in s.value for s in at.header)


def test_council_title_screen_shows_the_outlook_line(app_env, data):  # noqa: F811
    at = with_year("views/council.py", 2023)
    expected = outlook.summary(data, select(data, Filters(fiscal_year=2023)))
    assert expected is not None
    assert any(outlook.summary_line(expected) in m.value for m in at.markdown)
    final = with_year("views/council.py", 2025)
    assert not any("達成見込み" in m.value for m in final.markdown)


def test_kpi_detail_shows_the_projection_and_says_it_is_a_forecast(app_env, data):  # noqa: F811
    row = forecast_row(data, 2023)
    at = with_year("views/kpi_detail.py", 2023, kpi=row["kpi_id"])
    assert at.selectbox(key="kpi_pick").value == row["kpi_id"]
    charts = at.get("plotly_chart")
    spec = json.loads(charts[0].proto.spec)
    (trace,) = [t for t in spec["data"] if t.get("name") == PROJECTION_NAME]
    assert trace["y"][-1] == pytest.approx(row["projected_value"])
    page = "\n".join(m.value for m in at.markdown)
    assert outlook.badge(row["outlook_grade"]) in page
    assert "予測" in page
    # the year table says, for each year, what the trend said then
    years = next(d.value for d in at.dataframe if "見込み（その年度時点）" in d.value.columns)
    said = dict(zip(years["年度"], years["見込み（その年度時点）"], strict=True))
    assert said[fy_label(2023)] == outlook.export_words(row)
    assert said[fy_label(2023)].startswith(str(row["outlook_grade"]))
    assert said[fy_label(2025)] == ""  # the final year: its grade is in 評価


# ------------------------------------------------------------------- export


def test_status_table_and_export_carry_the_outlook(app_env, data, tmp_path):  # noqa: F811
    table = status_table(data, select(data, Filters(fiscal_year=2023)))
    o = data.outlook.set_index(["kpi_id", "as_of_year"])
    forecasts = 0
    for r in table.to_dict("records"):
        expected = o.loc[(r["指標ID"], r["年度"])]
        if expected["basis"] == "trend" and r["年度"] < expected["final_year"]:
            forecasts += 1
            assert r["見込み（その年度時点）"].startswith(f"{expected['outlook_grade']} ")
            assert "見込み" in r["見込み（その年度時点）"]
            assert r["見込み値（最終年度）"] == pytest.approx(
                expected["projected_value"], abs=0.051
            )
        else:
            assert pd.isna(r["見込み値（最終年度）"])
            assert r["見込み（その年度時点）"] in ("", outlook.CANNOT)
    assert forecasts > 10
    out = tmp_path / "評価.csv"
    assert cli.main(["export", "--out", str(out), "--db", str(app_env.db_path)]) == 0
    csv = pd.read_csv(out, encoding="utf-8-sig")
    assert "見込み（その年度時点）" in csv.columns and "見込み値（最終年度）" in csv.columns
    assert csv["見込み（その年度時点）"].fillna("").str.contains("達成見込み").any()


# ------------------------------------------------------------------- PDF report


def report_text(settings, data, filters) -> list[str]:
    from etl import report
    from tests.test_report import page_texts

    pdf = report.build_report(
        data, filters, as_of=settings.today(), sources=["テスト"], grading=settings.grading
    )
    return page_texts(pdf)


def test_report_carries_the_outlook_before_the_final_year(app_env, data):  # noqa: F811
    from tests.test_report import flat

    filters = Filters(fiscal_year=2023, policies=(2,))
    s = outlook.summary(data, select(data, filters))
    assert s is not None
    pages = report_text(app_env, data, filters)
    text = flat("\n".join(pages))
    assert flat(outlook.summary_title(s)) in text
    assert flat("見込み（最終年度）") in text  # the column of the KPI list
    assert flat(outlook.METHOD_NOTE) in text  # said to be a forecast
    sel = select(data, filters)
    rows = outlook.for_selection(data, sel)
    words = [outlook.export_words(r) for r in rows.to_dict("records")]
    shown = [w for w in words if "達成見込み" in w]
    assert shown and all(flat(w) in text for w in shown)
    assert text.count("見込み:") == sum(1 for w in words if w)  # one per KPI block
    final = flat("\n".join(report_text(app_env, data, Filters(fiscal_year=2025, policies=(2,)))))
    assert "達成見込み" not in final and "見込み（最終年度）" not in final


def test_attention_reasons_are_the_c_and_d_forecasts(data):
    sel = select(data, Filters(fiscal_year=2023))
    reasons = outlook.attention_reasons(data, sel)
    rows = outlook.for_selection(data, sel)
    expected = rows[
        rows["outlook_grade"].isin(["C", "D"])
        & (rows["basis"] == "trend")
        & (rows["final_year"] > 2023)
    ]
    assert list(reasons["kpi_id"]) == list(expected["kpi_id"]) and len(reasons) > 0
    assert list(reasons.columns) == ["kpi_id", "reason", "rank"]
    for r, g in zip(reasons.to_dict("records"), expected["outlook_grade"], strict=True):
        assert outlook.badge(g) in r["reason"] and "推計" in r["reason"]
        assert r["rank"] == outlook.ATTENTION_RANKS[g]
    assert outlook.attention_reasons(data, select(data, Filters(fiscal_year=2025))).empty


def test_the_attention_list_gains_the_c_and_d_forecasts(app_env, data):  # noqa: F811
    from kpi.attention import needs_attention

    sel = select(data, Filters(fiscal_year=2023))
    forecasts = outlook.attention_reasons(data, sel)
    assert len(forecasts)
    listed = needs_attention(data, sel)
    for r in forecasts.to_dict("records"):
        row = listed[listed["kpi_id"] == r["kpi_id"]].iloc[0]
        assert r["reason"] in row["reason"]
    # after the year's own problems: the forecasts only (rank 40+) come last
    ranks = list(listed["rank"])
    assert ranks == sorted(ranks)
    at = with_year("views/overview.py", 2023)
    table = next(t.value for t in at.table if "理由" in t.value.columns)
    shown = table.reset_index()
    for r in forecasts.to_dict("records"):
        assert r["reason"] in " ".join(shown.loc[shown["指標ID"] == r["kpi_id"], "理由"])


def test_the_pdf_chart_draws_the_same_projection(data):
    """The report's static chart (matplotlib) shows the 見込み as the app's chart does."""
    from etl.report import font_path
    from etl.static_charts import StaticCharts

    row = forecast_row(data, 2023)
    charts = StaticCharts(font_path(), str, (180.0, 46.0))
    try:
        charts.render(kpi_history(data, row["kpi_id"]), 2023, row)
        (line,) = [ln for ln in charts.ax.lines if ln.get_label() == PROJECTION_NAME]
        assert line.get_linestyle() == ":"
        years = sorted(int(y) for y in kpi_history(data, row["kpi_id"])["fiscal_year"])
        xs = [years.index(int(row["last_point_year"])), years.index(2025)]
        assert np.asarray(line.get_xdata()).tolist() == xs
        assert np.asarray(line.get_ydata()).tolist() == [
            pytest.approx(row["last_point_value"]),
            pytest.approx(row["projected_value"]),
        ]
        assert any(t.get_text().startswith("見込み ") for t in charts.ax.texts)
        legend = charts.ax.get_legend()
        assert legend is not None and PROJECTION_NAME in [t.get_text() for t in legend.get_texts()]
        # the final year's own actual decides: nothing projected
        final = outlook.row(data.outlook, row["kpi_id"], 2025)
        charts.render(kpi_history(data, row["kpi_id"]), 2025, final)
        assert not [ln for ln in charts.ax.lines if ln.get_label() == PROJECTION_NAME]
    finally:
        charts.close()
