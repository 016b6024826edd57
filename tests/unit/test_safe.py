import io

import pandas as pd

from cx.safe import neutralise_cell, plain_text, to_safe_csv


def test_formula_cells_are_neutralised_numbers_are_not():
    frame = pd.DataFrame({"comment": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "fine", None],
                          "nps": [-50.0, 1, 2, 3, 4, 5]})
    text = to_safe_csv(frame).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text))
    assert back["comment"].tolist()[:4] == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)"]
    assert back["comment"][4] == "fine"
    assert back["nps"][0] == -50.0


def test_plain_text_escapes_markup():
    assert plain_text("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert plain_text(None) == "" and neutralise_cell(3) == 3
