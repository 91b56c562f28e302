"""The programme catalogue and the ROME occupations it uses, shipped as data in passerelle/data/."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from pydantic import TypeAdapter

from shared.contract.events import ProgrammeOpening

_OPENINGS = TypeAdapter(list[ProgrammeOpening])


def load_catalogue(path: Path | None = None) -> list[ProgrammeOpening]:
    """The openings of `path`, or of the shipped catalogue; raises pydantic.ValidationError on a bad one."""
    text = path.read_text() if path else resources.files("passerelle.data").joinpath("catalogue.json").read_text()
    return _OPENINGS.validate_json(text)


def rome_labels() -> dict[str, str]:
    data = json.loads(resources.files("passerelle.data").joinpath("rome_codes.json").read_text())
    return {code: label for code, label in data.items() if not code.startswith("_")}
