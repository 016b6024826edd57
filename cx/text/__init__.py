"""Voice of the customer: what people write, in themes and sentiment, tied to scores and churn.

Pure core (no streamlit): :mod:`~cx.text.mask` (privacy), :mod:`~cx.text.language`,
:mod:`~cx.text.sentiment`, :mod:`~cx.text.themes`, :mod:`~cx.text.impact`, :mod:`~cx.text.terms`,
:mod:`~cx.text.comments` (the SQL) and :mod:`~cx.text.analysis` (one pass used by every face).
"""

from cx.text.analysis import CommentAnalysis, analyse_comments, disagreements, themes_that_grew
from cx.text.mask import mask, mask_all
from cx.text.terms import distinctive_terms
from cx.text.themes import KeywordTheme, ThemeSettings, load_settings, save_settings

__all__ = ["CommentAnalysis", "KeywordTheme", "ThemeSettings", "analyse_comments", "disagreements",
           "distinctive_terms", "load_settings", "mask", "mask_all", "save_settings", "themes_that_grew"]
