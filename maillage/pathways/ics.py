"""iCalendar (RFC 5545) writing, by hand: a few events, no dependency.

- lines end with CRLF and are folded at 75 octets (a continuation line starts with a space),
  never inside a UTF-8 character;
- TEXT values escape backslash, semicolon, comma and newlines;
- times are written in UTC ("Z").

Callers put no personal name in an event: the summary says the kind and the household number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

CRLF = "\r\n"
MAX_OCTETS = 75


@dataclass(frozen=True)
class IcsEvent:
    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str = ""
    description: str = ""
    status: str = "CONFIRMED"  # CONFIRMED, TENTATIVE or CANCELLED
    url: str = ""


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def format_utc(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Fold one content line into chunks of at most 75 octets, joined by CRLF + space."""
    chunks: list[str] = []
    current = ""
    size = 0
    limit = MAX_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            chunks.append(current)
            current, size = "", 0
            limit = MAX_OCTETS - 1  # the leading space of a continuation line counts
        current += char
        size += octets
    chunks.append(current)
    return (CRLF + " ").join(chunks)


def _prop(name: str, value: str) -> str:
    return fold(f"{name}:{value}") + CRLF


def calendar(events: Iterable[IcsEvent], *, prodid: str, name: str = "", now: datetime | None = None) -> str:
    """A VCALENDAR with the events, as a string ready to be encoded in UTF-8."""
    stamp = format_utc(now or datetime.now(UTC))
    out = [
        "BEGIN:VCALENDAR" + CRLF,
        "VERSION:2.0" + CRLF,
        _prop("PRODID", prodid),
        "CALSCALE:GREGORIAN" + CRLF,
        "METHOD:PUBLISH" + CRLF,
    ]
    if name:
        out.append(_prop("X-WR-CALNAME", escape_text(name)))
    for event in events:
        out.append("BEGIN:VEVENT" + CRLF)
        out.append(_prop("UID", event.uid))
        out.append(_prop("DTSTAMP", stamp))
        out.append(_prop("DTSTART", format_utc(event.starts_at)))
        out.append(_prop("DTEND", format_utc(event.ends_at)))
        out.append(_prop("SUMMARY", escape_text(event.summary)))
        if event.location:
            out.append(_prop("LOCATION", escape_text(event.location)))
        if event.description:
            out.append(_prop("DESCRIPTION", escape_text(event.description)))
        if event.url:
            out.append(_prop("URL", event.url))
        out.append(_prop("STATUS", event.status))
        out.append("END:VEVENT" + CRLF)
    out.append("END:VCALENDAR" + CRLF)
    return "".join(out)
