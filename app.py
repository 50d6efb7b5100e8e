"""Entry point: page config, navigation, and the shared sidebar (plan, year, filters).

The filter widgets live here, in the entry point, bound to the URL: they survive page
changes and a filtered view can be shared as a link. Run with `make run`.
"""

import streamlit as st

from ui import context, errors, filters, style
from ui.navigation import PAGES
from ui.sample_banner import sample_banner

st.set_page_config(
    page_title="ICT計画 KPI ダッシュボード", page_icon=":material/monitoring:", layout="wide"
)
style.apply()

navigation = st.navigation(
    [st.Page(p.path, title=p.title, icon=p.icon, default=p.default) for p in PAGES]
)
with errors.boundary():
    plans = context.plan_choices()
    if plans is None or not plans.ids:
        st.session_state.pop("_page_context", None)
    else:
        plan_id = filters.plan_selector(plans)
        data = context.plan_data(plan_id)
        chosen = filters.sidebar(data)
        context.store(context.build(plan_id, data, chosen))
        if data.sample_current:
            sample_banner(data, compact=navigation.url_path == "council")
    navigation.run()
