"""Journey stages per customer over time: one lifecycle stage and one purchase status at any moment.

Lifecycle stages follow the order visitor -> engaged -> first_purchase -> repeat -> loyal -> advocate;
a stage is entered at its milestone, never before the stage below it (a customer who skips one,
such as buying without an engagement event, simply has no stay there). Each stay ends when the
next lifecycle stage is entered.

The status comes from purchases: prospect before the first purchase, then active; after a purchase,
a customer who has not bought again for `at_risk_days` is at risk, and after `lapsed_days` lapsed,
until the next purchase (a win-back) or for good.

`partition` writes both as one set of rows that partition each customer's time (journey_stages):
a row per stretch with one stage and one status, so at any moment exactly one row holds the
customer and exactly one row is open. `stays_of` reads the stays back from those rows (a stay in
a stage spans its rows; an at-risk or lapsed stay is a run of rows with that status), and the moves
and rates are counted on those stays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from centric.schema import JOURNEY_STATUSES, LIFECYCLE_STAGES

LIFECYCLE = LIFECYCLE_STAGES
STATUS = ("at_risk", "lapsed")
ROW_COLUMNS = ["customer_id", "stage", "entered_at", "left_at", "status"]
_RANK = {stage: i for i, stage in enumerate(LIFECYCLE)}
_BUYER_RANK = _RANK["first_purchase"]


def lifecycle_stays(milestones: pd.DataFrame) -> pd.DataFrame:
    """milestones: customer_id and {stage}_at per lifecycle stage. Long table of stays."""
    frames = []
    floor = pd.Series(pd.NaT, index=milestones.index, dtype="datetime64[ns]")
    entered = {}
    for stage in LIFECYCLE:
        at = pd.to_datetime(milestones[f"{stage}_at"]).astype("datetime64[ns]")
        at = at.where(at.isna() | floor.isna() | (at >= floor), floor)
        entered[stage] = at
        floor = floor.where(at.isna(), at)
    for i, stage in enumerate(LIFECYCLE):
        later = [entered[s] for s in LIFECYCLE[i + 1:]]
        left = pd.concat(later, axis=1).min(axis=1) if later else pd.Series(pd.NaT, index=milestones.index)
        has = entered[stage].notna()
        frames.append(pd.DataFrame({"customer_id": milestones["customer_id"][has].to_numpy(), "stage": stage,
                                    "entered_at": entered[stage][has].to_numpy(),
                                    "left_at": left[has].astype("datetime64[ns]").to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def status_stays(silences: pd.DataFrame, at_risk_days: int, lapsed_days: int, observed_until) -> pd.DataFrame:
    """silences: customer_id, after (purchase), until (next purchase or NaT). At-risk and lapsed stays."""
    end = pd.Timestamp(observed_until)
    after = pd.to_datetime(silences["after"])
    until = pd.to_datetime(silences["until"])
    at_risk_from = after + pd.Timedelta(days=at_risk_days)
    lapsed_from = after + pd.Timedelta(days=lapsed_days)
    reaches_lapse = lapsed_from < until.fillna(end + pd.Timedelta(seconds=1))
    risk = pd.DataFrame({"customer_id": silences["customer_id"].to_numpy(), "stage": "at_risk",
                         "entered_at": at_risk_from.to_numpy(),
                         "left_at": np.where(reaches_lapse, lapsed_from, until).astype("datetime64[ns]")})
    lapsed = pd.DataFrame({"customer_id": silences["customer_id"][reaches_lapse].to_numpy(), "stage": "lapsed",
                           "entered_at": lapsed_from[reaches_lapse].to_numpy(),
                           "left_at": until[reaches_lapse].astype("datetime64[ns]").to_numpy()})
    return pd.concat([risk, lapsed], ignore_index=True)


def _asof(points: pd.DataFrame, table: pd.DataFrame, on: str, value: str, exact: bool = True) -> np.ndarray:
    """For each (customer_id, at) point, `value` of the table's last row with `on` <= at (< at when not
    exact; NaN when none)."""
    if table.empty or points.empty:
        return np.full(len(points), np.nan, dtype=object)
    left = points[["customer_id", "at"]].reset_index().sort_values("at", kind="stable")
    right = table[["customer_id", on, value]].rename(columns={on: "at"}).sort_values("at", kind="stable")
    found = pd.merge_asof(left, right, on="at", by="customer_id", direction="backward", allow_exact_matches=exact)
    return found.set_index("index")[value].reindex(points.index).to_numpy(dtype=object)


def partition(life: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """Rows that partition each customer's time from their first lifecycle stage on.

    life: lifecycle_stays(...); status: status_stays(...) (customer_id, stage at_risk or lapsed,
    entered_at, left_at). Columns: customer_id, stage (lifecycle), entered_at, left_at, status.
    A new row starts whenever the stage or the status changes; the status is prospect before the
    first purchase stage reached, active after it, at_risk or lapsed inside a status stay. A stage
    passed through in an instant (entered and left at the same time) keeps a row with
    left_at = entered_at and the status held up to that instant, so its moves are still counted;
    such a row holds no instant."""
    life = life[ROW_COLUMNS[:4]].copy()
    ids = pd.Index(pd.unique(np.concatenate([life["customer_id"].to_numpy(object), status["customer_id"].to_numpy(object)])))
    life["customer_id"] = ids.get_indexer(life["customer_id"].to_numpy(object))  # integer keys: sorts and joins are fast
    status = status.assign(customer_id=ids.get_indexer(status["customer_id"].to_numpy(object)))
    life["entered_at"] = pd.to_datetime(life["entered_at"]).astype("datetime64[ns]")
    life["left_at"] = pd.to_datetime(life["left_at"]).astype("datetime64[ns]")
    if life.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c.endswith("_at") else object)
                             for c in ROW_COLUMNS})
    life["rank"] = life["stage"].map(_RANK)
    # status changes: active from the first purchase stage and after each status stay; a stay's
    # start wins over an "active" at the same instant (at risk -> lapsed)
    buyer = life[life["rank"] >= _BUYER_RANK].groupby("customer_id", sort=False)["entered_at"].min()
    status = status[["customer_id", "stage", "entered_at", "left_at"]]
    silent_from = status.groupby("customer_id", sort=False)["entered_at"].min()
    silent_from = pd.to_datetime(silent_from.reindex(buyer.index)).astype("datetime64[ns]")
    buyer = buyer[~(silent_from <= buyer)]  # only a prospect becomes active by buying
    changes = pd.concat([
        pd.DataFrame({"customer_id": buyer.index, "at": buyer.to_numpy(), "status": "active", "prio": 0}),
        pd.DataFrame({"customer_id": status["customer_id"].to_numpy(), "at": status["entered_at"].to_numpy(),
                      "status": status["stage"].to_numpy(), "prio": 1}),
        pd.DataFrame({"customer_id": status["customer_id"].to_numpy(), "at": status["left_at"].to_numpy(),
                      "status": "active", "prio": 0}).dropna(subset=["at"]),
    ], ignore_index=True)
    changes["at"] = pd.to_datetime(changes["at"]).astype("datetime64[ns]")
    changes = (changes.sort_values(["customer_id", "at", "prio"], kind="stable")
               .drop_duplicates(["customer_id", "at"], keep="last"))
    start = life.groupby("customer_id", sort=False)["entered_at"].min()
    later = changes[changes["at"] > changes["customer_id"].map(start)]  # earlier ones set the status at the start
    held = life[life["left_at"].isna() | (life["left_at"] > life["entered_at"])]
    instant = life.drop(held.index)
    points = pd.concat([held[["customer_id", "entered_at"]].rename(columns={"entered_at": "at"}),
                        later[["customer_id", "at"]]], ignore_index=True)
    points = points.drop_duplicates().reset_index(drop=True)
    points["stage"] = _asof(points, held, "entered_at", "stage")
    points["status"] = _asof(points, changes, "at", "status")
    points = points.dropna(subset=["stage"])  # a status change before the customer's first stage
    points = points.sort_values(["customer_id", "at"], kind="stable").reset_index(drop=True)
    # a change that changes nothing (a status already held) joins the row before it
    same = (points["customer_id"].eq(points["customer_id"].shift()) & points["stage"].eq(points["stage"].shift())
            & points["status"].fillna("").eq(points["status"].shift().fillna("")))
    points = points[~same.to_numpy()].reset_index(drop=True)
    nxt = points["at"].shift(-1)
    points["left_at"] = nxt.where(points["customer_id"].eq(points["customer_id"].shift(-1)))
    rows = points.rename(columns={"at": "entered_at"})
    rows["rank"] = rows["stage"].map(_RANK)
    instant = instant.assign(status=_asof(instant.rename(columns={"entered_at": "at"}), changes, "at", "status",
                                          exact=False))
    rows = pd.concat([rows, instant], ignore_index=True)
    rows["status"] = rows["status"].fillna("prospect")
    rows = rows.sort_values(["customer_id", "entered_at", "rank"], kind="stable").reset_index(drop=True)
    rows["left_at"] = rows["left_at"].astype("datetime64[ns]")
    rows["customer_id"] = ids.take(rows["customer_id"].to_numpy()).to_numpy()
    return rows[ROW_COLUMNS]


def _ranks(stage: pd.Series) -> pd.Series:
    """stage.map(_RANK), mapping each distinct stage once."""
    codes, names = pd.factorize(stage)
    if (codes < 0).any():
        return stage.map(_RANK)
    return pd.Series(pd.Series(names).map(_RANK).to_numpy()[codes], index=stage.index)


def _order(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The positions that sort `frame` on `columns` as sort_values(columns, kind="stable") does: numpy's
    lexsort (stable) on the columns' values when none is missing and all are numbers or times."""
    keys = []
    for c in columns:
        values = frame[c].to_numpy()
        if values.dtype.kind not in "iumM" or (values.dtype.kind == "M" and np.isnat(values).any()):
            return frame.reset_index(drop=True).sort_values(columns, kind="stable").index.to_numpy()
        keys.append(values.view("int64") if values.dtype.kind == "M" else values)
    return np.lexsort(keys[::-1]) if keys else np.arange(len(frame))


