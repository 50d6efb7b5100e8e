"""Entry point: page config, navigation and the shared sidebar. Run with `make run`."""

import streamlit as st

from ui.navigation import PAGES

st.set_page_config(
    page_title="ICT計画 KPI ダッシュボード", page_icon=":material/monitoring:", layout="wide"
)

navigation = st.navigation(
    [st.Page(p.path, title=p.title, icon=p.icon, default=p.default) for p in PAGES]
)
navigation.run()
