"""What validating actuals needs to know about the plans: their periods and KPIs (units,
cumulative or not), the numeric targets of % KPIs and the current values of cumulative KPIs.

Plain data: the actuals reader (etl/actuals_reader.py, bytes in, rows out) validates against
it and never opens the database; `etl.actuals_loader.load_catalog` fills it from the database,
and tests build it by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

Key = tuple[str, str, int]  # (plan_id, kpi_id, fiscal_year)


@dataclass(frozen=True)
class KpiInfo:
    unit: str
    cumulative: bool
    direction: str


@dataclass
class KpiCatalog:
    """What validating actuals needs about the plans in the database, as dicts."""

    periods: dict[str, tuple[int, int]] = field(default_factory=dict)  # plan -> (start, end)
    kpis: dict[tuple[str, str], KpiInfo] = field(default_factory=dict)
    # numeric targets of % KPIs: only the fraction warning (0.25 for 25%) looks at them
    targets: Mapping[Key, float] = field(default_factory=dict)
    current: Mapping[Key, float] = field(default_factory=dict)  # current values, cumulative KPIs
    _index: _CatalogIndex | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def index(self) -> _CatalogIndex:
        """The KPIs as arrays, for reading a whole column at once (built on first use)."""
        if self._index is None:
            self._index = _CatalogIndex(self)
        return self._index


class _CatalogIndex:
    """KPI (plan_id, kpi_id) -> position, and per position: unit, %, cumulative, period."""

    def __init__(self, catalog: KpiCatalog):
        keys = list(catalog.kpis)
        infos = list(catalog.kpis.values())
        self.position = {key: j for j, key in enumerate(keys)}
        self.units = [info.unit for info in infos]
        self.percent = np.array([u == "%" for u in self.units], dtype=bool)
        self.cumulative = np.array([info.cumulative for info in infos], dtype=bool)
        periods = [catalog.periods.get(pid, (0, -1)) for pid, _ in keys]
        self.start = np.array([p[0] for p in periods], dtype=np.float64)
        self.end = np.array([p[1] for p in periods], dtype=np.float64)