def stays_of(rows: pd.DataFrame) -> pd.DataFrame:
    """The stays that the rows of `partition` hold: one per lifecycle stage entered (its first row's
    start to its last row's end), and one per run of consecutive rows at_risk or lapsed. Columns:
    customer_id, stage, entered_at, left_at (NaT while still in it)."""
    codes, ids = pd.factorize(rows["customer_id"].to_numpy(object))
    rows = rows.assign(rank=_ranks(rows["stage"]), customer_id=codes)
    rows = rows.take(_order(rows, ["customer_id", "entered_at", "rank"])).reset_index(drop=True)
    open_end = rows["left_at"].isna()
    life = (rows.assign(_open=open_end).groupby(["customer_id", "stage"], sort=False)
            .agg(entered_at=("entered_at", "min"), left_at=("left_at", "max"), _open=("_open", "any"), rank=("rank", "first"))
            .reset_index())
    life.loc[life["_open"], "left_at"] = pd.NaT
    new_run = ~(rows["customer_id"].eq(rows["customer_id"].shift()) & rows["status"].eq(rows["status"].shift()))
    runs = rows.assign(run=new_run.cumsum())
    runs = runs[runs["status"].isin(STATUS)]
    first = runs.drop_duplicates("run", keep="first").set_index("run")
    last = runs.drop_duplicates("run", keep="last").set_index("run")
    status = pd.DataFrame({"customer_id": first["customer_id"], "stage": first["status"],
                           "entered_at": first["entered_at"], "left_at": last["left_at"]})
    columns = ["customer_id", "stage", "entered_at", "left_at"]
    life = life.take(_order(life, ["customer_id", "entered_at", "rank"]))[columns]
    out = pd.concat([life, status[columns]], ignore_index=True)
    out["left_at"] = out["left_at"].astype("datetime64[ns]")
    out["customer_id"] = ids.take(out["customer_id"].to_numpy())
    return out


