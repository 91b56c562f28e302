"""`make demo`: the catalogue from the seeds, a dozen CIR signings, and what each partner received."""

from __future__ import annotations

import json
import sys
import time
from importlib import resources
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from passerelle.catalogue import load_catalogue
from passerelle.embedded.processes import StartupFailed, wait_until
from passerelle.partner_feed import read_partner_entries_sync
from passerelle.stack import ServiceStack
from services.matching.domain.eligibility import decide
from services.referrals.config import DEVELOPMENT_ADMIN_TOKEN
from services.referrals.wording.french import OUTCOME, STATUS
from shared.contract.events import BeneficiaryProfile
from shared.contract.topics import partner_candidates_topic
from shared.contract.vocabulary import OutcomeAtThreeMonths, ReferralStatus


def load_data(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(resources.files("passerelle.data").joinpath(name).read_text())
    return data


def issue_demo_keys(base_url: str, partner_ids: list[str]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """As the administrator: register each partner, issue its key and an auditor's key (headers to use)."""
    admin = {"Authorization": f"Bearer {DEVELOPMENT_ADMIN_TOKEN}"}
    partner_headers = {}
    with httpx.Client(base_url=base_url, headers=admin, timeout=10.0) as client:
        for partner_id in partner_ids:
            registered = client.post("/v1/admin/partners", json={"partner_id": partner_id, "name": partner_id})
            if registered.status_code != 409:
                registered.raise_for_status()
            key = client.post(f"/v1/admin/partners/{partner_id}/keys").raise_for_status().json()["api_key"]
            partner_headers[partner_id] = {"Authorization": f"Bearer {key}"}
        auditor_key = client.post("/v1/admin/auditor-keys").raise_for_status().json()["api_key"]
    return {"Authorization": f"Bearer {auditor_key}"}, partner_headers


def publish_catalogue(
    client: httpx.Client, openings: list[dict[str, Any]], partner_headers: dict[str, dict[str, str]]
) -> None:
    for opening in openings:
        client.post("/v1/openings", json=opening, headers=partner_headers[opening["partner_id"]]).raise_for_status()


def wait_for_matching_view(matching_url: str, count: int, timeout_s: float = 30.0) -> None:
    def knows_all() -> bool:
        body = httpx.get(f"{matching_url}/health", timeout=2.0).json()
        return int(body.get("openings_known", 0)) >= count

    wait_until(knows_all, timeout_s=timeout_s, what="matching's view of the openings")


def wait_for_proposals(client: httpx.Client, ids: list[str], timeout_s: float = 60.0) -> dict[str, Any]:
    views: dict[str, Any] = {}

    def all_answered() -> bool:
        for beneficiary_id in ids:
            if beneficiary_id in views:
                continue
            view = client.get(f"/v1/beneficiaries/{beneficiary_id}/referrals").json()
            proposal = view.get("proposal")
            if proposal is not None and (proposal["held"] is None or view["referrals"]):
                views[beneficiary_id] = view
        return len(views) == len(ids)

    wait_until(all_answered, timeout_s=timeout_s, what="proposals for every signing")
    return views


def print_why_not(signings: list[dict[str, Any]], console: Console) -> None:
    """One refusal per programme, in the words the auditor sees."""
    openings = load_catalogue()
    profiles = [read_signing(s) for s in signings]
    table = Table(title="Pourquoi pas — un refus par programme / why not", title_justify="left")
    table.add_column("programme")
    table.add_column("dossier")
    table.add_column("règle / rule")
    for programme in sorted({o.programme for o in openings}):
        found = next(
            (
                (profile.beneficiary_id, decision.failures[0])
                for opening in openings
                if opening.programme == programme
                for profile in profiles
                if not (decision := decide(profile, opening)).eligible
            ),
            None,
        )
        if found:
            table.add_row(programme, *found)
    console.print(table)


def print_capacity(stack: ServiceStack, console: Console) -> None:
    """Seats left per opening, read from the HSDS export."""
    page = httpx.get(f"{stack.url('referrals')}/v1/hsds/services", params={"per_page": 500}, timeout=10).json()
    table = Table(title="Places (GET /v1/hsds/services) / seats", title_justify="left")
    table.add_column("service")
    table.add_column("libres / free", justify="right")
    table.add_column("total", justify="right")
    for service in page["contents"]:
        capacity = service["capacities"][0]
        if capacity["available"] < capacity["maximum"]:
            table.add_row(service["name"], str(capacity["available"]), str(capacity["maximum"]))
    console.print(table)


EARLY_START = {
    "started_early": True,
    "note": "démo : la session est avancée pour suivre le parcours jusqu'au bout / demo: cohort brought forward",
}


def close_some_loops(
    stack: ServiceStack,
    referrals: list[dict[str, Any]],
    auditor: dict[str, str],
    partner_headers: dict[str, dict[str, str]],
    console: Console,
) -> None:
    """Partners answer a few referrals: accept, enrol, complete, report the outcome; one declines."""
    scripts = [
        ("accept", "enrol", "complete", ("outcome", "employed")),
        ("accept", "enrol", "complete", ("outcome", "employed")),
        ("accept", "enrol", "drop-out", ("outcome", "none")),
        ("accept", "enrol"),
        ("waitlist",),
        (("decline", "not_interested"),),
    ]
    table = Table(title="Les partenaires répondent / partners answer (POST /v1/referrals/{id}/…)", title_justify="left")
    for column in ("orientation", "programme", "historique / history"):
        table.add_column(column)
    with httpx.Client(base_url=stack.url("referrals"), headers=auditor, timeout=10.0) as client:
        for referral, script in zip(referrals, scripts, strict=False):
            view: dict[str, Any] = referral
            as_partner = partner_headers[referral["partner_id"]]
            for step in script:
                action, value = (step, None) if isinstance(step, str) else step
                if action == "decline":
                    response = client.post(
                        f"/v1/referrals/{referral['referral_id']}/decline", json={"reason": value}, headers=as_partner
                    )
                elif action == "outcome":
                    response = client.post(
                        f"/v1/referrals/{referral['referral_id']}/outcome", json={"outcome": value}, headers=as_partner
                    )
                elif action == "enrol":  # the seed cohorts start in 2027: the demo enrols ahead, and says so
                    response = client.post(
                        f"/v1/referrals/{referral['referral_id']}/enrol", json=EARLY_START, headers=as_partner
                    )
                else:
                    response = client.post(f"/v1/referrals/{referral['referral_id']}/{action}", headers=as_partner)
                response.raise_for_status()
                view = response.json()
            steps = [
                STATUS[ReferralStatus(h["status"])].lower()
                if h["kind"] == "status"
                else f"à 3 mois : {OUTCOME[OutcomeAtThreeMonths(h['outcome'])].lower()}"
                for h in view["history"]
            ]
            table.add_row(view["referral_id"][:8], view["programme"], " → ".join(steps))
        console.print(table)
        declined = referrals[len(scripts) - 1] if len(referrals) >= len(scripts) else None
        if declined is not None:
            rerouted = wait_for_reroute(client, declined["beneficiary_id"])
            console.print(
                f"réorientée après le refus / re-routed: {declined['beneficiary_id']} → "
                f"{rerouted or 'aucune autre session'}"
            )
        funnel = client.get("/v1/stats/funnel").json()
    table = Table(title="Parcours / funnel (GET /v1/stats/funnel)", title_justify="left")
    for column in ("programme", "proposées", "acceptées", "entrées", "terminées", "en emploi", "taux d'emploi"):
        table.add_column(column, justify="right" if column != "programme" else "left")
    for line in funnel:
        rate = "-" if line["employment_rate"] is None else f"{line['employment_rate']:.0%}"
        table.add_row(
            line["programme"],
            *(str(line[k]) for k in ("proposed", "accepted", "enrolled", "completed", "employed")),
            rate,
        )
    console.print(table)


def wait_for_reroute(client: httpx.Client, beneficiary_id: str) -> str | None:
    """The opening of the referral that replaced a declined one, or None if none came."""
    found: list[str] = []

    def rerouted() -> bool:
        referrals = client.get(f"/v1/beneficiaries/{beneficiary_id}/referrals").json()["referrals"]
        found[:] = [r["opening_id"] for r in referrals[1:]]
        return bool(found)

    try:
        wait_until(rerouted, timeout_s=10, what="a re-routed referral")
    except StartupFailed:
        return None
    return found[0]


def read_signing(body: dict[str, Any]) -> BeneficiaryProfile:
    return BeneficiaryProfile.model_validate({k: v for k, v in body.items() if k != "contact"})


def run_demo(stack: ServiceStack, console: Console | None = None) -> dict[str, int]:
    """Run the scenario on a started stack; return the number of entries each partner received."""
    console = console or Console(width=None if sys.stdout.isatty() else 140)
    started = time.monotonic()
    openings = [o.model_dump(mode="json") for o in load_catalogue()]
    signings = load_data("demo_signings.json")
    partner_ids = sorted({o["partner_id"] for o in openings})
    auditor, partner_headers = issue_demo_keys(stack.url("referrals"), partner_ids)
    with httpx.Client(base_url=stack.url("referrals"), headers=auditor, timeout=10.0) as client:
        publish_catalogue(client, openings, partner_headers)
        console.print(
            f"[bold]Catalogue :[/] {len(openings)} sessions publiées sur programme.opening.v1 / openings published"
        )
        wait_for_matching_view(stack.url("matching"), len(openings))
        for signing in signings:
            client.post("/v1/cir-signings", json=signing).raise_for_status()
        console.print(f"[bold]Signatures :[/] {len(signings)} signatures de CIR enregistrées / CIR signings recorded")
        views = wait_for_proposals(client, [s["beneficiary_id"] for s in signings])

    referrals = [r for view in views.values() for r in view["referrals"]]
    partners = sorted({o["partner_id"] for o in openings})
    topics = [partner_candidates_topic(p).name for p in partners]
    entries = read_partner_entries_sync(
        stack.infrastructure.kafka_bootstrap_servers, topics, {r["referral_id"] for r in referrals}
    )
    received: dict[str, int] = {}
    for partner, topic in zip(partners, topics, strict=True):
        received[partner] = len(entries[topic])
        if not entries[topic]:
            continue
        table = Table(title=f"{partner} — {topic}", title_justify="left")
        for column in (
            "orientation",
            "session",
            "âge",
            "français",
            "diplôme",
            "métiers",
            "dépt",
            "hébergement ?",
            "score",
        ):
            table.add_column(column)
        for _, entry in entries[topic]:
            c = entry.candidate
            table.add_row(
                entry.referral_id[:8],
                entry.opening_id,
                c.age_band,
                c.french_level or "?",
                str(c.diploma_level if c.diploma_level is not None else "?"),
                ", ".join(c.occupations) or "-",
                c.department,
                {True: "oui", False: "non", None: "?"}[c.needs_housing],
                f"{entry.score:.2f}",
            )
        console.print(table)

    unplaced = [b for b, view in views.items() if not view["referrals"]]
    if unplaced:
        table = Table(title="Signatures sans place proposée / no seat proposed", title_justify="left")
        table.add_column("dossier")
        table.add_column("sessions éligibles classées / eligible openings ranked")
        for beneficiary_id in unplaced:
            ranked = views[beneficiary_id]["proposal"]["ranked"]
            table.add_row(beneficiary_id, ", ".join(r["opening_id"] for r in ranked) or "aucune")
        console.print(table)
    print_why_not(signings, console)
    close_some_loops(stack, referrals, auditor, partner_headers, console)
    print_capacity(stack, console)
    console.print(
        f"[bold]Terminé :[/] {len(referrals)} orientations remises à {sum(1 for n in received.values() if n)} "
        f"partenaires en {time.monotonic() - started:.1f} s / referrals delivered to partners"
    )
    return received
