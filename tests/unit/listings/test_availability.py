"""The pure booking rules, checked by hand and against a day-by-day brute force (hypothesis)."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from mutualisation.listings import availability as rules
from mutualisation.listings.availability import Booking, Day, DayState

D = dt.date
BASE = D(2030, 1, 1)


def brute_held(bookings, buffer_days, day, states):
    return sum(
        b.units
        for b in bookings
        if b.state in states and b.starts_on <= day <= b.ends_on + dt.timedelta(days=buffer_days)
    )


bookings_strategy = st.lists(
    st.builds(
        lambda key, start, length, units, state: Booking(
            key, BASE + dt.timedelta(days=start), BASE + dt.timedelta(days=start + length), units, state
        ),
        st.integers(1, 50),
        st.integers(0, 60),
        st.integers(0, 15),
        st.integers(1, 3),
        st.sampled_from(rules.STATES),
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(bookings_strategy, st.integers(0, 5), st.integers(0, 70), st.integers(0, 30))
def test_occupancy_equals_the_day_by_day_count(bookings, buffer_days, offset, length):
    start = BASE + dt.timedelta(days=offset)
    end = start + dt.timedelta(days=length)
    held = rules.occupancy(bookings, buffer_days, start, end, rules.FIRM)
    expected = [brute_held(bookings, buffer_days, day, rules.FIRM) for day in rules.days_between(start, end)]
    assert held == expected


@settings(max_examples=200, deadline=None)
@given(bookings_strategy, st.integers(0, 5), st.integers(1, 4), st.integers(0, 60), st.integers(0, 10))
def test_conflicting_days_are_exactly_the_days_over_capacity(bookings, buffer_days, capacity, start, length):
    candidate = Booking(
        999, BASE + dt.timedelta(days=start), BASE + dt.timedelta(days=start + length), 1, "accepted"
    )
    found = rules.conflicting_days(candidate, bookings, capacity, buffer_days, rules.FIRM)
    span = rules.days_between(candidate.starts_on, candidate.last_day(buffer_days))
    expected = [d for d in span if brute_held(bookings, buffer_days, d, rules.FIRM) + 1 > capacity]
    assert found == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=20))
def test_date_ranges_cover_exactly_the_days_given(offsets):
    days = [BASE + dt.timedelta(days=o) for o in offsets]
    ranges = rules.date_ranges(days)
    covered = [d for first, last in ranges for d in rules.days_between(first, last)]
    assert covered == sorted(set(days))
    assert all(b[0] - a[1] > rules.ONE_DAY for a, b in itertools.pairwise(ranges))


def test_three_bookings_on_one_day_fill_three_units_and_a_fourth_conflicts_on_that_day_only():
    taken = [
        Booking(1, D(2030, 6, 1), D(2030, 6, 10), 1, "booked"),
        Booking(2, D(2030, 6, 8), D(2030, 6, 12), 1, "accepted"),
        Booking(3, D(2030, 6, 10), D(2030, 6, 20), 1, "accepted"),
        Booking(5, D(2030, 6, 1), D(2030, 6, 30), 1, "requested"),  # tentative: blocks nobody
    ]
    fourth = Booking(4, D(2030, 6, 9), D(2030, 6, 11), 1, "accepted")
    assert rules.conflicting_days(fourth, taken, 3, 0, rules.FIRM) == [D(2030, 6, 10)]
    assert rules.conflicting_days(fourth, taken, 3, 0, rules.BOOKED_ONLY) == []


def test_the_buffer_keeps_the_units_after_the_return():
    taken = [Booking(1, D(2030, 6, 1), D(2030, 6, 5), 1, "booked")]
    wanted = Booking(2, D(2030, 6, 7), D(2030, 6, 8), 1, "accepted")
    assert rules.conflicting_days(wanted, taken, 1, 2, rules.FIRM) == [D(2030, 6, 7)]
    assert rules.conflicting_days(wanted, taken, 1, 1, rules.FIRM) == []


def test_a_booking_never_conflicts_with_its_own_previous_hold():
    mine = Booking(1, D(2030, 6, 1), D(2030, 6, 5), 1, "accepted")
    assert rules.conflicting_days(mine, [mine], 1, 0, rules.FIRM) == []


def test_day_states_and_the_month_grid_start_on_monday():
    bookings = [
        Booking(1, D(2030, 6, 3), D(2030, 6, 3), 2, "booked"),
        Booking(2, D(2030, 6, 4), D(2030, 6, 4), 1, "requested"),
        Booking(3, D(2030, 6, 5), D(2030, 6, 5), 1, "booked"),
    ]
    days = rules.calendar_days(bookings, 2, 0, D(2030, 6, 1), D(2030, 7, 31))
    states = {d.day: d.state for d in days}
    assert states[D(2030, 6, 3)] is DayState.BOOKED
    assert states[D(2030, 6, 4)] is DayState.TENTATIVE
    assert states[D(2030, 6, 5)] is DayState.PARTLY_BOOKED
    assert states[D(2030, 6, 6)] is DayState.FREE
    months = rules.month_grid(days)
    assert [m.first for m in months] == [D(2030, 6, 1), D(2030, 7, 1)]
    june = months[0].weeks
    # 1 June 2030 is a Saturday: the first week holds it in the sixth column.
    assert june[0][:5] == [None] * 5 and june[0][5] == Day(D(2030, 6, 1), 2, 0, 0, 0)
    assert all(len(week) == 7 for month in months for week in month.weeks)
    assert sum(cell is not None for week in june for cell in week) == 30


def test_free_throughout_and_units_asked():
    bookings = [Booking(1, D(2030, 6, 1), D(2030, 6, 5), 1, "booked")]
    assert not rules.free_throughout(bookings, 1, 0, D(2030, 6, 5), D(2030, 6, 6))
    assert rules.free_throughout(bookings, 1, 0, D(2030, 6, 6), D(2030, 6, 9))
    assert [rules.booking_units(q) for q in (None, 0, 1, 1.5, 3, float("nan"))] == [1, 1, 1, 2, 3, 1]
