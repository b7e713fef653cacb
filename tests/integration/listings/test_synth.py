"""Synthetic networks (`demo synth`, the matching benchmark): one inactive owner per commune used,
so that listings of different communes pair as in a real network."""

from __future__ import annotations

import inspect

from sqlalchemy import delete, func, select

from mutualisation import cli
from mutualisation.accounts.models import User
from mutualisation.accounts.passwords import verify_password
from mutualisation.listings import synth
from mutualisation.listings.models import Listing
from mutualisation.matching import engine
from mutualisation.matching.config import MatchingConfig
from mutualisation.matching.models import Suggestion
from mutualisation.territories.models import Territory
from tests.builders import make_territory
from tests.integration.test_bench_matching import load_bench

# Six communes a few kilometres apart, so that their listings lie within each other's radius.
COMMUNES = [(f"99{i:03d}", 47.0 + 0.02 * i, 2.0 + 0.03 * i) for i in range(6)]


def network(session, offers: int = 150, needs: int = 150, seed: int = 3) -> None:
    for code, lat, lon in COMMUNES:
        make_territory(session, code, latitude=lat, longitude=lon, population=1000)
    synth.synthesise(session, offers, needs, seed=seed)


def synthetic_listings(session):
    owner = select(User.id).where(User.email.like(f"%@{synth.SYNTH_EMAIL_DOMAIN}"))
    return session.execute(
        select(Listing.territory_id, Listing.owner_id).where(Listing.owner_id.in_(owner))
    ).all()


def test_each_commune_used_gets_its_own_inactive_technician(session):
    network(session)
    rows = synthetic_listings(session)
    assert len(rows) == 300
    communes = {t for t, _o in rows}
    assert len(communes) > 1
    owners = {o: session.get(User, o) for _t, o in rows}
    assert len(owners) == len(communes)  # one owner per commune used
    for territory_id, owner_id in rows:
        assert owners[owner_id].territory_id == territory_id
    for user in owners.values():
        assert user.role == "technician" and user.is_active is False
        assert user.email.endswith(".invalid")  # a reserved domain: no mail is ever delivered
        assert not verify_password(user.password_hash, synth.UNUSABLE_PASSWORD)
        assert not verify_password(user.password_hash, "")


def test_a_second_synthesis_reuses_the_owners(session):
    network(session, 60, 60, seed=1)
    before = session.scalar(select(func.count()).select_from(User))
    network(session, 60, 60, seed=1)
    owners = {o for _t, o in synthetic_listings(session)}
    assert session.scalar(select(func.count()).select_from(User)) == before
    assert len(owners) <= len(COMMUNES)


def test_synthetic_listings_of_different_communes_pair(session):
    network(session)
    counts = engine.full_recompute(session, MatchingConfig(), coop=[])
    assert counts.inserted > 0
    offer, need = Listing.__table__.alias("o"), Listing.__table__.alias("n")
    pairs = session.execute(
        select(offer.c.territory_id, need.c.territory_id, offer.c.owner_id, need.c.owner_id)
        .select_from(Suggestion)
        .join(offer, offer.c.id == Suggestion.offer_id)
        .join(need, need.c.id == Suggestion.need_id)
    ).all()
    assert len(pairs) == counts.inserted
    assert all(o_owner != n_owner for _ot, _nt, o_owner, n_owner in pairs)
    assert any(o_terr != n_terr for o_terr, n_terr, _oo, _no in pairs)


def _drawn(session) -> list[tuple[object, ...]]:
    """What a seed decides of each synthetic listing, in the order drawn (ids differ per run)."""
    columns = (Listing.kind, Listing.territory_id, Listing.subcategory, Listing.status, Listing.latitude)
    return [tuple(r) for r in session.execute(select(*columns).order_by(Listing.id)).all()]


def test_a_seed_draws_the_same_network_whatever_order_the_database_keeps_the_communes_in(session):
    """On PostgreSQL an update moves a row in the table, so an unordered read returns the communes
    in another order (SQLite keeps them in id order): draws pick communes by position, so the
    pool is read in id order, or the bench would compare two different networks."""
    network(session, 80, 80, seed=5)
    first = _drawn(session)
    session.execute(delete(Listing))
    for territory in sorted(session.scalars(select(Territory)), key=lambda t: -t.id):
        territory.population += 1  # each row rewritten, the last id first
        session.flush()
    session.expire_all()
    synth.synthesise(session, 80, 80, seed=5)
    assert _drawn(session) == first


def test_a_synthetic_owner_cannot_get_a_token(client, session):
    network(session, 10, 10)
    user = session.scalars(select(User).where(User.email.like(f"%@{synth.SYNTH_EMAIL_DOMAIN}"))).first()
    for password in (synth.UNUSABLE_PASSWORD, ""):
        response = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": password})
        assert response.status_code in (401, 403, 422)


def test_the_bench_and_the_cli_share_the_generator():
    bench = load_bench()
    assert bench.synthesise is synth.synthesise
    assert "from .listings.synth import synthesise" in inspect.getsource(cli.demo_synth.callback)
