"""The engine on the database: exact results, minimal writes, decisions kept, one transaction."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select

from mutualisation.matching import engine, snapshots, writers
from mutualisation.matching.breakdown import render
from mutualisation.matching.candidates import brute_force_top_k
from mutualisation.matching.models import Suggestion
from mutualisation.matching.scoring import ListingArrays, MatchingConfig
from tests.builders import make_neutral_listing as make_listing
from tests.builders import make_territory, make_user

CFG = MatchingConfig(top_k=3, min_score=0.2)


@pytest.fixture(autouse=True)
def _flushes_bump_the_categories(session_factory):
    """The app attaches the flush listener to its sessions; these tests attach it to theirs."""
    engine.attach_flush_listener(session_factory)


SUBS = {None: 0, "other": 0, "chipper": 1, "mower": 2, "trailer": 3}


def random_network(session, seed: int, n: int = 40):
    rng = random.Random(seed)
    owners = []
    for i in range(4):
        code = f"9{seed % 10}{i:03d}"
        make_territory(session, code, latitude=48 + rng.random(), longitude=2 + rng.random())
        owners.append(make_user(session, "technician", code))
    listings = []
    for i in range(2 * n):
        start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(200)) if rng.random() < 0.7 else None
        end = start + dt.timedelta(days=rng.randrange(1, 120)) if start and rng.random() < 0.7 else None
        listings.append(
            make_listing(
                session,
                rng.choice(owners),
                kind="offer" if i % 2 else "need",
                category=rng.choice(["equipment", "skill"]),
                subcategory=rng.choice(list(SUBS)),
                latitude=47.5 + 2 * rng.random(),
                longitude=1.5 + 2 * rng.random(),
                available_from=start,
                available_until=end,
                quantity=rng.choice([None, 1.0, 2.0, 5.0]),
                inexhaustible=rng.random() < 0.2,
                remote_possible=rng.random() < 0.2,
                max_distance_km=rng.choice([None, 30.0, 80.0, 200.0]),
            )
        )
    return listings


def expected_pairs(listings, cfg=CFG):
    def core(items):
        return ListingArrays.from_rows(
            [
                (
                    x.id,
                    x.kind,
                    x.category,
                    SUBS[x.subcategory],
                    x.owner_id,
                    x.territory_id,
                    x.latitude,
                    x.longitude,
                    x.available_from,
                    x.available_until,
                    x.quantity,
                    x.inexhaustible,
                    x.remote_possible,
                    x.max_distance_km,
                )
                for x in items
            ]
        )

    located = [x for x in listings if x.status == "published" and x.latitude is not None]
    offers, needs = (
        core([x for x in located if x.kind == "offer"]),
        core([x for x in located if x.kind == "need"]),
    )
    pairs = {}
    for kind in (1, 0):
        top = brute_force_top_k(offers, needs, cfg, query_kind=kind)
        for q, row in zip(top.query_ids.tolist(), range(len(top.query_ids)), strict=True):
            for rank, (other, score, km) in enumerate(top.row(row)):
                key = (other, q) if kind == 1 else (q, other)
                entry = pairs.setdefault(key, [round(score, 9), round(km, 6), None, None])
                entry[3 if kind == 1 else 2] = rank
    return pairs


def random_change(listing, rng: random.Random, widen: dict) -> str:
    """Move, withdraw or widen (set `widen`'s fields on) the listing; the change's name."""
    change = rng.choice(["move", "withdraw", "widen"])
    if change == "move":
        listing.latitude, listing.longitude = 47.5 + 2 * rng.random(), 1.5 + 2 * rng.random()
    elif change == "withdraw":
        listing.status = "withdrawn"
    else:
        for name, value in widen.items():
            setattr(listing, name, value)
    return change


def change_together(listings, rng: random.Random, n: int):
    """`random_change` on n listings of one category (chosen at random): (category, those listings)."""
    category = rng.choice(sorted({x.category for x in listings}))
    batch = rng.sample([x for x in listings if x.category == category], n)
    for listing in batch:
        random_change(listing, rng, widen=dict(max_distance_km=500.0, remote_possible=True))
    return category, batch


# What `expected_pairs` compares of a stored suggestion, in its order.
PAIR_COLUMNS = (
    Suggestion.offer_id,
    Suggestion.need_id,
    Suggestion.score,
    Suggestion.distance_km,
    Suggestion.offer_rank,
    Suggestion.need_rank,
)


def stored_pairs(session, offer_ids=None):
    """Ranked stored pairs as `expected_pairs` gives them; only those of `offer_ids` when given
    (committed tests share the database with what other tests left)."""
    stmt = select(*PAIR_COLUMNS)
    if offer_ids is not None:
        stmt = stmt.where(Suggestion.offer_id.in_(offer_ids))
    rows = session.execute(stmt).all()
    return {
        (o, n): [round(s, 9), round(d, 6), orank, nrank]
        for o, n, s, d, orank, nrank in rows
        if orank is not None or nrank is not None
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_full_recompute_equals_brute_force_on_the_database(session, seed):
    listings = random_network(session, seed)
    counts = engine.full_recompute(session, CFG, coop=[])
    expected = expected_pairs(listings)
    assert stored_pairs(session) == expected
    assert counts.inserted == len(expected) > 0


def test_second_recompute_writes_nothing_and_keeps_ids(session):
    random_network(session, 4)
    engine.full_recompute(session, CFG, coop=[])
    before = dict(session.execute(select(Suggestion.id, Suggestion.status)).all())
    counts = engine.full_recompute(session, CFG, coop=[])
    assert (counts.inserted, counts.updated, counts.deleted) == (0, 0, 0)
    assert counts.unchanged == len(before)
    assert dict(session.execute(select(Suggestion.id, Suggestion.status)).all()) == before


@pytest.mark.parametrize("seed", [5, 6])
def test_incremental_update_equals_a_full_recompute(session, seed):
    listings = random_network(session, seed)
    engine.full_recompute(session, CFG, coop=[])
    rng = random.Random(seed)
    for listing in rng.sample(listings, 6):
        change = random_change(listing, rng, widen=dict(max_distance_km=500.0, subcategory=None))
        session.flush()
        engine.update_for_listing(session, listing.id, CFG, coop=[])
        assert stored_pairs(session) == expected_pairs(listings), change
    counts = engine.full_recompute(session, CFG, coop=[])
    assert (counts.inserted, counts.updated, counts.deleted) == (0, 0, 0)


def test_newly_published_listing_is_matched_incrementally(session):
    listings = random_network(session, 7)
    engine.full_recompute(session, CFG, coop=[])
    owner = make_user(session, "technician", "76402")
    new = make_listing(session, owner, kind="need", category="equipment", latitude=48.5, longitude=2.5)
    engine.update_for_listing(session, new.id, CFG, coop=[])
    assert stored_pairs(session) == expected_pairs([*listings, new])


def test_dismissed_suggestion_stays_dismissed_unless_a_listing_changes_materially(session):
    a, b = make_user(session, "technician", "62528"), make_user(session, "technician", "59271")
    offer = make_listing(session, a, kind="offer", subcategory="chipper")
    need = make_listing(session, b, kind="need", subcategory="chipper")
    engine.full_recompute(session, CFG, coop=[])
    suggestion = session.scalars(select(Suggestion)).one()
    suggestion.status, suggestion.dismiss_reason = "dismissed", "too_far"
    session.flush()
    engine.full_recompute(session, CFG, coop=[])
    session.refresh(suggestion)
    assert suggestion.status == "dismissed"
    offer.title = "A new title is not a material change"
    session.flush()
    engine.update_for_listing(session, offer.id, CFG, coop=[])
    session.refresh(suggestion)
    assert suggestion.status == "dismissed"
    need.quantity = 1.0
    session.flush()
    engine.full_recompute(session, CFG, coop=[])
    session.refresh(suggestion)
    assert (suggestion.status, suggestion.dismiss_reason) == ("active", None)


def test_a_failure_halfway_leaves_the_previous_suggestions(session):
    listings = random_network(session, 8)
    engine.full_recompute(session, CFG, coop=[])
    before = stored_pairs(session)
    for listing in listings[:10]:
        listing.status = "withdrawn"
    session.flush()

    def boom():
        assert session.execute(select(Suggestion.id)).first() is not None or True
        raise RuntimeError("injected failure after the deletes")

    with pytest.raises(RuntimeError, match="injected"):
        engine.full_recompute(session, CFG, coop=[], after_deletes=boom)
    assert stored_pairs(session) == before


def test_listing_without_coordinates_or_counterpart_gets_no_suggestion(session):
    a, b = make_user(session, "technician", "62528"), make_user(session, "technician", "59271")
    lonely = make_listing(session, a, kind="offer", category="know_how")
    need = make_listing(session, b, kind="need", latitude=None, longitude=None)
    make_listing(session, a, kind="offer")
    counts = engine.full_recompute(session, CFG, coop=[])
    assert counts.inserted == 0
    assert engine.update_for_listing(session, need.id, CFG, coop=[]).inserted == 0
    assert engine.update_for_listing(session, lonely.id, CFG, coop=[]).inserted == 0
    assert session.execute(select(Suggestion.id)).first() is None


def test_cooperation_source_is_empty_without_an_agreements_table(session):
    assert engine.cooperations(session) == []


def test_both_owners_are_notified_of_new_suggestions_only(session):
    from mutualisation.notifications.models import Notification

    a, b = make_user(session, "technician", "62528"), make_user(session, "technician", "59271")
    make_listing(session, a, kind="offer", subcategory="chipper", max_distance_km=300.0)
    make_listing(session, b, kind="need", subcategory="chipper", max_distance_km=300.0)
    engine.full_recompute(session, MatchingConfig(notify_score=0.3), coop=[])
    kinds = session.execute(select(Notification.recipient_id, Notification.kind)).all()
    assert sorted(kinds) == sorted([(a.id, engine.NOTIFY_KIND), (b.id, engine.NOTIFY_KIND)])
    engine.full_recompute(session, MatchingConfig(notify_score=0.3), coop=[])
    assert len(session.execute(select(Notification.id)).all()) == 2


def test_an_inactive_owner_is_not_notified(session):
    from mutualisation.notifications.models import Notification

    a, b = (
        make_user(session, "technician", "62528"),
        make_user(session, "technician", "59271", is_active=False),
    )
    make_listing(session, a, kind="offer", subcategory="chipper", max_distance_km=300.0)
    make_listing(session, b, kind="need", subcategory="chipper", max_distance_km=300.0)
    counts = engine.full_recompute(session, MatchingConfig(notify_score=0.3), coop=[])
    assert counts.inserted == 1  # the pair is suggested all the same
    assert session.execute(select(Notification.recipient_id)).scalars().all() == [a.id]


def test_past_cooperation_adds_a_bonus_to_the_breakdown(session):
    a, b = make_user(session, "technician", "62528"), make_user(session, "technician", "59271")
    make_listing(session, a, kind="offer", subcategory="chipper", max_distance_km=300.0)
    make_listing(session, b, kind="need", subcategory="chipper", max_distance_km=300.0)
    engine.full_recompute(session, CFG, coop=[(a.territory_id, b.territory_id)])
    breakdown, km = session.execute(select(Suggestion.breakdown, Suggestion.distance_km)).one()
    assert "cooperation" in {part["criterion"] for part in render(breakdown, km)}


def test_nightly_job_recomputes_and_returns_counts(session):
    from mutualisation.matching import jobs

    random_network(session, 9, n=10)
    job = next(j for j in jobs.JOBS if j.name == "matching.full_recompute")
    assert job.trigger == ("cron", {"hour": 2})
    counts = jobs.full_recompute(session, dt.datetime(2026, 11, 27, 2, tzinfo=dt.UTC), {"top_k": 3})
    assert counts["inserted"] > 0 and set(counts["timings"]) >= {"load", "match", "write"}
    again = jobs.full_recompute(session, dt.datetime(2026, 11, 28, 2, tzinfo=dt.UTC), {"top_k": 3})
    assert (again["inserted"], again["updated"], again["deleted"]) == (0, 0, 0)


def test_the_scheduler_runs_the_nightly_recompute_and_records_it(app, session):
    from mutualisation.scheduler import collect_jobs, run_job
    from mutualisation.scheduling.models import JobRun

    random_network(session, 3, n=6)
    job = next(j for j in collect_jobs() if j.name == "matching.full_recompute")
    run_id = run_job(app, job)
    run = session.get(JobRun, run_id)
    assert run.outcome == "ok", run.error
    assert run.counts["inserted"] > 0


@pytest.mark.parametrize("copy_from_rows", [0, 10**9])
def test_bulk_writes_by_copy_or_executemany_give_the_same_suggestions(session, monkeypatch, copy_from_rows):
    # 0: every write goes through COPY and temporary tables on PostgreSQL (executemany on SQLite).
    monkeypatch.setattr(writers, "COPY_FROM_ROWS", copy_from_rows)
    listings = random_network(session, 10)
    counts = engine.full_recompute(session, CFG, coop=[])
    assert stored_pairs(session) == expected_pairs(listings) and counts.inserted > 0
    dismissed = session.scalars(select(Suggestion).order_by(Suggestion.id)).first()
    dismissed.status, dismissed.dismiss_reason, dismissed.dismiss_text = "dismissed", "other", "no"
    session.flush()
    offer = session.get(type(listings[0]), dismissed.offer_id)
    offer.max_distance_km, offer.subcategory = 500.0, None
    for listing in listings[:8]:
        if listing.id != offer.id:
            listing.status = "withdrawn"
    session.flush()
    counts = engine.full_recompute(session, CFG, coop=[])
    assert counts.deleted > 0 and counts.updated > 0
    assert stored_pairs(session) == expected_pairs(listings)
    session.expire_all()
    rows = session.scalars(select(Suggestion)).all()
    assert all(render(s.breakdown, s.distance_km) for s in rows)
    lifted = session.get(Suggestion, dismissed.id)
    if lifted is not None:
        assert (lifted.status, lifted.dismiss_reason, lifted.dismiss_text) == ("active", None, None)
    again = engine.full_recompute(session, CFG, coop=[])
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)


def _snapshot(session, category):
    return snapshots.SNAPSHOTS[(str(session.connection().engine.url), category)]


def test_incremental_updates_patch_the_category_snapshot_in_place(session):
    listings = random_network(session, 11)
    engine.full_recompute(session, CFG, coop=[])
    a = next(x for x in listings if x.category == "equipment")
    engine.update_for_listing(session, a.id, CFG, coop=[])
    snapshot = _snapshot(session, "equipment")
    a.max_distance_km = 20.0
    session.flush()
    engine.update_for_listing(session, a.id, CFG, coop=[])
    assert _snapshot(session, "equipment") is snapshot
    side = snapshot.sides[a.kind]
    assert side.arrays.max_distance_km[side.pos[a.id]] == 20.0
    assert stored_pairs(session) == expected_pairs(listings)
    a.status = "withdrawn"
    session.flush()
    engine.update_for_listing(session, a.id, CFG, coop=[])
    assert a.id not in _snapshot(session, "equipment").sides[a.kind].pos
    assert stored_pairs(session) == expected_pairs(listings)


def test_a_listing_changed_by_another_worker_is_caught_up_by_the_next_update(session):
    listings = random_network(session, 12)
    engine.full_recompute(session, CFG, coop=[])
    a, b = [x for x in listings if x.category == "equipment"][:2]
    engine.update_for_listing(session, a.id, CFG, coop=[])
    before = _snapshot(session, "equipment")
    b.latitude = 49.25  # flushed by another worker: its category's version moves
    session.flush()
    a.max_distance_km = 500.0
    session.flush()
    engine.update_for_listing(session, a.id, CFG, coop=[])
    after = _snapshot(session, "equipment")
    assert after is before  # b was re-read from the log of changes, the category not reloaded
    assert after.sides[b.kind].arrays.lat[after.sides[b.kind].pos[b.id]] == 49.25


@pytest.mark.parametrize("seed", [31, 32])
def test_a_listing_that_changes_category_leaves_its_old_counterparts_lists(session, seed):
    listings = random_network(session, seed)
    engine.full_recompute(session, CFG, coop=[])
    held = session.execute(
        select(Suggestion.offer_id, Suggestion.need_id).where(
            Suggestion.offer_rank.is_not(None), Suggestion.need_rank.is_not(None)
        )
    ).all()
    assert held  # listings ranked by their counterparts exist
    rng = random.Random(seed)
    for offer_id, _need_id in rng.sample(held, min(3, len(held))):
        listing = next(x for x in listings if x.id == offer_id)
        others = sorted({x.category for x in listings} - {listing.category})
        listing.category, listing.subcategory = rng.choice(others), None
        session.flush()
        engine.update_for_listing(session, listing.id, CFG, coop=[])
        # Its old counterparts got their next-best in its place, as a full recompute gives them.
        assert stored_pairs(session) == expected_pairs(listings)
    counts = engine.full_recompute(session, CFG, coop=[])
    assert (counts.inserted, counts.updated, counts.deleted) == (0, 0, 0)