def stay_moves(stays: pd.DataFrame) -> pd.DataFrame:
    """One row per move out of a stay: customer_id, from_stage, to_stage, entered_at (the stay's
    start) and moved_at. Lifecycle stays move to the next lifecycle stage the customer entered;
    an at-risk stay ends in lapsed or won_back, a lapsed one in won_back (a purchase)."""
    columns = ["customer_id", "from_stage", "to_stage", "entered_at", "moved_at"]
    life = stays[stays["stage"].isin(LIFECYCLE)].sort_values(["customer_id", "entered_at"], kind="stable")
    by_customer = life.groupby("customer_id")
    life = life.assign(to_stage=by_customer["stage"].shift(-1), moved_at=by_customer["entered_at"].shift(-1))
    parts = [life.dropna(subset=["to_stage"]).rename(columns={"stage": "from_stage"})[columns]]
    status = stays[stays["stage"].isin(STATUS)]
    ended = status.dropna(subset=["left_at"]).rename(columns={"stage": "from_stage", "left_at": "moved_at"})
    lapsed = status[status["stage"] == "lapsed"][["customer_id", "entered_at"]].rename(columns={"entered_at": "moved_at"})
    lapsed = lapsed.assign(_lapsed=True)
    ended = ended.merge(lapsed, on=["customer_id", "moved_at"], how="left")
    to_lapsed = (ended["from_stage"] == "at_risk") & ended["_lapsed"].eq(True)
    parts.append(ended.assign(to_stage=np.where(to_lapsed, "lapsed", "won_back"))[columns])
    return pd.concat(parts, ignore_index=True)


