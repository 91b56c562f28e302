"""CloudEvents 1.0 attributes carried as Kafka headers (binary content mode)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
REQUIRED_HEADERS = ("ce_id", "ce_type", "ce_source", "ce_time", "ce_specversion")


class MissingCloudEventHeader(ValueError):
    """A consumed message lacks a required CloudEvents header."""


@dataclass(frozen=True)
class CloudEventAttributes:
    id: str
    type: str
    source: str
    time: datetime
    subject: str | None = None

    def as_headers(self) -> dict[str, str]:
        headers = {
            "ce_id": self.id,
            "ce_type": self.type,
            "ce_source": self.source,
            "ce_time": self.time.isoformat(),
            "ce_specversion": SPEC_VERSION,
            "content-type": CONTENT_TYPE,
        }
        if self.subject is not None:
            headers["ce_subject"] = self.subject
        return headers


def new_attributes(
    event_type: str,
    source: str,
    *,
    event_id: str | None = None,
    subject: str | None = None,
    time: datetime | None = None,
) -> CloudEventAttributes:
    """Attributes for a new event; pass `event_id` to make a re-emitted event recognisable."""
    return CloudEventAttributes(
        id=event_id or str(uuid.uuid4()),
        type=event_type,
        source=source,
        time=time or datetime.now(UTC),
        subject=subject,
    )


def read_attributes(headers: Mapping[str, str | bytes]) -> CloudEventAttributes:
    """Parse the `ce_*` headers of a consumed message; raise when one is missing or malformed. Every header
    must be UTF-8 text (the Kafka binding of CloudEvents says so; tracing and provenance headers too)."""
    text: dict[str, str] = {}
    for name, value in headers.items():
        try:
            decoded = value.decode() if isinstance(value, bytes) else value
        except UnicodeDecodeError as exc:
            raise MissingCloudEventHeader(f"header {name} is not UTF-8: {exc}") from exc
        if name.startswith("ce_"):
            text[name] = decoded
    missing = [name for name in REQUIRED_HEADERS if not text.get(name)]
    if missing:
        raise MissingCloudEventHeader(f"missing CloudEvents header(s): {', '.join(missing)}")
    if text["ce_specversion"] != SPEC_VERSION:
        raise MissingCloudEventHeader(f"unsupported ce_specversion {text['ce_specversion']!r}")
    try:
        time = datetime.fromisoformat(text["ce_time"])
    except ValueError as exc:
        raise MissingCloudEventHeader(f"ce_time is not an RFC 3339 timestamp: {exc}") from exc
    return CloudEventAttributes(
        id=text["ce_id"],
        type=text["ce_type"],
        source=text["ce_source"],
        time=time,
        subject=text.get("ce_subject"),
    )
