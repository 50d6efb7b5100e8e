"""The only package besides views/ that imports streamlit."""
