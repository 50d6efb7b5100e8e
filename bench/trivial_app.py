"""The reference page of the browser benchmark: a title, one plotly bar chart, one dataframe.

Every app page's settle time is printed as a ratio to this page's, measured in the same run
(the machine's speed drifts; a ratio taken in one run does not)."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="ベンチマーク", layout="wide")
st.title("基準ページ")
fig = go.Figure(go.Bar(x=["R3", "R4", "R5", "R6", "R7"], y=[3, 5, 4, 6, 7]))
fig.update_layout(height=300)
st.plotly_chart(fig)
st.dataframe(pd.DataFrame({"指標ID": ["1-1-1-1", "1-1-2-1", "1-2-1-1"], "実績値": [3, 5, 4]}))
