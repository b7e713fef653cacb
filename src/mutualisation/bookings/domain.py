"""What the bookings domain contributes: private calendar feeds (mutualisation/declarations.py).

Bookable offers themselves (units, holds, the availability calendar) belong to listings
(listings/availability.py, listings/bookings.py); this domain reads them and the agreements to
write each user's and each territory's iCalendar feed.
"""

from __future__ import annotations

from ..declarations import Domain
from . import demo, views

DOMAIN = Domain(name="bookings", blueprints=(views.bp,), nav_items=views.NAV_ITEMS, demo_loader=demo.load)
