"""Static CSS of our own (no data in it): layouts that narrow screens and projectors need,
and the accessibility fixes that Streamlit's own markup needs (docs/accessibility.md)."""

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

# Streamlit's own English in the file uploader ("Drag and drop file here", "Limit 20MB per
# file", "Upload") cannot be translated: hidden, and the button says it in Japanese. The page
# gives the limit and the format in its own words (views/upload.py).
_UPLOADER = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] {display: none;}
[data-testid="stFileUploaderDropzone"] button {font-size: 0;}
[data-testid="stFileUploaderDropzone"] button::after {content: "ファイルを選ぶ"; font-size: 1rem;}
</style>"""

# WCAG 2.1 AA (JIS X 8341-3:2016 AA), checked by axe-core in tests/test_accessibility.py.
# Streamlit draws captions and other secondary text at 60 % of the text colour (#828180 on
# white, 3.9:1, through opacity 0.6): drawn opaque in #55565e (7.1:1). Headings: pages use
# st.header (h2) for their sections and ### (h3) below them, so that no level is skipped;
# .streamlit/config.toml gives h2 the size st.subheader (h3) had, so the look stays.
A11Y_CSS = """<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stMetricLabel"], [data-testid="stWidgetLabel"] [data-testid="stCaptionContainer"] {
  color: #55565e;
  opacity: 1;
}
/* 2.4.7 focus visible: Streamlit marks a focused menu or page link only by a faint grey. */
[data-testid="stSidebarNav"] a:focus-visible, [data-testid="stPageLink"] a:focus-visible,
[data-testid="stMarkdown"] a:focus-visible {
  outline: 3px solid #0b5cad;
  outline-offset: 1px;
}
/* the lang script's container and its layout wrapper: no space, no flex gap */
.st-key-a11y-lang, [data-testid="stLayoutWrapper"]:has(> .st-key-a11y-lang) { display: none; }
</style>"""

# Streamlit serves its index.html with <html lang="en"> and has no setting for it; a Japanese
# page read with an English voice is unintelligible (WCAG 3.1.1). The app's own script sets
# lang="ja" once the page is up, and again if anything resets it. It lives in a hidden
# container, so it takes no space.
LANG_SCRIPT = """<script>
(() => {
  const root = document.documentElement;
  const fix = () => { if (root.lang !== "ja") root.lang = "ja"; };
  fix();
  new MutationObserver(fix).observe(root, {attributes: true, attributeFilter: ["lang"]});
  // The uploader's button shows ファイルを選ぶ (_UPLOADER) but is named "Upload" and its input
  // "file upload" for a screen reader (4.1.2): name both in Japanese whenever an uploader
  // appears. One observer per page.
  if (window.__kpiUploaderNames) return;
  window.__kpiUploaderNames = true;
  const name = () => {
    for (const b of document.querySelectorAll(
        '[data-testid="stFileUploaderDropzone"] button:not([aria-label="ファイルを選ぶ"]), '
        + '[data-testid="stFileUploaderDropzoneInput"]:not([aria-label="ファイルを選ぶ"])')) {
      b.setAttribute("aria-label", "ファイルを選ぶ");
    }
  };
  name();
  new MutationObserver(name).observe(document.body, {childList: true, subtree: true});
})();
</script>"""


def apply() -> None:
    st.html(_RESPONSIVE + _UPLOADER + A11Y_CSS)
    with st.container(key="a11y-lang"):
        st.html(LANG_SCRIPT, unsafe_allow_javascript=True)
