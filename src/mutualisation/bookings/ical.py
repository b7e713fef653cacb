"""iCalendar (RFC 5545) feeds built with the `icalendar` library. Pure: no Flask, no SQLAlchemy.

Handovers and returns are whole days (VALUE=DATE, as a loan rule books days, not hours); decision
deadlines and reminders are moments, written with TZID=Europe/Paris and the matching VTIMEZONE
so that every calendar application shows them at the French time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone

PARIS: Final = ZoneInfo("Europe/Paris")
PRODID: Final = "-//Mutualisation//Calendrier des prêts//FR"
ONE_DAY: Final = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One event of a feed. `when` is a date (a whole day) or an aware datetime (a moment)."""

    uid: str
    summary: str
    when: dt.date | dt.datetime
    description: str = ""
    url: str | None = None
    category: str = ""
    alarm_before: dt.timedelta | None = None  # a reminder shown by the calendar application
    last_day: dt.date | None = None  # a whole-day event over several days ends after this one


def _paris(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("feed moments must be timezone-aware")
    return moment.astimezone(PARIS)


def _event(item: FeedEvent, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("summary", item.summary)
    if isinstance(item.when, dt.datetime):
        start = _paris(item.when)
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(minutes=30))
    else:
        event.add("dtstart", item.when)
        event.add("dtend", max(item.last_day or item.when, item.when) + ONE_DAY)
        event.add("transp", "TRANSPARENT")  # a whole-day loan step does not make anyone busy
    if item.description:
        event.add("description", item.description)
    if item.url:
        event.add("url", item.url)
    if item.category:
        event.add("categories", [item.category])
    if item.alarm_before is not None:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", item.summary)
        alarm.add("trigger", -item.alarm_before)
        event.add_component(alarm)
    return event


def build_calendar(name: str, events: Iterable[FeedEvent], now: dt.datetime) -> bytes:
    """The feed as bytes (CRLF lines, folded), with Europe/Paris as its time zone."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    items = sorted(events, key=lambda e: (_sort_key(e.when), e.uid))
    if any(isinstance(item.when, dt.datetime) for item in items):
        calendar.add_component(Timezone.from_tzid("Europe/Paris"))
    for item in items:
        calendar.add_component(_event(item, now))
    body: bytes = calendar.to_ical()
    return body


def _sort_key(when: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(when, dt.datetime):
        return _paris(when)
    return dt.datetime.combine(when, dt.time(), PARIS)
