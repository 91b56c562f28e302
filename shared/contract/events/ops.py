"""`ops.heartbeat.v1` and `ops.metrics.v1`: each service instance says it is alive and how it is doing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.contract.events.envelope import EVENT_TYPE_PREFIX, Event


class Heartbeat(Event):
    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "ops.heartbeat.v1"

    service: str
    instance: str
    version: str
    started_at: datetime
    uptime_s: float
    status: str = Field("ok", examples=["ok", "degraded"])
    interval_s: float = Field(description="Heartbeats come this often; two missed mean down")
    at: datetime
    consumes: dict[Annotated[str, Field(max_length=120)], Annotated[str, Field(max_length=249)]] = Field(
        default_factory=dict,
        max_length=32,
        description="Consumer group → topic this instance reads (its service's topology): the lag to watch",
    )


class Latency(BaseModel):
    model_config = ConfigDict(frozen=True)

    p50_ms: float
    p95_ms: float
    p99_ms: float
    count: int


class MetricsSnapshot(Event):
    EVENT_TYPE: ClassVar[str] = EVENT_TYPE_PREFIX + "ops.metrics.v1"

    service: str
    instance: str
    at: datetime
    messages_in: dict[str, int] = Field(default_factory=dict, description="Per topic, since start")
    messages_out: dict[str, int] = Field(default_factory=dict)
    handler_latency: dict[str, Latency] = Field(default_factory=dict, description="Per consumed topic")
    errors: int = 0
    dead_letters: int = 0
    last_errors: list[str] = Field(default_factory=list)
