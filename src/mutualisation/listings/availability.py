"""Bookable offers: per-day occupancy, the first conflicting dates, the calendar grid. Pure.

An offer lent again and again (a podium, three barnums) has `units`. Each agreement on it holds
a period from its handover date to its return date, plus the offer's buffer days after the
return (cleaning, checks), for a number of units. A day is over capacity when the units held on
it exceed the offer's. Occupancy is counted by a sweep over the periods' edges, so a year of
bookings costs one pass, not one per day and booking (a property test checks it against the
day-by-day brute force).

Booking states, from the lightest to the firmest:
- `requested`: terms proposed or under discussion (shown as tentative, never blocks anyone);
- `accepted`: both parties agreed, officials still to approve (tentative on the calendar, but
  first come, first served: a later acceptance cannot take the same units);
- `booked`: approved and beyond (signed, in progress, returned, completed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

ONE_DAY: Final = dt.timedelta(days=1)
MAX_BUFFER_DAYS: Final = 30
MAX_UNITS: Final = 1000
# The calendar page and the availability API answer at most this many days at once.
MAX_SPAN_DAYS: Final = 400


class BookingState(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    BOOKED = "booked"


STATES: Final = tuple(state.value for state in BookingState)
# What each check counts: an acceptance is weighed against the acceptances before it, an
# approval against the approvals before it (so that officials approving at once are serialised).
FIRM: Final = frozenset({BookingState.ACCEPTED, BookingState.BOOKED})
BOOKED_ONLY: Final = frozenset({BookingState.BOOKED})
TENTATIVE: Final = frozenset({BookingState.REQUESTED, BookingState.ACCEPTED})


class DayState(StrEnum):
    FREE = "free"
    TENTATIVE = "tentative"  # some units free, but requests or acceptances wait on them
    PARTLY_BOOKED = "partly_booked"
    BOOKED = "booked"  # no unit left


@dataclass(frozen=True, slots=True)
class Booking:
    """One agreement's hold on an offer: from handover to return (inclusive), `units` of it."""

    key: int
    starts_on: dt.date
    ends_on: dt.date
    units: int
    state: str

    def last_day(self, buffer_days: int) -> dt.date:
        """The last day the units are away, the buffer after the return included."""
        return self.ends_on + dt.timedelta(days=buffer_days)


@dataclass(frozen=True, slots=True)
class Day:
    """One day of an offer's calendar."""

    day: dt.date
    units: int
    booked: int  # units held by approved (or later) agreements
    accepted: int  # units of accepted agreements awaiting approval: first come, first served
    requested: int  # units asked for in proposals still under discussion (they block nobody)

    @property
    def tentative(self) -> int:
        return self.accepted + self.requested

    @property
    def free(self) -> int:
        """Units a new acceptance may still take."""
        return max(self.units - self.booked - self.accepted, 0)

    @property
    def state(self) -> DayState:
        if self.booked >= self.units:
            return DayState.BOOKED
        if self.tentative:
            return DayState.TENTATIVE
        return DayState.PARTLY_BOOKED if self.booked else DayState.FREE


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def occupancy(
    bookings: Iterable[Booking],
    buffer_days: int,
    start: dt.date,
    end: dt.date,
    states: Iterable[str] = STATES,
) -> list[int]:
    """Units held on each day from `start` to `end` (inclusive) by bookings in `states`."""
    if end < start:
        return []
    wanted = set(states)
    size = (end - start).days + 1
    edges = [0] * (size + 1)
    for booking in bookings:
        if booking.state not in wanted:
            continue
        first = max(booking.starts_on, start)
        last = min(booking.last_day(buffer_days), end)
        if first > last:
            continue
        edges[(first - start).days] += booking.units
        edges[(last - start).days + 1] -= booking.units
    held, running = [], 0
    for step in edges[:size]:
        running += step
        held.append(running)
    return held


def conflicting_days(
    candidate: Booking, others: Iterable[Booking], capacity: int, buffer_days: int, states: Iterable[str]
) -> list[dt.date]:
    """The days on which `candidate` would take more units than are left, in order."""
    start, end = candidate.starts_on, candidate.last_day(buffer_days)
    rivals = [b for b in others if b.key != candidate.key]
    held = occupancy(rivals, buffer_days, start, end, states)
    return [
        start + dt.timedelta(days=i) for i, units in enumerate(held) if units + candidate.units > capacity
    ]


def date_ranges(days: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days folded into (first, last) ranges: what a message names."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if ranges and ranges[-1][1] + ONE_DAY == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def calendar_days(
    bookings: Sequence[Booking], units: int, buffer_days: int, start: dt.date, end: dt.date
) -> list[Day]:
    """Every day from `start` to `end` with its booked, accepted and requested units."""
    booked = occupancy(bookings, buffer_days, start, end, BOOKED_ONLY)
    accepted = occupancy(bookings, buffer_days, start, end, {BookingState.ACCEPTED})
    requested = occupancy(bookings, buffer_days, start, end, {BookingState.REQUESTED})
    return [
        Day(start + dt.timedelta(days=i), units, booked[i], accepted[i], requested[i])
        for i in range(len(booked))
    ]


def free_throughout(
    bookings: Sequence[Booking], units: int, buffer_days: int, start: dt.date, end: dt.date
) -> bool:
    """At least one unit is free (no firm hold on it) on every day from `start` to `end`."""
    return all(held < units for held in occupancy(bookings, buffer_days, start, end, FIRM))


@dataclass(frozen=True, slots=True)
class Month:
    """One month of the grid: its first day and its weeks, Monday first, None outside the month."""

    first: dt.date
    weeks: list[list[Day | None]]


def month_grid(days: Sequence[Day]) -> list[Month]:
    """The days laid out month by month, in weeks starting on Monday (the French calendar)."""
    months: list[Month] = []
    for day in days:
        first = day.day.replace(day=1)
        if not months or months[-1].first != first:
            months.append(Month(first, [[None] * 7]))
        weeks = months[-1].weeks
        weekday = day.day.weekday()
        if weekday == 0 and any(cell is not None for cell in weeks[-1]):
            weeks.append([None] * 7)
        weeks[-1][weekday] = day
    return months


def booking_units(quantity: float | None) -> int:
    """The units an agreement line asks for: a whole number, at least one."""
    if quantity is None or quantity != quantity or quantity <= 0:  # None, NaN or nothing asked
        return 1
    whole = int(quantity)
    return min(whole + (1 if quantity > whole else 0), MAX_UNITS)
