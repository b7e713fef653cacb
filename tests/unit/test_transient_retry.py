"""`db.retried`: a use case the database aborted as a deadlock victim or a serialisation failure
runs again; anything else is raised at once."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from mutualisation.db import TRANSIENT_ATTEMPTS, is_transient, retried


class DriverError(Exception):
    """What a driver raises (psycopg's errors carry the SQLSTATE as `sqlstate`)."""

    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def failing(errors: list[BaseException]):
    calls: list[int] = []

    def run() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "done"

    return run, calls


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_transient_error_is_recognised_raw_or_wrapped(sqlstate):
    raw = DriverError(sqlstate)
    assert is_transient(raw)
    assert is_transient(OperationalError("SELECT 1", {}, raw))


@pytest.mark.parametrize("error", [DriverError("23505"), DriverError(None), ValueError("x"), KeyError(1)])
def test_other_errors_are_not_transient(error):
    assert not is_transient(error)


def test_a_deadlock_victim_runs_again_and_returns_the_result():
    run, calls = failing([DriverError("40P01"), OperationalError("UPDATE", {}, DriverError("40001"))])
    assert retried(run) == "done"
    assert len(calls) == 3


def test_a_transient_error_on_every_attempt_is_raised_after_the_last():
    errors: list[BaseException] = [DriverError("40P01") for _ in range(TRANSIENT_ATTEMPTS)]
    last = errors[-1]
    run, calls = failing(errors)
    with pytest.raises(DriverError) as raised:
        retried(run)
    assert raised.value is last
    assert len(calls) == TRANSIENT_ATTEMPTS


def test_any_other_error_is_raised_at_once():
    run, calls = failing([DriverError("23505"), DriverError("40P01")])
    with pytest.raises(DriverError, match="23505"):
        retried(run)
    assert len(calls) == 1
