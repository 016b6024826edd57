"""Deterministic demo warehouse: a DuckDB file with `interactions` and `customers`.

The data are synthetic but shaped like a real mid-size retailer's CX data, and carry planted
effects that the analytics must find (tests check each one):

1. **Chat outage** — ISO week 2026-W11 (Mon 9 – Sun 15 March 2026): chat experience collapses
   (CSAT top-two-box falls from ~70% to ~20%, critical incidents multiply, first response times
   jump tenfold).
2. **Slow resolution on email** — email tickets take ~4× longer to resolve than any other channel
   (median ~40 h vs ~8–12 h).
3. **Seasonality** — contact volume peaks in late November/December (holiday rush, ~1.5× the
   summer lull) and satisfaction dips a little in those weeks.
4. **Peak-end churn** — a customer's churn probability is driven by the *worst* and the *last*
   experience index of their journey, hardly at all by the average.
5. **Service recovery** — half of the customers get an excellent follow-up after their first
   critical incident; an incident followed by a good ending (index ≥ 60) lowers churn compared
   with the same incident left unrecovered.
6. **Mix shift (social care launch)** — from Monday 5 October 2026 (ISO week 2026-W41) 60% of the
   web and app contacts go through social instead (:func:`_social_care_launch`). Social scores
   lower than web and app, so NPS and CSAT fall from that week by a shift in channel mix, not
   because any channel got worse: the mix-shift decomposition (:mod:`cx.drivers.mix`) finds it.

7. **Agents and teams** — service tickets are handled by 24 agents in four teams; team Borealis
   scores clearly above the rest and team Delta below, one agent (``STAR_AGENT``) far above and one
   (``STRUGGLING_AGENT``) far below their peers. A new agent (``NEW_AGENT``) has only six rated
   tickets, all perfect: the top raw score by luck, not by skill (shrinkage puts them mid-table).
8. **Survey response** — a survey is offered on every answered contact and on some unanswered ones,
   more often on email and social and for enterprise customers, so response rates differ by channel
   and segment (``survey_offered``; offered rows without a score are non-responses).
Comments follow the experience (unhappy, middling and happy topics, each in a few wordings; a few in
Spanish or German, a few too short to analyse), and two effects are planted in them: chat comments of
the outage week tell of a chat that disconnects, and most unhappy email comments of waiting days for a
reply (the Comments page and the weekly review find both).

Churners leave: their interactions all fall before a leaving day drawn over their tenure, and their
churn date follows their last interaction (about 25 days later), so churn events are spread over
the period instead of piling up in its last weeks, and nobody churns while still in contact.
A consequence worth knowing when reading the trends: as unhappy customers leave, satisfaction among
those still in contact drifts up over the period (survivorship: CSAT ~60% → ~73% by quarter); the
weekly review compares week against week, where this drift is far below significance.

Everything is drawn from a seeded ``numpy`` generator, in fixed-size customer blocks, so the same
arguments always give the same file, and 10 million interactions need only one block in memory.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_PATH = Path(os.environ.get("CX_DEMO_PATH", Path(__file__).resolve().parent.parent / "data" / "demo.duckdb"))

START = dt.date(2025, 7, 1)
END = dt.date(2026, 11, 22)  # a Sunday: the last complete ISO week is 2026-W47
OUTAGE_WEEK = (dt.date(2026, 3, 9), dt.date(2026, 3, 15))
OUTAGE_CHANNEL = "chat"
SLOW_CHANNEL = "email"
SOCIAL_LAUNCH = dt.date(2026, 10, 5)  # the planted mix shift: web and app contacts move to social
SOCIAL_SHARE = 0.6

CHANNELS = ("email", "chat", "phone", "social", "web", "app", "store")
SERVICE_CHANNELS = ("email", "chat", "phone", "social")
STAGES = ("awareness", "consideration", "purchase", "retention", "advocacy")
TOUCHPOINTS = {
    "awareness": ("ad", "website visit", "social post"),
    "consideration": ("product page", "pricing", "demo request"),
    "purchase": ("checkout", "payment", "delivery"),
    "retention": ("onboarding", "support ticket", "billing", "returns"),
    "advocacy": ("review", "referral"),
}
# channel mix per stage (rows follow STAGES, columns follow CHANNELS)
_CHANNEL_MIX = np.array(
    [
        [0.10, 0.05, 0.02, 0.35, 0.30, 0.15, 0.03],
        [0.15, 0.15, 0.05, 0.10, 0.30, 0.15, 0.10],
        [0.10, 0.15, 0.10, 0.02, 0.30, 0.18, 0.15],
        [0.22, 0.25, 0.18, 0.08, 0.10, 0.12, 0.05],
        [0.20, 0.10, 0.05, 0.30, 0.15, 0.15, 0.05],
    ]
)
_CHANNEL_QUALITY = np.array([-0.02, 0.01, 0.03, -0.04, 0.02, 0.03, 0.05])
_FRT_MEDIAN_MIN = np.array([240.0, 2.0, 1.5, 45.0, 120.0, 90.0, 5.0])
_TTR_MEDIAN_H = np.array([40.0, 8.0, 9.0, 12.0, 10.0, 11.0, 6.0])
SEGMENTS = ("consumer", "small business", "enterprise")
REGIONS = ("north", "south", "east", "west", "international")

# comments: each band has topics, each topic a few wordings that share its words (as real comments
# on one subject do), so that theme discovery has something to find
COMMENTS = {
    "bad": (
        ("Waited forever on hold, nobody helped me. Terrible.", "On hold for an hour and still no help, awful.",
         "Long hold times every time I call, nobody helps."),
        ("Charged twice and the refund is still pending.", "Still waiting for my refund after being charged twice.",
         "Billing error: charged twice, refund never arrived."),
        ("The parcel arrived damaged and the delivery was late.", "Delivery was late and the box was damaged, awful.",
         "Damaged parcel, late delivery, very disappointed."),
        ("The agent was rude and hung up on me.", "Rude agent, did not listen at all.",
         "The agent was rude and unhelpful.", "Sehr schlechter Kundenservice, niemand hilft."),
        ("Third time I'm explaining the same problem, very frustrating.",
         "Had to explain the same problem again and again.", "Same problem again, nobody fixes it."),
    ),
    "mid": (
        ("It was okay, took a bit long.", "Okay in the end but it took too long.", "Took a while, but okay."),
        ("Fine in the end but I had to chase it.", "Had to chase them twice, fine now.",
         "I had to chase the answer, fine in the end."),
        ("Average experience, nothing special.", "Nothing special, an average experience.", "ok"),
    ),
    "good": (
        ("Quick and friendly, thank you!", "Friendly and helpful staff, thank you!",
         "Helpful, friendly agent, problem sorted quickly.", "Muy buen servicio, gracias."),
        ("Love the app, easy to use.", "The app is easy to use and fast.", "Great app, easy to order."),
        ("Smooth checkout and fast delivery, great.", "Fast delivery and a smooth checkout.",
         "Delivery was fast, great service."),
    ),
}
# planted themes (effects 1 and 2): what chat customers write in the outage week, and what unhappy
# email customers write about waiting for replies
PLANTED_COMMENTS = {
    "outage": (
        ("The chat kept disconnecting and I lost the whole conversation. Terrible.",
         "Chat was down all day, could not reach anyone. Awful.", "Live chat disconnected three times, awful experience.",
         "Chat window froze and disconnected, so frustrating."),
    ),
    "slow_email": (
        ("Waited four days for a reply to my email, very frustrating.",
         "Still no reply to my email after a week, unacceptable.",
         "Email support is painfully slow, days between replies. Poor.",
         "Sent three emails and waited days for a reply, disappointing."),
    ),
}


def _pick_comments(pool, pick: np.ndarray) -> np.ndarray:
    """A comment for each pick in [0, 1): its leading digits choose the topic, later digits the wording."""
    topic = (pick * len(pool)).astype(int)
    wording = (pick * 97) % 1
    out = np.empty(pick.size, dtype=object)
    for t, variants in enumerate(pool):
        sel = topic == t
        out[sel] = np.array(variants, dtype=object)[(wording[sel] * len(variants)).astype(int)]
    return out


# --- agents and teams (planted effect 6) and survey offers (planted effect 7) ---
TEAMS = ("Atlas", "Borealis", "Cascade", "Delta")
_TEAM_LIFT = {"Atlas": 0.0, "Borealis": 1.0, "Cascade": 0.0, "Delta": -1.0}
# (name, team, individual lift, share of the tickets): the lift tilts which contacts an agent gets
# towards better (> 0) or worse (< 0) experiences; a few part-timers handle far fewer tickets
AGENTS = (
    ("Aisha", "Atlas", 0.3, 1.0), ("Ben", "Atlas", -0.4, 1.0), ("Chloe", "Atlas", 0.0, 0.15),
    ("Dev", "Atlas", 0.5, 1.0), ("Elena", "Atlas", -0.2, 1.0), ("Farid", "Atlas", 0.1, 0.6),
    ("Grace", "Borealis", 0.2, 1.0), ("Hiro", "Borealis", -0.3, 1.0), ("Maya", "Borealis", 2.5, 1.0),
    ("Ines", "Borealis", 0.0, 0.1), ("Jonas", "Borealis", 0.4, 1.0), ("Kemi", "Borealis", -0.1, 1.0),
    ("Liam", "Cascade", 0.2, 1.0), ("Noor", "Cascade", -0.5, 1.0), ("Oscar", "Cascade", 0.6, 0.08),
    ("Priya", "Cascade", 0.0, 1.0), ("Quinn", "Cascade", -0.2, 1.0), ("Rosa", "Cascade", 0.3, 1.0),
    ("Sam", "Delta", 0.1, 1.0), ("Tariq", "Delta", -0.3, 1.0), ("Owen", "Delta", -2.5, 1.0),
    ("Uma", "Delta", 0.4, 0.12), ("Victor", "Delta", 0.0, 1.0), ("Wen", "Delta", -0.1, 1.0),
)
STAR_AGENT, STRUGGLING_AGENT = "Maya", "Owen"
NEW_AGENT, NEW_AGENT_TEAM, NEW_AGENT_TICKETS, NEW_AGENT_DAYS = "Zoe", "Cascade", 6, 21
# chance that a contact nobody answered was offered a survey, by channel (CHANNELS order) and segment
_OFFER_UNANSWERED = np.array([1.0, 0.25, 0.45, 0.9, 0.3, 0.3, 0.1])
_OFFER_SEGMENT = np.array([0.7, 1.0, 1.6])

BLOCK_CUSTOMERS = 50_000
CHURN_INTERCEPT = -2.5


@dataclass(frozen=True)
class DemoStats:
    """What :func:`generate` wrote."""

    path: Path
    customers: int
    interactions: int
    churned: int
    seconds: float


def _seasonal_weight(days: np.ndarray) -> np.ndarray:
    """Relative contact volume of each day since START (holiday peak, summer lull)."""
    dates = np.datetime64(START) + days.astype("timedelta64[D]")
    doy = (dates - dates.astype("datetime64[Y]")).astype(int)
    holiday = np.exp(-0.5 * ((doy - 345) / 18.0) ** 2) * 0.55 + np.exp(-0.5 * ((doy + 20) / 10.0) ** 2) * 0.3
    summer = -0.18 * np.exp(-0.5 * ((doy - 210) / 25.0) ** 2)
    return 1.0 + holiday + summer


def _quantize(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(np.rint(values), low, high)


def _side_rng(rng: np.random.Generator, key: int) -> np.random.Generator:
    """A generator of its own for a later addition, so that the draws of the main stream stay as they were."""
    seq = rng.bit_generator.seed_seq
    return np.random.default_rng(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, key)))


def _staff(rng: np.random.Generator, q: np.ndarray, day: np.ndarray, handled: np.ndarray,
           perfect: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Agent and team of each handled ticket (planted effect 6); ``None`` elsewhere.

    An agent with lift b gets a contact of quality q with odds proportional to exp(b·(q − 0.6)), so
    their contacts' experience (and scores) lean good or bad; the new agent gets a few of the last
    weeks' perfectly rated tickets.
    """
    n = q.size
    names = np.array([a[0] for a in AGENTS], dtype=object)
    teams = np.array([a[1] for a in AGENTS], dtype=object)
    lift = np.array([_TEAM_LIFT[a[1]] + a[2] for a in AGENTS])
    share = np.array([a[3] for a in AGENTS])
    rows = np.flatnonzero(handled)
    weight = share[None, :] * np.exp(lift[None, :] * (q[rows, None] - 0.6))
    cum = np.cumsum(weight, axis=1)
    pick = (rng.random(rows.size)[:, None] * cum[:, -1:] > cum).sum(axis=1)
    agent = np.full(n, None, dtype=object)
    team = np.full(n, None, dtype=object)
    agent[rows], team[rows] = names[pick], teams[pick]
    recent = np.flatnonzero(handled & perfect & (day >= (END - START).days + 1 - NEW_AGENT_DAYS))
    lucky = rng.choice(recent, min(NEW_AGENT_TICKETS, recent.size), replace=False)
    agent[lucky], team[lucky] = NEW_AGENT, NEW_AGENT_TEAM
    return agent, team


