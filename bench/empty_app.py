"""The smallest app: what an AppTest run costs before any page work (the floor)."""

import streamlit as st

st.write("ベンチマーク")
