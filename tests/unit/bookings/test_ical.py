"""The iCalendar writer, read back with the `icalendar` library: whole days, Paris moments, alarms."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from mutualisation.bookings.ical import FeedEvent, build_calendar

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def test_whole_days_and_moments_come_back_as_written_in_europe_paris():
    events = [
        FeedEvent("loan-1@test", "Prêt : barnums", dt.date(2030, 6, 1), last_day=dt.date(2030, 6, 3)),
        FeedEvent(
            "deadline-1@test",
            "Validation attendue",
            dt.datetime(2030, 7, 1, 7, 0, tzinfo=dt.UTC),
            alarm_before=dt.timedelta(days=1),
        ),
    ]
    calendar = Calendar.from_ical(build_calendar("Mes prêts", events, NOW))
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Paris"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    loan, deadline = calendar.walk("VEVENT")
    assert (loan.decoded("DTSTART"), loan.decoded("DTEND")) == (dt.date(2030, 6, 1), dt.date(2030, 6, 4))
    moment = deadline.decoded("DTSTART")
    assert deadline["DTSTART"].params["TZID"] == "Europe/Paris"
    assert moment == dt.datetime(2030, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))  # 7:00 UTC, summer time
    (alarm,) = deadline.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -dt.timedelta(days=1)
    assert str(loan["SUMMARY"]) == "Prêt : barnums"


def test_a_feed_of_whole_days_needs_no_time_zone_and_events_are_sorted():
    events = [FeedEvent("b@test", "B", dt.date(2030, 6, 2)), FeedEvent("a@test", "A", dt.date(2030, 6, 1))]
    calendar = Calendar.from_ical(build_calendar("x", events, NOW))
    assert calendar.walk("VTIMEZONE") == []
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == ["a@test", "b@test"]


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        build_calendar("x", [FeedEvent("n@test", "N", dt.datetime(2030, 6, 1, 9, 0))], NOW)
