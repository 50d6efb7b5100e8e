"""Which fiscal years still show fictional sample values (DESIGN 8, issue #10).

A real upload replaces the sample only for the years it reports; the others stay sample
until the sample upload is rolled back. The banner names them."""

from __future__ import annotations

from kpi.dashboard import PlanData


def sample_years(data: PlanData) -> list[int]:
    """The fiscal years in which at least one current value comes from a sample upload."""
    status = data.status
    sample = status[(status["upload_kind"] == "sample") & status["actual_value"].notna()]
    return sorted(int(y) for y in sample["fiscal_year"].unique())
