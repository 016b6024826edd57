"""AppTest of the Drivers page on the small demo warehouse and on uploads (fixture ``app``)."""

from __future__ import annotations

import json
from pathlib import Path

from .tables import assert_nothing_lost

REAL = Path(__file__).resolve().parents[1] / "data" / "real"


def test_drivers_page_shows_mix_drivers_and_cohort(app):
    at = app("views/drivers.py", timeout=180).run()
    assert not at.exception
    assert "Drivers" in [t.value for t in at.title]
    assert {"Why it moved", "What drives the score", "Who is no longer answering"} <= {s.value for s in at.subheader}
    assert len(at.get("plotly_chart")) == 5  # waterfall, cells, importance, focus areas, cohort
    text = " ".join(m.value.replace("\\", "") for m in at.markdown)  # without the Markdown escapes
    assert "from the shift in mix" in text and "of the variance of NPS" in text and "have left" in text
    assert "slowest channel: email" in text  # the demo's slow channel, beside the resolution-time driver
    # mix cells, key drivers and the cohort, each with a detail table of the columns that would not fit at 1024 px
    assert len(at.dataframe) >= 6 and len(at.dataframe[2].value) >= 4  # a detail table may come in two, to fit
    assert [main[0] for main, more in assert_nothing_lost(at)] == ["channel", "driver", "period"]


def test_drivers_page_any_two_periods_finds_the_planted_social_shift(app):
    import datetime as dt

    from cx import demo

    at = app("views/drivers.py", timeout=180).run()
    launch = demo.SOCIAL_LAUNCH
    at.date_input(key="drivers.before").set_value((launch - dt.timedelta(days=28), launch - dt.timedelta(days=1))).run()
    at.date_input(key="drivers.after").set_value((launch, launch + dt.timedelta(days=27))).run()
    assert not at.exception
    assert any("toward social" in m.value for m in at.markdown)


def test_drivers_page_on_a_wide_survey_upload(app, tmp_path):
    from cx.ingest.pipeline import open_files
    from ui import state

    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(json.loads((REAL / "airline_satisfaction.expected.json").read_text())["mapping"]))
    upload = open_files([REAL / "airline_satisfaction.csv"], mapping)
    at = app("views/drivers.py", timeout=180)
    at.session_state[state.SOURCE_KEY] = upload
    at.run()
    assert not at.exception
    assert any("dated scores" in i.value for i in at.info)  # no dates: no mix shift, no cohort
    at.selectbox(key="drivers.outcome").set_value("satisfied").run()
    assert not at.exception
    assert any("the strongest is Online Boarding" in m.value for m in at.markdown)


def test_drivers_page_on_a_small_upload_says_why(app):
    import pandas as pd

    from cx.db import memory_source
    from ui import state

    upload = memory_source(pd.DataFrame({"customer_id": ["A", "B", "C"], "channel": ["chat", "email", "chat"],
                                         "nps": [9, 3, 10]}))
    at = app("views/drivers.py")
    at.session_state[state.SOURCE_KEY] = upload
    at.run()
    assert not at.exception
    assert any("at least 30" in e.value for e in at.error)


def test_overview_explains_the_headline_change_by_mix(app):
    at = app("views/overview.py", timeout=180).run()
    assert not at.exception
    lines = [c.value for c in at.caption] + [w.value for w in at.warning]
    assert any("from the shift in mix" in line or "Simpson" in line for line in lines)


def test_method_names_only_under_how_this_is_computed(app):
    """Issue 14 (a CX lead's words): the methods' names are in a "How this is computed" expander, not in the
    captions a person reads first."""
    at = app("views/drivers.py", timeout=180).run()
    assert not at.exception
    methods = ("Shapley", "dominance", "bootstrap")
    hidden = {id(c.proto) for e in at.expander if e.label == "How this is computed" for c in e.caption}
    assert hidden and any(m in c.value for c in at.caption if id(c.proto) in hidden for m in methods)
    said = [c.value for c in at.caption if id(c.proto) not in hidden and any(m in c.value for m in methods)]
    assert not said, said
