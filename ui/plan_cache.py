"""What the app builds from a plan, kept per database version: figures, the board's SVG
charts, what a download is written from. The data only changes with an upload, a rollback
or another "today", and each of those means another store (context.cache_key).

A plain dict per plan, not st.cache_data: a Streamlit cache call hashes its arguments
(~1 ms), and a board looks up ~40 charts per rerun. Everything kept here is shared by every
rerun and session: treat it as read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from ui import context

T = TypeVar("T")

STORES = 32  # plans whose things are kept (a national database has 1,741)
_stores: OrderedDict[tuple, dict] = OrderedDict()
_lock = threading.Lock()


def store(plan_id: str) -> dict:
    """The plan's store for the current database version and "today"."""
    key = context.cache_key(plan_id)
    with _lock:
        found = _stores.get(key)
        if found is None:
            found = _stores[key] = {}
            while len(_stores) > STORES:
                _stores.popitem(last=False)
        else:
            _stores.move_to_end(key)
        return found


def cached(plan_id: str, key: tuple, build: Callable[[], T]) -> T:
    """`build()` once per database version and `key` (a tuple naming what it is)."""
    things = store(plan_id)
    value = things.get(key)
    if value is None:
        value = things[key] = build()
    return value