def _offered(rng: np.random.Generator, answered: np.ndarray, channel: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Whether a survey was offered (planted effect 7): always when answered, else by channel and segment."""
    chance = np.clip(_OFFER_UNANSWERED[channel] * _OFFER_SEGMENT[segment], 0.0, 1.0)
    return answered | (rng.random(answered.size) < chance)


def _block(rng: np.random.Generator, first_id: int, n_customers: int, n_interactions: int):
    """One block of customers and their interactions, as two Arrow tables."""
    import pyarrow as pa  # here, not at the top: opening the demo (cx.db.demo_source) needs no Arrow

    span = (END - START).days + 1
    days_all = np.arange(span)

    # --- customers ---
    signup_day = rng.integers(-540, span - 30, n_customers)
    propensity = np.clip(rng.beta(7, 3, n_customers), 0.05, 0.98)  # how well things go for them
    segment = rng.choice(len(SEGMENTS), n_customers, p=[0.62, 0.28, 0.10])
    region = rng.choice(len(REGIONS), n_customers, p=[0.25, 0.22, 0.2, 0.2, 0.13])
    max_stage = rng.choice(5, n_customers, p=[0.12, 0.13, 0.2, 0.35, 0.2])
    activity = rng.gamma(2.0, 1.0, n_customers) * (1 + 0.6 * (segment == 2))

    # --- who has which interaction ---
    # a steady contact rate over each customer's tenure inside the window
    weight = activity * (span - np.maximum(signup_day, 0))
    counts = rng.multinomial(n_interactions, weight / weight.sum())
    cust = np.repeat(np.arange(n_customers), counts)
    n = cust.size
    window_start = np.maximum(signup_day, 0)[cust]
    # draw days with the seasonal profile by rejection sampling inside each customer's window
    day = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    wmax = _seasonal_weight(days_all).max()
    while todo.size:
        cand = rng.integers(window_start[todo], span)
        keep = rng.random(todo.size) < _seasonal_weight(cand) / wmax
        day[todo[keep]] = cand[keep]
        todo = todo[~keep]
    seconds = rng.integers(7 * 3600, 22 * 3600, n)
    order = np.lexsort((seconds, day, cust))
    cust, day, seconds = cust[order], day[order], seconds[order]
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    rank = np.arange(n) - np.repeat(starts, counts)
    frac = (rank + 0.5) / np.repeat(np.maximum(counts, 1), counts)

    stage = np.minimum(np.floor(frac * (max_stage[cust] + 1)).astype(int), max_stage[cust])
    cum_mix = _CHANNEL_MIX.cumsum(axis=1)[stage]
    channel = (rng.random(n)[:, None] > cum_mix).sum(axis=1).clip(0, len(CHANNELS) - 1)
    tp_pick = rng.random(n)
    touchpoint = np.empty(n, dtype=object)
    for s, name in enumerate(STAGES):
        sel = stage == s
        options = np.array(TOUCHPOINTS[name], dtype=object)
        touchpoint[sel] = options[(tp_pick[sel] * len(options)).astype(int)]

    # --- experience quality: the random draws first, then quality as a function of the days ---
    # (churners' days move into their tenure below, and their experience is recomputed on the new
    # days from the same draws, so that the outage week and the seasons stay where they belong)
    noise_q = rng.normal(0, 0.13, n)
    incident = rng.random(n) < 0.025
    incident_q = rng.uniform(0.0, 0.12, n)
    # service recovery: after their first incident, half of the customers get an excellent follow-up
    recovered_customer = rng.random(n_customers) < 0.5
    last_of_customer = rank == np.repeat(counts, counts) - 1
    boost_q = rng.uniform(0.85, 1.0, n)
    service = np.isin(channel, [CHANNELS.index(c) for c in SERVICE_CHANNELS])
    has_nps = rng.random(n) < 0.38
    has_csat = rng.random(n) < 0.7
    has_ces = service & (rng.random(n) < 0.55)
    has_ticket = service & (rng.random(n) < 0.85)
    # the last interaction always carries a score so that every journey has a known end
    has_csat |= last_of_customer
    noise_nps, noise_csat, noise_ces = rng.normal(0, 0.9, n), rng.normal(0, 0.5, n), rng.normal(0, 0.7, n)
    noise_frt, noise_ttr = rng.lognormal(0, 0.6, n), rng.lognormal(0, 0.7, n)
    fcr_draw = rng.random(n)
    revenue = np.where(stage == 2, np.round(rng.lognormal(4.0, 0.8, n), 2), np.nan)
    comment_draw, comment_pick = rng.random(n), rng.random(n)

    def experience(day):
        """Quality, scores and service times of every interaction, given the days they happen on."""
        dates = np.datetime64(START) + day.astype("timedelta64[D]")
        in_outage = (dates >= np.datetime64(OUTAGE_WEEK[0])) & (dates <= np.datetime64(OUTAGE_WEEK[1]))
        outage = in_outage & (channel == CHANNELS.index(OUTAGE_CHANNEL))
        season_dip = (_seasonal_weight(day) - 1.0) * -0.08
        q = propensity[cust] + _CHANNEL_QUALITY[channel] + season_dip + noise_q
        q = np.where(incident, incident_q, q)
        q = np.where(outage, q - 0.45, q)
        inc_rank = np.where(incident | outage, rank, np.iinfo(np.int64).max)
        first_inc = np.full(n_customers, np.iinfo(np.int64).max)
        np.minimum.at(first_inc, cust, inc_rank)
        boost = (rank == first_inc[cust] + 1) & recovered_customer[cust]  # the follow-up after the first incident
        q = np.clip(np.where(boost, boost_q, q), 0.0, 1.0)
        slow = np.exp((0.6 - q) * 1.2)
        return {
            "q": q,
            "nps": _quantize(q * 10.6 - 0.3 + noise_nps, 0, 10),
            "csat": _quantize(1 + 4.4 * q - 0.2 + noise_csat, 1, 5),
            "ces": _quantize(1 + 6.4 * q - 0.2 + noise_ces, 1, 7),
            "frt": _FRT_MEDIAN_MIN[channel] * noise_frt * slow * np.where(outage, 10.0, 1.0),
            "ttr": _TTR_MEDIAN_H[channel] * noise_ttr * slow,
            "fcr": fcr_draw < np.clip(0.35 + 0.55 * q - 0.25 * outage, 0.02, 0.98),
        }

    def journey_index(e):
        idx_sum = np.where(has_nps, e["nps"] * 10.0, 0) + np.where(has_csat, (e["csat"] - 1) * 25.0, 0)
        idx_sum += np.where(has_ces, (e["ces"] - 1) * 100.0 / 6.0, 0)
        idx_n = has_nps.astype(int) + has_csat + has_ces
        return np.where(idx_n > 0, idx_sum / np.maximum(idx_n, 1), np.nan)

    # --- churn from the journey: worst and end, hardly the mean ---
    index = journey_index(experience(day))
    valid = ~np.isnan(index)
    worst_tmp = np.full(n_customers, np.inf)
    np.minimum.at(worst_tmp, cust[valid], index[valid])
    worst = np.where(np.isinf(worst_tmp), np.nan, worst_tmp)
    end = np.full(n_customers, np.nan)
    end[cust[last_of_customer]] = index[last_of_customer]
    mean = np.bincount(cust[valid], index[valid], n_customers) / np.maximum(np.bincount(cust[valid], None, n_customers), 1)
    mean = np.where(np.bincount(cust[valid], None, n_customers) > 0, mean, np.nan)
    worst_f, end_f, mean_f = (np.nan_to_num(a, nan=60.0) for a in (worst, end, mean))
    logit = CHURN_INTERCEPT + 0.05 * (60 - worst_f) + 0.06 * (60 - end_f) + 0.002 * (60 - mean_f)
    logit -= 0.35 * (segment == 2)
    churned = rng.random(n_customers) < 1 / (1 + np.exp(-logit))

    # --- churners leave: their interactions fall before a leaving day spread over their tenure ---
    # (without this every journey would run to the last day of the data and every churn date would
    # pile up in its last weeks)
    start_day = np.maximum(signup_day, 0)
    leave_day = rng.integers(np.minimum(start_day + 30, span - 1), span)
    moved = churned[cust]
    todo = np.flatnonzero(moved)
    new_day = np.empty(todo.size, dtype=np.int64)
    pending = np.arange(todo.size)
    while pending.size:  # the same seasonal rejection sampling, inside [start, leaving day)
        rows = todo[pending]
        cand = rng.integers(start_day[cust[rows]], leave_day[cust[rows]])
        keep = rng.random(pending.size) < _seasonal_weight(cand) / wmax
        new_day[pending[keep]] = cand[keep]
        pending = pending[~keep]
    # keep each customer's order of interactions (their ranks, stages and channels): sorted new days
    # are handed out in rank order
    sorted_rows = np.lexsort((seconds[todo], new_day, cust[todo]))
    day[todo], seconds[todo] = new_day[sorted_rows], seconds[todo][sorted_rows]
    channel, has_ticket, has_ces = _social_care_launch(first_id, day, channel, has_ticket, has_ces)
    e = experience(day)
    nps, csat, ces, frt, ttr, fcr = (e[k] for k in ("nps", "csat", "ces", "frt", "ttr", "fcr"))

    band = np.where(e["q"] < 0.35, 0, np.where(e["q"] < 0.65, 1, 2))
    has_comment = comment_draw < np.where(band == 0, 0.6, 0.18)
    comment = np.full(n, None, dtype=object)
    for b, key in enumerate(("bad", "mid", "good")):
        sel = has_comment & (band == b)
        comment[sel] = _pick_comments(COMMENTS[key], comment_pick[sel])
    # the planted themes: further digits of the same pick choose, so no new draw shifts later data
    dates = np.datetime64(START) + day.astype("timedelta64[D]")
    in_outage = (dates >= np.datetime64(OUTAGE_WEEK[0])) & (dates <= np.datetime64(OUTAGE_WEEK[1]))
    planted = {"outage": in_outage & (channel == CHANNELS.index(OUTAGE_CHANNEL)),
               "slow_email": (channel == CHANNELS.index(SLOW_CHANNEL)) & ((comment_pick * 89) % 1 < 0.7)}
    for key, where in planted.items():
        sel = has_comment & (band < 2) & where
        comment[sel] = _pick_comments(PLANTED_COMMENTS[key], comment_pick[sel])

    last_day = np.full(n_customers, -1)
    np.maximum.at(last_day, cust, day)
    churn_day = np.maximum(last_day, start_day) + 1 + rng.exponential(25, n_customers).astype(int)
    churned &= churn_day < span
    base_ltv = np.array([180.0, 900.0, 6000.0])[segment] * rng.lognormal(0, 0.5, n_customers)
    spent = np.bincount(cust, np.nan_to_num(revenue), n_customers)
    ltv = np.round(base_ltv + spent, 2)

    def ts(day_arr, sec_arr=None):
        base = np.datetime64(START, "s") + day_arr.astype("timedelta64[D]")
        return base + (sec_arr.astype("timedelta64[s]") if sec_arr is not None else np.timedelta64(9 * 3600, "s"))

    side = _side_rng(rng, 17)  # agents, teams and survey offers (planted effects 6 and 7)
    agent, team = _staff(side, e["q"], day, has_ticket, has_nps & (nps == 10) & has_csat & (csat == 5))
    offered = _offered(side, has_nps | has_csat | has_ces, channel, segment[cust])

    ids = np.array([f"C{first_id + i:07d}" for i in range(n_customers)], dtype=object)
    interactions = pa.table(
        {
            "customer_id": pa.array(ids[cust], pa.string()),
            "occurred_at": pa.array(ts(day, seconds), pa.timestamp("us")),
            "seq": pa.array(rank + 1, pa.int32()),
            "channel": pa.array(np.array(CHANNELS, dtype=object)[channel], pa.string()),
            "journey_stage": pa.array(np.array(STAGES, dtype=object)[stage], pa.string()),
            "touchpoint": pa.array(touchpoint, pa.string()),
            "nps": pa.array(np.where(has_nps, nps, np.nan), pa.float64(), from_pandas=True).cast(pa.int16()),
            "csat": pa.array(np.where(has_csat, csat, np.nan), pa.float64(), from_pandas=True),
            "ces": pa.array(np.where(has_ces, ces, np.nan), pa.float64(), from_pandas=True),
            "first_response_minutes": pa.array(np.where(has_ticket, np.round(frt, 1), np.nan), pa.float64(), from_pandas=True),
            "resolution_hours": pa.array(np.where(has_ticket, np.round(ttr, 2), np.nan), pa.float64(), from_pandas=True),
            "resolved_first_contact": pa.array(np.where(has_ticket, fcr, None), pa.bool_()),
            "comment": pa.array(comment, pa.string()),
            "revenue": pa.array(revenue, pa.float64(), from_pandas=True),
            "agent": pa.array(agent, pa.string()),
            "team": pa.array(team, pa.string()),
            "survey_offered": pa.array(offered, pa.bool_()),
        }
    )
    customers = pa.table(
        {
            "customer_id": pa.array(ids, pa.string()),
            "segment": pa.array(np.array(SEGMENTS, dtype=object)[segment], pa.string()),
            "region": pa.array(np.array(REGIONS, dtype=object)[region], pa.string()),
            "signup_at": pa.array(ts(signup_day), pa.timestamp("us")),
            "churned": pa.array(churned, pa.bool_()),
            "churned_at": pa.array(np.where(churned, ts(churn_day), np.datetime64("NaT")), pa.timestamp("us")),
            "lifetime_value": pa.array(ltv, pa.float64()),
        }
    )
    return interactions, customers


def _social_care_launch(first_id: int, day: np.ndarray, channel: np.ndarray, has_ticket: np.ndarray,
                        has_ces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The planted mix shift: from SOCIAL_LAUNCH, SOCIAL_SHARE of web and app contacts go through social.

    Drawn from a generator of its own (seeded by the block), so every other draw — and so every
    other planted effect and who churns — stays exactly as it was; moved contacts become service
    contacts and get a ticket and an effort answer as often as other service contacts do.
    """
    rng = np.random.default_rng([first_id, 2026, 41])
    n = day.size
    launched = day >= (SOCIAL_LAUNCH - START).days
    moved = launched & np.isin(channel, [CHANNELS.index("web"), CHANNELS.index("app")]) & (rng.random(n) < SOCIAL_SHARE)
    ticket, effort = rng.random(n) < 0.85, rng.random(n) < 0.55
    return (np.where(moved, CHANNELS.index("social"), channel), has_ticket | (moved & ticket),
            has_ces | (moved & effort))


_DDL = """
CREATE TABLE interactions (
    customer_id VARCHAR NOT NULL, occurred_at TIMESTAMP, seq INTEGER, channel VARCHAR,
    journey_stage VARCHAR, touchpoint VARCHAR, nps SMALLINT, csat DOUBLE, ces DOUBLE,
    first_response_minutes DOUBLE, resolution_hours DOUBLE, resolved_first_contact BOOLEAN,
    comment VARCHAR, revenue DOUBLE,
    agent VARCHAR, team VARCHAR, survey_offered BOOLEAN
);
CREATE TABLE customers (
    customer_id VARCHAR PRIMARY KEY, segment VARCHAR, region VARCHAR, signup_at TIMESTAMP,
    churned BOOLEAN, churned_at TIMESTAMP, lifetime_value DOUBLE
);
"""


def generate(
    path: str | Path = DEFAULT_PATH,
    customers: int = 20_000,
    interactions: int = 320_000,
    seed: int = 7,
    progress: Callable[[float], None] | None = None,
) -> DemoStats:
    """Write the demo warehouse to ``path`` (replacing it atomically).

    Parameters
    ----------
    path : str or Path
        Target DuckDB file.
    customers, interactions : int
        Sizes; interactions are spread over customers in proportion to a gamma activity level.
    seed : int
        The same seed and sizes always give the same data.
    progress : callable, optional
        Called with the fraction done (0–1) after each block.

    Examples
    --------
    >>> stats = generate("/tmp/demo.duckdb", customers=1000, interactions=10000)  # doctest: +SKIP
    >>> stats.interactions
    10000
    """
    import time

    import duckdb

    if customers < 1 or interactions < 0:
        raise ValueError("the demo needs at least one customer and a non-negative number of interactions")
    started = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    n_blocks = -(-customers // BLOCK_CUSTOMERS)
    cust_sizes = np.full(n_blocks, customers // n_blocks)
    cust_sizes[: customers % n_blocks] += 1
    inter_sizes = np.full(n_blocks, interactions // n_blocks)
    inter_sizes[: interactions % n_blocks] += 1
    seeds = np.random.SeedSequence(seed).spawn(n_blocks)
    churned = 0
    raw = path.with_name(path.name + f".raw{os.getpid()}")
    raw.unlink(missing_ok=True)
    con = duckdb.connect(str(raw))
    try:
        con.execute(_DDL)
        first_id = 1
        for b in range(n_blocks):
            rng = np.random.default_rng(seeds[b])
            inter_tbl, cust_tbl = _block(rng, first_id, int(cust_sizes[b]), int(inter_sizes[b]))
            con.register("block_i", inter_tbl)
            con.register("block_c", cust_tbl)
            con.execute("INSERT INTO interactions SELECT * FROM block_i")
            con.execute("INSERT INTO customers SELECT * FROM block_c")
            con.unregister("block_i")
            con.unregister("block_c")
            churned += int(np.asarray(cust_tbl["churned"]).sum())
            first_id += int(cust_sizes[b])
            if progress:
                progress((b + 1) / n_blocks)
    finally:
        con.close()
    # Stored in time order: DuckDB keeps each row group's smallest and largest value, so a query of a
    # few weeks (every page's default) skips the row groups outside them (5× faster at 10 M rows).
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(_DDL)
        con.execute("ATTACH '" + str(raw).replace("'", "''") + "' AS raw (READ_ONLY)")
        con.execute("INSERT INTO interactions SELECT * FROM raw.interactions ORDER BY occurred_at, customer_id")
        con.execute("INSERT INTO customers SELECT * FROM raw.customers")
        con.execute("DETACH raw")
        con.execute("CHECKPOINT")
    finally:
        con.close()
        raw.unlink(missing_ok=True)
    os.replace(tmp, path)
    return DemoStats(path, customers, interactions, churned, time.perf_counter() - started)


def ensure_demo(path: str | Path = DEFAULT_PATH) -> Path:
    """Create the demo warehouse with default sizes if it is missing (safe across processes)."""
    path = Path(path)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            generate(path)
    return path
