"""Vectorised spherical geometry: the one great-circle distance of the application.

Distances follow `geopy.distance.great_circle` (a sphere of radius `EARTH_RADIUS_KM`), which stays
within 0.5% of the ellipsoidal geodesic over metropolitan France while being cheap to vectorise.

Spatial indexing works on 3-D unit vectors: the straight-line (chord) distance between two unit
vectors is `2 sin(theta / 2)`, a strictly increasing function of the central angle `theta` on
[0, pi], so a k-d tree on unit vectors returns neighbours in exactly the great-circle order and a
km radius becomes a chord radius through `km_to_chord`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from geopy.distance import EARTH_RADIUS

Array = np.ndarray[Any, Any]

EARTH_RADIUS_KM: float = float(EARTH_RADIUS)


class Km(float):
    """A distance in km put into a sentence: where a person reads it, the formatting layer writes
    it in their language with its unit (`formatting.human`: "1 250 km", the unit never wrapped)."""


def great_circle_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Array:
    """Great-circle distance in km between points given in degrees; numpy broadcasting applies.

    Same formula as geopy's `great_circle` (atan2 form), which stays accurate for both tiny and
    antipodal distances, unlike the plain arccos form.
    """
    return great_circle_from_parts(*trig_parts(lat1, lon1), *trig_parts(lat2, lon2))


def trig_parts(lat: Any, lon: Any) -> tuple[Array, Array, Array]:
    """(sin lat, cos lat, lon in radians): per-point parts, computed once per listing by the engine."""
    lat = np.radians(np.asarray(lat, dtype=np.float64))
    return np.sin(lat), np.cos(lat), np.radians(np.asarray(lon, dtype=np.float64))


def great_circle_from_parts(
    sin_lat1: Array, cos_lat1: Array, lon1: Array, sin_lat2: Array, cos_lat2: Array, lon2: Array
) -> Array:
    """`great_circle_km` from `trig_parts`; the one formula, so every caller gets identical floats."""
    delta_lon = lon2 - lon1
    cos_delta, sin_delta = np.cos(delta_lon), np.sin(delta_lon)
    y = np.hypot(cos_lat2 * sin_delta, cos_lat1 * sin_lat2 - sin_lat1 * cos_lat2 * cos_delta)
    x = sin_lat1 * sin_lat2 + cos_lat1 * cos_lat2 * cos_delta
    return EARTH_RADIUS_KM * np.arctan2(y, x)  # type: ignore[no-any-return]


def unit_vectors(lat: Any, lon: Any) -> Array:
    """(N, 3) float64 unit vectors on the sphere for latitudes and longitudes in degrees."""
    lat = np.radians(np.asarray(lat, dtype=np.float64).ravel())
    lon = np.radians(np.asarray(lon, dtype=np.float64).ravel())
    cos_lat = np.cos(lat)
    out = np.empty((lat.shape[0], 3), dtype=np.float64)
    out[:, 0] = cos_lat * np.cos(lon)
    out[:, 1] = cos_lat * np.sin(lon)
    out[:, 2] = np.sin(lat)
    return out


def km_to_chord(km: Any) -> Array:
    """Chord length between unit vectors whose great-circle distance is `km` (inf stays inf)."""
    theta = np.minimum(np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM, np.pi)
    return 2.0 * np.sin(theta / 2.0)


def chord_to_km(chord: Any) -> Array:
    """Great-circle km for a chord length between unit vectors (inverse of `km_to_chord`)."""
    half = np.clip(np.asarray(chord, dtype=np.float64) / 2.0, 0.0, 1.0)
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(half)
