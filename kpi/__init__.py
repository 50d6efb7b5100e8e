"""Domain core of the ICT-plan KPI dashboard. Never imports streamlit."""
