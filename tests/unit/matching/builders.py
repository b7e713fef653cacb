"""Builders of synthetic listings for the matching tests."""

from __future__ import annotations

import numpy as np

from mutualisation.matching.scoring import NEED, OFFER, ListingArrays

CATEGORIES = ("equipment", "service", "skill", "know_how")


def make_listings(rng: np.random.Generator, n: int, kind: int, id_start: int = 0, **options) -> ListingArrays:
    """Random listings over metropolitan France, with every awkward case in small doses."""
    n_owners = options.get("n_owners", max(1, n // 3))
    lat = rng.uniform(42.5, 51.0, n)
    lon = rng.uniform(-4.5, 8.0, n)
    if options.get("duplicate_coordinates", True) and n:
        # A few listings share their town hall's point, so equal distances happen.
        dup = rng.random(n) < 0.2
        src = rng.integers(0, n, n)
        lat[dup], lon[dup] = lat[src[dup]], lon[src[dup]]
    missing = rng.random(n) < options.get("missing_coordinates", 0.03)
    lat[missing] = np.nan
    start = rng.integers(738000, 738400, n).astype(float)
    length = rng.integers(0, 200, n).astype(float)
    open_from = rng.random(n) < 0.4
    open_until = rng.random(n) < 0.4
    quantity = rng.integers(1, 20, n).astype(float)
    quantity[rng.random(n) < 0.4] = np.nan
    max_distance = rng.choice([0.0, 20.0, 50.0, 100.0, 300.0, np.nan], n, p=[0.03, 0.2, 0.3, 0.2, 0.12, 0.15])
    categories = np.asarray(options.get("categories", CATEGORIES))
    return ListingArrays(
        id=np.arange(id_start, id_start + n, dtype=np.int64),
        kind=np.full(n, kind, dtype=np.int8),
        category=categories[rng.integers(0, categories.size, n)],
        subcategory=rng.integers(0, 4, n).astype(np.int64),
        owner=rng.integers(0, n_owners, n).astype(np.int64),
        territory=rng.integers(0, max(1, n // 2), n).astype(np.int64),
        lat=lat,
        lon=lon,
        available_from=np.where(open_from, np.nan, start),
        available_until=np.where(open_until, np.nan, start + length),
        quantity=quantity,
        inexhaustible=rng.random(n) < 0.15,
        remote_possible=rng.random(n) < options.get("remote", 0.15),
        max_distance_km=max_distance,
    )


def make_network(seed: int, n_offers: int, n_needs: int, **options):
    rng = np.random.default_rng(seed)
    offers = make_listings(rng, n_offers, OFFER, 0, **options)
    needs = make_listings(rng, n_needs, NEED, 1_000_000, **options)
    return offers, needs
