"""`passerelle match PROFILE.json`: every catalogue opening for one profile, with reasons."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console

from passerelle.catalogue import load_catalogue
from passerelle.model_files import read_model
from passerelle.usage import UsageError
from services.matching.domain.success_model import SuccessModel
from services.matching.service_layer.explain import OpeningVerdict, explain_openings
from shared.contract.events import BeneficiaryProfile


def read_profile(path: Path) -> BeneficiaryProfile:
    try:
        text = path.read_text()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    if isinstance(data, dict):
        data.pop("contact", None)  # a signing body is accepted; contact details play no part in matching
    try:
        return BeneficiaryProfile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"{path}: invalid profile: {problems}") from exc


def run_match(
    profile_path: Path, as_json: bool, catalogue_path: Path | None, console: Console, model_path: Path | None = None
) -> int:
    profile = read_profile(profile_path)
    try:
        openings = load_catalogue(catalogue_path)
    except (OSError, ValidationError) as exc:
        raise UsageError(f"invalid catalogue {catalogue_path}: {exc}") from exc
    model = None if model_path is None else SuccessModel.from_event(read_model(model_path))
    verdicts = explain_openings(profile, openings, model)
    if as_json:
        print(json.dumps([asdict(v) for v in verdicts], ensure_ascii=False, indent=2))
        return 0
    _print_verdicts(profile, verdicts, console)
    return 0


def _print_verdicts(profile: BeneficiaryProfile, verdicts: list[OpeningVerdict], console: Console) -> None:
    eligible = sum(v.eligible for v in verdicts)
    console.print(f"[bold]{profile.beneficiary_id}[/]: eligible for {eligible} of {len(verdicts)} openings")
    for v in verdicts:
        if v.eligible:
            mark, colour = f"✓ {v.score:.2f}", "green"
        elif v.near_eligible:
            mark, colour = "~ near", "yellow"
        else:
            mark, colour = "✗", "red"
        console.print(f"[{colour}]{mark:<7}[/] [bold]{v.opening_id}[/] ({v.programme}, {v.partner_id})")
        for reason in v.reasons:
            console.print(f"          {reason}")
    console.print(f"[dim]rule set {verdicts[0].ruleset_version if verdicts else '-'}[/]")
