"""Where a listing stands: given coordinates, a geocoded address, or its territory's point.

Also the distance helpers browse uses to find listings around a point.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from geopy.distance import EARTH_RADIUS

from ..geo import great_circle_km
from ..i18n import N_
from ..territories.geocoding import Geocoder, GeocodingUnavailable, in_france
from .models import Listing

KM_PER_DEGREE = EARTH_RADIUS * math.pi / 180
COORDINATES, ADDRESS, TERRITORY = "coordinates", "address", "territory"
NOT_LOCATED = N_("The address could not be located: the listing stays at the territory's point.")
NOT_FOUND = N_("Address not found in France: the listing stays at the territory's point.")
UNAVAILABLE = N_(
    "The address service cannot be reached right now: the listing stays at the territory's point."
)


def _geocode(geocoder: Geocoder | None, address: str, warnings: list[str]) -> tuple[float, float] | None:
    """The address's point in France, or None with the reason added to `warnings`."""
    if geocoder is None:
        warnings.append(NOT_LOCATED)
        return None
    try:
        point = geocoder.geocode(address)
    except GeocodingUnavailable:
        warnings.append(UNAVAILABLE)
        return None
    if point is None or not in_france(point.latitude, point.longitude):
        warnings.append(NOT_FOUND)
        return None
    return point.latitude, point.longitude


def locate(listing: Listing, data: dict[str, Any], geocoder: Geocoder | None, changed: set[str]) -> list[str]:
    """Place the listing: given coordinates, else a geocoded address, else the territory's point.

    Returns the warnings for the user: geocoding problems never block a save.
    """
    warnings: list[str] = []
    has_point = data.get("latitude") is not None and data.get("longitude") is not None
    if has_point and ({"latitude", "longitude"} & changed or listing.location_source == COORDINATES):
        listing.location_source = COORDINATES
        return warnings
    address = data.get("address")
    if address and ("address" in changed or listing.location_source == TERRITORY):
        point = _geocode(geocoder, address, warnings)
        if point is not None:
            listing.latitude, listing.longitude = point
            listing.location_source = ADDRESS
            return warnings
    if address and listing.location_source == ADDRESS and "address" not in changed:
        return warnings
    listing.latitude = listing.territory.latitude
    listing.longitude = listing.territory.longitude
    listing.location_source = TERRITORY
    return warnings


def bounding_box(latitude: float, longitude: float, radius_km: float) -> tuple[float, float, float, float]:
    """A lat/lon box that contains every point within `radius_km` (a cheap SQL prefilter)."""
    dlat = radius_km / KM_PER_DEGREE
    edge = min(89.9, abs(latitude) + dlat)
    dlon = min(180.0, dlat / math.cos(math.radians(edge)))
    return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon


def inner_box(latitude: float, longitude: float, radius_km: float) -> tuple[float, float, float, float]:
    """A lat/lon box every point of which lies within `radius_km` of the point (great circle).

    Its listings can be counted and paged by the database without reading their positions; only
    the ring between it and `bounding_box` needs the exact distance. Half a side of r/√2 is the
    largest square inside the circle; a corner is the farthest point of such a box from its
    centre, so the box shrinks until its corners are within the radius (the sphere's curvature
    takes a little off at large radii).
    """
    half = radius_km / math.sqrt(2)
    while True:
        dlat = half / KM_PER_DEGREE
        # The box's edge nearest the equator is where a degree of longitude is longest.
        nearest = max(0.0, abs(latitude) - dlat)
        dlon = min(180.0, dlat / math.cos(math.radians(min(89.9, nearest))))
        lats = np.asarray([latitude - dlat, latitude - dlat, latitude + dlat, latitude + dlat])
        lons = np.asarray([longitude - dlon, longitude + dlon, longitude - dlon, longitude + dlon])
        if float(distances_km(latitude, longitude, lats, lons).max()) <= radius_km * (1 - 1e-6):
            return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon
        half *= 0.99


def distances_km(lat0: float, lon0: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle distances, the same as geopy's great_circle and as the matching engine's."""
    return great_circle_km(lat0, lon0, lats, lons)
