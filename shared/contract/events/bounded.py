"""The limits every event field carries, so that any valid event fits under the consumers' size limit
(`max_event_bytes`, 256 KiB): HTTP requests are built from these types and refused at the door instead."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

Identifier = Annotated[str, Field(min_length=1, max_length=100, description="An identifier")]
ProgrammeName = Annotated[str, Field(min_length=1, max_length=80, examples=["HOPE"])]
Reason = Annotated[str, Field(max_length=600, description="A reason in plain words")]
MATCHER_REASON_CHARS = 300
MatcherReason = Annotated[str, Field(max_length=MATCHER_REASON_CHARS, description="One of the matcher's reasons")]
MAX_REASONS = 8
MAX_RANKED = 10
WHY_NOT_CHARS = 200
WhyNotReason = Annotated[str, Field(max_length=WHY_NOT_CHARS, description="A rule that failed, or its remedy")]
MAX_NOT_ELIGIBLE = 10  # programmes explained per proposal (the catalogue has 9)
# Every liftable rule an opening can declare (French, territory, area, RSA, mobility) and unknown facts.
MAX_REMEDIES = 3
MAX_DEPARTMENTS = 110  # France has 101 départements