def transitions(stays: pd.DataFrame, moves: pd.DataFrame | None = None) -> pd.DataFrame:
    """Stage-to-stage moves: from each lifecycle stay to the next, and from at risk or lapsed on.

    moves: stay_moves(stays), when the caller has it already.
    Columns: from_stage, to_stage, customers (moves made), share (of the stays in from_stage), median_days."""
    moves = stay_moves(stays) if moves is None else moves
    entered = stays.groupby("stage").size()  # stays: a customer can be at risk more than once
    days = (moves["moved_at"] - moves["entered_at"]).dt.total_seconds() / 86400
    out = (moves.assign(days=days).groupby(["from_stage", "to_stage"], sort=True)
           .agg(customers=("days", "size"), median_days=("days", "median")).reset_index())
    out["share"] = out["customers"] / out["from_stage"].map(entered).astype(float)
    return out[["from_stage", "to_stage", "customers", "share", "median_days"]]


def _month(at: pd.Series) -> np.ndarray:
    """Months since year 0 (NaT -> -1): whole-month arithmetic without period objects."""
    return np.where(at.isna(), -1, at.dt.year.fillna(0) * 12 + at.dt.month.fillna(1) - 1).astype(int)


def monthly_rates(stays: pd.DataFrame, moves: pd.DataFrame, observed_until) -> pd.DataFrame:
    """Transition rates over time: per calendar month and move, the stays in the from-stage at
    any time in the month (in_stage), the moves made in it (moved) and their share (rate).

    Every month from a move's first stay to the end of observation appears, with 0 when no one moved."""
    end = pd.Timestamp(observed_until)
    last = end.year * 12 + end.month - 1
    rows = []
    # the months of every stay and move once (not once per move out of a stage), the moves' positions per pair
    codes, names = pd.factorize(stays["stage"])
    code = {name: i for i, name in enumerate(names)}
    stay_in, stay_out = _month(stays["entered_at"]), _month(stays["left_at"])
    move_month = _month(moves["moved_at"])
    pairs = moves.groupby(["from_stage", "to_stage"], sort=True).indices if len(moves) else {}
    held_by = {a: codes == code.get(a, -2) for a, _ in pairs}
    firsts = {a: int(stay_in[held].min()) for a, held in held_by.items()}
    months = None
    if firsts:
        start = min(firsts.values())
        span = np.arange(start, last + 1)
        months = pd.to_datetime({"year": span // 12, "month": span % 12 + 1, "day": 1})
    for (a, b), at in pairs.items():
        held = held_by[a]
        entered = stay_in[held]
        first = firsts[a]
        left = stay_out[held]
        stop = np.where(left < 0, last, np.minimum(left, last)) - first
        change = np.zeros(last - first + 2, int)
        np.add.at(change, entered - first, 1)
        np.add.at(change, stop + 1, -1)
        moved_at = move_month[at] - first
        in_stage = np.cumsum(change)[:-1]
        keep = in_stage > 0
        rows.append(pd.DataFrame({
            "month": months.iloc[first - start:].to_numpy()[keep],
            "from_stage": a, "to_stage": b, "in_stage": in_stage[keep],
            "moved": np.bincount(moved_at[moved_at <= last - first], minlength=last - first + 1)[keep]}))
    columns = ["month", "from_stage", "to_stage", "in_stage", "moved", "rate"]
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.concat(rows, ignore_index=True)
    out["rate"] = out["moved"] / out["in_stage"]
    return out[columns]
