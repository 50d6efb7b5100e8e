"""The one error boundary of the app: a domain error raised anywhere in a page is shown here.

app.py runs the sidebar and the page inside `boundary()`. A `KpiError` (the database held by
another process, corrupt, read-only or full, a missing plan, a refused action) becomes its
Japanese message in `st.error`; a rejected file (`InputRejected`) becomes the problem table
(ui/problems.py). Never Streamlit's generic error page. Pages do not catch domain errors
themselves; a page that wants the rest of itself drawn after a failed step (the upload page's
tabs) runs that step inside `boundary()` too, so the error is still shown by this code.
Anything else is a defect and is left to Streamlit (`client.showErrorDetails = "none"`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from etl.problems import InputRejected
from kpi.errors import DatabaseBusy, KpiError
from ui import problems
from ui.format import md


@contextmanager
def boundary(key: str = "page") -> Iterator[None]:
    """Show a domain error raised in the block; `key` keeps the problem table's widgets apart
    when a page has more than one boundary."""
    try:
        yield
    except InputRejected as e:
        problems.show(e.problems, key=key)
    except DatabaseBusy as e:
        st.error(md(e), icon=":material/hourglass_top:")
    except KpiError as e:
        st.error(md(e), icon=":material/error:")
