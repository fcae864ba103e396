"""The instant every test runs at unless it travels elsewhere itself.

A Wednesday afternoon in December, so the default twelve-week period reaches back across
the October clock change and the overdue rule counts working days across a weekend. The
clock ticks on from here (waits and timeouts still work); `tests/conftest.py` starts it.
"""

from datetime import UTC, datetime

from partnership import clock

NOW = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)
TODAY = clock.uk_date(NOW)
