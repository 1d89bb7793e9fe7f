"""An iCalendar (.ics) file for a planned mentoring session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event


def session_calendar(*, uid: str, starts_at: datetime, minutes: int, summary: str,
                     description: str, meeting_url: str | None, stamp: datetime) -> bytes:
    """One VEVENT in UTC; the meeting link goes into URL and LOCATION so calendars show it."""
    cal = Calendar()
    cal.add("prodid", "-//lti_tool//reverse mentoring//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    start = starts_at.astimezone(UTC)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=minutes))
    event.add("summary", summary)
    event.add("description", description)
    if meeting_url:
        event.add("url", meeting_url)
        event.add("location", meeting_url)
    cal.add_component(event)
    return cal.to_ical()
