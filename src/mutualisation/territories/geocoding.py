"""Turning an address into coordinates, behind a small interface.

The application builds one geocoder from the `[geocoding]` settings and keeps it in
`app.extensions["mutualisation.geocoder"]`; tests put a fake one there, so geocoding never
reaches the network in tests. Services receive the geocoder as an argument.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

# Mainland France with Corsica, and the five overseas départements (lat_min, lat_max, lon_min, lon_max).
FRANCE_BOXES = {
    "metropole": (41.3, 51.15, -5.25, 9.6),
    "guadeloupe": (15.8, 16.55, -61.85, -60.95),
    "martinique": (14.35, 14.9, -61.25, -60.8),
    "guyane": (2.1, 5.8, -54.65, -51.6),
    "reunion": (-21.4, -20.85, 55.2, 55.85),
    "mayotte": (-13.05, -12.6, 44.95, 45.35),
}


def in_range(latitude: float, longitude: float) -> bool:
    return -90 <= latitude <= 90 and -180 <= longitude <= 180


def in_france(latitude: float, longitude: float) -> bool:
    return any(
        lat_min <= latitude <= lat_max and lon_min <= longitude <= lon_max
        for lat_min, lat_max, lon_min, lon_max in FRANCE_BOXES.values()
    )


class GeocodingUnavailable(Exception):
    """The geocoding service could not be reached or answered with an error."""


@dataclass(frozen=True, slots=True)
class GeocodedPoint:
    latitude: float
    longitude: float
    label: str


class Geocoder(Protocol):
    def geocode(self, address: str) -> GeocodedPoint | None:
        """The point of `address`, None when not found; GeocodingUnavailable when unreachable."""


class NoGeocoder:
    """Geocoding switched off: every address is kept at the territory's point."""

    def geocode(self, address: str) -> GeocodedPoint | None:
        raise GeocodingUnavailable("geocoding is disabled")


class GeopyGeocoder:
    """Any geopy geocoder (BAN France by default, or Nominatim)."""

    def __init__(self, backend: Any, timeout: float) -> None:
        self._backend = backend
        self._timeout = timeout

    def geocode(self, address: str) -> GeocodedPoint | None:
        from geopy.exc import GeopyError

        try:
            location = self._backend.geocode(address, timeout=self._timeout)
        except (GeopyError, OSError, ValueError) as exc:
            log.warning("geocoding failed for %r: %s", address, exc)
            raise GeocodingUnavailable(str(exc)) from exc
        if location is None:
            return None
        return GeocodedPoint(float(location.latitude), float(location.longitude), str(location.address))


def from_settings(conf: dict[str, Any]) -> Geocoder:
    """Build the configured geocoder from the `[geocoding]` settings (every key is there: the typed
    settings refuse a start without it, and its defaults live in config/default.toml only)."""
    provider = conf["provider"]
    timeout = float(conf["timeout_seconds"])
    if provider == "ban":
        from geopy.geocoders import BANFrance

        return GeopyGeocoder(BANFrance(domain=conf["ban_domain"]), timeout)
    if provider == "nominatim":
        from geopy.geocoders import Nominatim

        return GeopyGeocoder(Nominatim(user_agent=conf["nominatim_user_agent"]), timeout)
    return NoGeocoder()


def current_geocoder() -> Geocoder:
    """The application's geocoder (a settable provider: tests replace it)."""
    from flask import current_app

    geocoder = current_app.extensions.get("mutualisation.geocoder")
    if geocoder is None:
        geocoder = from_settings(current_app.config["geocoding"])
        current_app.extensions["mutualisation.geocoder"] = geocoder
    return geocoder
