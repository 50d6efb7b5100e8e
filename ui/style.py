"""Static CSS of our own (no data in it): layouts that narrow screens and projectors need."""

from __future__ import annotations

import streamlit as st

# Card grids (board, council) and headline figures: two per row on a tablet or a narrow
# window instead of three or four squeezed ones with clipped bars and cut-off numbers.
_RESPONSIVE = """<style>
@media (max-width: 1100px) {
  [class*="st-key-cards-"] [data-testid="stHorizontalBlock"],
  [class*="st-key-figures-"] [data-testid="stHorizontalBlock"] {flex-wrap: wrap;}
  [class*="st-key-cards-"] [data-testid="stColumn"],
  [class*="st-key-figures-"] [data-testid="stColumn"] {
    flex: 1 1 calc(50% - 1rem) !important; min-width: calc(50% - 1rem) !important;
  }
}
</style>"""


def apply() -> None:
    st.html(_RESPONSIVE)
