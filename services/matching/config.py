from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.contract.events.bounded import MAX_RANKED
from shared.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    http_port: int = Field(8001, ge=0, le=65535)
    seat_hold_days: int = Field(7, ge=1, le=90, description="How long a proposed seat stays held")
    max_ranked: int = Field(5, ge=1, le=MAX_RANKED, description="Openings listed in a proposal")
    reoptimise_interval_s: float = Field(
        30.0, ge=0.5, description="How often the pending batch is re-solved for fresh seat prices"
    )
    reoptimise_max_profiles: int = Field(
        20_000, ge=1, description="Most newcomers a re-solve takes: those whose holds were granted last"
    )
    standing_demand_sweep_s: float = Field(
        60.0, ge=0.5, description="How often every seat left is offered again to the newcomers waiting for one"
    )
    success_history_path: Path | None = Field(
        None, description="JSONL of past outcomes to learn the success model from at start-up"
    )
