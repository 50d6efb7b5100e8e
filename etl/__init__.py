"""Excel <-> database. Never imports streamlit. Parsers take bytes."""
