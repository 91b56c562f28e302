"""GDPR minimisation, every partner-facing surface at once: one realistic scenario, then a scan of all that
a partner can see for what identifies its newcomers.

The scenario: a partner (with an e-mail address and a console account) opens an opening; three newcomers
sign their CIR with contact details and a birth date: one consents, one does not, and one consents then
withdraws both scopes (contact and pools) once its pool entry went out; the partner and a second one (the
"watcher", a pool subscriber) subscribe with a Kafka topic and a webhook, so referral entries, pool
entries, a tombstone and webhooks of each type flow; the partner lists, reads and accepts the referrals.

The surfaces, found from the running system and the code rather than listed by hand:
- API: every GET operation of the OpenAPI documents of the services that serve partners (referrals,
  notifications) that a partner key may call: the public ones (no security) and the protected ones whose
  `require(...)` admits the partner role (read from the entrypoint routers' dependency trees);
- console: every GET route of the console routers a partner person may open (signed in, or with an
  e-mailed link), from the same dependency trees;
- the answers to the partner's own action (accept), and the protected GET routes a partner may *not*
  call (called anyway: they must refuse);
- every record (key, headers, value) of every `partner.*.candidates.v1` topic and of every topic the
  partners' Kafka ACLs let them read (passerelle/kubernetes_manifests.py);
- every webhook body the two receivers got, whatever its type; the e-mails to the partner.
Path parameters are filled from the scenario; each route is called as each partner, before and after
acceptance. A route the scan cannot fill, or that never answers, fails the test: a new route is scanned,
or the test says why it cannot be.

The rules: a newcomer's given name, family name, e-mail, phone and birth date never appear, except the
contact details on the disclosure (`GET /v1/referrals/{id}/contact`, and the console's referral page
by its POST `…/coordonnees`) for the partner that accepted the consenting newcomer: checked to be disclosed
there, and only then. The beneficiary id appears only as the `beneficiary_id` of the API's referral views
(`PartnerReferralView`) of an accepted referral whose newcomer consents: checked to be shown there. No
topic record or webhook body has a personal field (tests.factories.PERSONAL_FIELDS) at any depth. The
newcomer who withdrew consent before being accepted is not identified either: identification follows the
consent now, not the one the referral was made with."""

from __future__ import annotations

import html
import importlib
import inspect
import itertools
import json
import pkgutil
import random
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from passerelle.kubernetes_manifests import partner_user
from passerelle.stack import ServiceStack
from shared.contract.topics import partner_candidates_topic
from shared.principals import Role
from tests.e2e.access import ADMIN, issue_partner_key
from tests.e2e.steps import open_opening, referrals_of
from tests.e2e.webhook_receiver import WebhookReceiver
from tests.factories import PERSONAL_FIELDS, signing_body
from tests.smtp_sink import SmtpSink
from tests.support import all_keys, collect_records, eventually, random_ref

DEPARTMENT = "24"  # no other e2e test uses it: the tests share one stack
PARTNER_API_SERVICES = ("referrals", "notifications")  # matching serves no partner over HTTP
CONSOLE_PACKAGE = "services.referrals.console"
PARTNER_TOPIC = re.compile(r"^partner\.[a-z0-9-]+\.candidates\.v1$")
# A floor, so that an enumeration gone wrong cannot pass by scanning nothing; new routes join by themselves.
KNOWN_PARTNER_GET_ROUTES = {
    "referrals GET /v1/referrals/{referral_id}",
    "referrals GET /v1/referrals/{referral_id}/contact",
    "referrals GET /v1/partners/{partner_id}/referrals",
    "referrals GET /v1/partners/{partner_id}/subscriptions",
    "referrals GET /v1/openings/{opening_id}/review-flags",
    "referrals GET /v1/openings",
    "notifications GET /v1/partners/{partner_id}/deliveries",
    "notifications GET /v1/partners/{partner_id}/pool/anonymous-counts",
    "console GET /console/partenaire",
    "console GET /console/partenaire/orientations/{referral_id}",
    "console GET /lien/{token}",
}
# The console's referral page discloses the contact details when asked to, by a POST with the session's token
# (a GET records nothing); the scan makes that POST beside each GET of the page, and the old GET query too.
CONSOLE_DISCLOSURE = ("/console/partenaire/orientations/{referral_id}", "/coordonnees")
OLD_DISCLOSURE_QUERY = "?coordonnees=1"
# Called and scanned, but they cannot answer without what the scenario has not got.
UNANSWERABLE = {"console GET /connexion/oidc/retour": "the OpenID Connect callback needs the provider's code and state"}
PASSWORD = "mot-de-passe-du-scan-2027"
LINK = re.compile(r"https?://[^/\s]+/lien/(\S+)")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- the newcomers and what identifies them ----------------------------------------------------------


@dataclass(frozen=True)
class Newcomer:
    label: str
    signing: dict[str, Any]

    @property
    def beneficiary_id(self) -> str:
        return str(self.signing["beneficiary_id"])

    @property
    def contact(self) -> dict[str, str]:
        return dict(self.signing["contact"])

    @property
    def identifying(self) -> dict[str, str]:
        """What identifies the person, by field: contact details, birth date (ISO) and beneficiary id."""
        return {**self.contact, "birth_date": str(self.signing["birth_date"]), "beneficiary_id": self.beneficiary_id}


def _newcomer(label: str, consent: bool) -> Newcomer:
    token = uuid.uuid4().hex[:8]
    digits = f"{random.randrange(10**8):08d}"
    contact = {
        "given_name": f"Maimouna{token}",
        "family_name": f"Keita{token}",
        "email": f"m.keita.{token}@example.org",
        "phone": "+33 6 " + " ".join(digits[i : i + 2] for i in range(0, 8, 2)),
    }
    born = date(2003, 1, 1) + timedelta(days=random.randrange(4 * 365))  # 19 to 23 at signing
    body = signing_body(department=DEPARTMENT, birth_date=born.isoformat(), consent_to_share=consent, contact=contact)
    return Newcomer(label, body)


def _spellings(value: str) -> set[str]:
    """The ways a value may be written on a surface: as is, URL-encoded, and a phone without separators."""
    found = {value, quote(value, safe=""), quote(value)}
    if re.fullmatch(r"\+?[0-9 ().-]+", value):
        found.add(re.sub(r"[^0-9+]", "", value))
    return found


@dataclass
class Scan:
    """Every text a partner surface showed, checked against the newcomers' identifying values."""

    newcomers: list[Newcomer]
    violations: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def check(
        self, kind: str, surface: str, text: str, allowed: frozenset[str] = frozenset(), *, again: bool = False
    ) -> None:
        """`allowed`: the values (not spellings) this surface may show; `again`: another reading of a text
        counted already."""
        self.counts[kind] += not again
        texts = (text, html.unescape(text))
        for person in self.newcomers:
            for name, value in person.identifying.items():
                if value not in allowed and any(s in t for s in _spellings(value) for t in texts):
                    self.violations.append(f"{kind} {surface}: the {person.label} newcomer's {name} ({value})")

    def leak(self, kind: str, surface: str, what: str) -> None:
        self.violations.append(f"{kind} {surface}: {what}")


# --- the routes a partner may call, from the OpenAPI documents and the routers' dependencies -----------


@dataclass(frozen=True)
class Route:
    service: str  # the service, or "console"
    path: str
    roles: frozenset[Role] | None  # None: public
    operation: dict[str, Any] | None = None  # the OpenAPI operation; None for the console

    @property
    def name(self) -> str:
        return f"{self.service} GET {self.path}"

    @property
    def partner_may_call(self) -> bool:
        return self.roles is None or Role.PARTNER in self.roles

    def _answers_with(self, schema: str) -> bool:
        ok = (self.operation or {}).get("responses", {}).get("200", {})
        return f'"#/components/schemas/{schema}"' in json.dumps(ok)

    @property
    def is_referral_view(self) -> bool:
        return self._answers_with("PartnerReferralView")

    @property
    def is_disclosure(self) -> bool:
        return self._answers_with("ContactDetails")


def _admitted_roles(dependant: Dependant) -> frozenset[Role] | None:
    """The roles a route admits: what every role check in its dependency tree allows (`require(...)` of
    shared/http/auth.py for keys, `_role(...)` of the console's sessions.py); None when none is there."""
    admitted: frozenset[Role] | None = None
    pending = [dependant]
    while pending:
        current = pending.pop()
        code = getattr(current.call, "__code__", None)
        if current.call is not None and code is not None and "roles" in code.co_freevars:
            roles = inspect.getclosurevars(current.call).nonlocals["roles"]
            assert all(isinstance(r, Role) for r in roles), current.call
            admitted = frozenset(roles) if admitted is None else admitted & frozenset(roles)
        pending.extend(current.dependencies)
    return admitted


def _routers_of(package_name: str) -> dict[str, frozenset[Role] | None]:
    """GET path -> roles, for every route of the routers of a package's modules."""
    package = importlib.import_module(package_name)
    found: dict[str, frozenset[Role] | None] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        router = getattr(importlib.import_module(f"{package_name}.{module_info.name}"), "router", None)
        if isinstance(router, APIRouter):
            for route in router.routes:
                if isinstance(route, APIRoute) and "GET" in (route.methods or ()):
                    found[route.path] = _admitted_roles(route.dependant)
    return found


async def _get_routes(stack: ServiceStack) -> list[Route]:
    routes = []
    async with httpx.AsyncClient(timeout=10) as client:
        for service in PARTNER_API_SERVICES:
            document = (await client.get(f"{stack.url(service)}/openapi.json")).json()
            declared = _routers_of(f"services.{service}.entrypoints")
            for path, operations in document["paths"].items():
                if "get" not in operations:
                    continue
                operation = operations["get"]
                if not operation.get("security"):
                    routes.append(Route(service, path, None, operation))
                    continue
                assert path in declared, f"{service} GET {path} is protected, but not by an entrypoint router"
                routes.append(Route(service, path, declared[path] or frozenset(Role), operation))
    for path, roles in _routers_of(CONSOLE_PACKAGE).items():
        routes.append(Route("console", path, roles))
    return routes


def _paths(route: Route, values: dict[str, list[str]]) -> list[str]:
    """The route's path for every combination of the scenario's values of its path parameters."""
    parameters = (route.operation or {}).get("parameters", [])
    required_queries = [p["name"] for p in parameters if p["in"] == "query" and p.get("required")]
    assert not required_queries, f"{route.name}: the scan does not know how to fill the query {required_queries}"
    names = re.findall(r"\{(\w+)\}", route.path)
    unknown = [name for name in names if not values.get(name)]
    assert not unknown, f"{route.name}: the scan has no value for {unknown}; give it one from the scenario"
    paths = [
        route.path.format(**dict(zip(names, combo, strict=True)))
        for combo in itertools.product(*(values[n] for n in names))
    ]
    if route.service == "console" and route.path == CONSOLE_DISCLOSURE[0]:
        paths += [f"{path}{suffix}" for path in paths for suffix in (CONSOLE_DISCLOSURE[1], OLD_DISCLOSURE_QUERY)]
    return paths


# --- the scenario ----------------------------------------------------------------------------------------


@dataclass
class World:
    stack: ServiceStack
    owner: str
    watcher: str
    keys: dict[str, dict[str, str]]  # partner -> Authorization header
    sessions: dict[str, httpx.Cookies]  # partner -> a signed-in console session
    opening_id: str
    consenting: Newcomer
    refusing: Newcomer
    withdrawing: Newcomer
    referral_of: dict[str, str]  # beneficiary id -> referral id
    subscription_of: dict[str, str]  # partner -> subscription id
    receiver_of: dict[str, WebhookReceiver]
    owner_email: str
    link_tokens: list[str] = field(default_factory=list)

    @property
    def newcomers(self) -> list[Newcomer]:
        return [self.consenting, self.refusing, self.withdrawing]

    def referral(self, person: Newcomer) -> str:
        return self.referral_of[person.beneficiary_id]

    def client(self, service: str, partner: str | None = None) -> httpx.AsyncClient:
        """An API client with the partner's key; for the console, with its signed-in session."""
        if service == "console":
            cookies = self.sessions[partner] if partner else None
            return httpx.AsyncClient(base_url=self.stack.url("referrals"), cookies=cookies, timeout=10)
        headers = self.keys[partner] if partner else {}
        return httpx.AsyncClient(base_url=self.stack.url(service), headers=headers, timeout=10)


@pytest.fixture
def receivers() -> Iterator[tuple[WebhookReceiver, WebhookReceiver]]:
    endpoints = (WebhookReceiver(), WebhookReceiver())
    for endpoint in endpoints:
        endpoint.start()  # each learns its secret once subscribed; nothing is sent before
    yield endpoints
    for endpoint in endpoints:
        endpoint.stop()


async def _register(base_url: str, partner: str, email: str | None) -> tuple[dict[str, str], httpx.Cookies]:
    """The partner, an API key, and a staff account signed in to the console."""
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=10) as admin:
        body = {"partner_id": partner, "name": partner} | ({"email": email} if email else {})
        assert (registered := await admin.post("/v1/admin/partners", json=body)).status_code == 201, registered.text
        account = {"login": f"{partner}.equipe", "name": "Équipe", "role": "partner", "password": PASSWORD,
                   "partner_id": partner}  # fmt: skip
        assert (created := await admin.post("/v1/admin/accounts", json=account)).status_code == 201, created.text
    key = {"Authorization": f"Bearer {await issue_partner_key(base_url, partner)}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as browser:
        form = await browser.get("/connexion")
        token = CSRF.search(form.text)
        assert token is not None, form.text[:500]
        signed_in = await browser.post(
            "/connexion",
            data={"identifiant": account["login"], "mot_de_passe": PASSWORD, "csrf_token": token.group(1),
                  "suivant": "/console/partenaire"},
        )  # fmt: skip
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console/partenaire", signed_in.text
        return key, browser.cookies


async def _subscribe(api: httpx.AsyncClient, world: World, partner: str) -> None:
    receiver = world.receiver_of[partner]
    body = {"kafka": True, "webhook_url": receiver.url, "filters": {"departments": [DEPARTMENT]}}
    response = await api.post(f"/v1/partners/{partner}/subscriptions", json=body)
    assert response.status_code == 201, response.text
    receiver.secret = response.json()["webhook_secret"]
    world.subscription_of[partner] = response.json()["subscription_id"]

    async def notifications_knows_it() -> bool:
        async with world.client("notifications", partner) as client:
            counts = await client.get(f"/v1/partners/{partner}/pool/anonymous-counts")
        return world.subscription_of[partner] in counts.json()

    await eventually(notifications_knows_it, what=f"{partner}'s subscription in notifications")


async def _scenario_until_proposed(
    api: httpx.AsyncClient, stack: ServiceStack, receivers: tuple[WebhookReceiver, WebhookReceiver]
) -> World:
    base_url = stack.url("referrals")
    owner, watcher = random_ref("mini-own")[:18], random_ref("mini-pool")[:18]
    owner_email = f"accueil@{owner}.example.org"
    owner_key, owner_session = await _register(base_url, owner, owner_email)
    watcher_key, watcher_session = await _register(base_url, watcher, None)
    opening = await open_opening(api, stack, DEPARTMENT, partner_id=owner)
    world = World(
        stack, owner, watcher, {owner: owner_key, watcher: watcher_key},
        {owner: owner_session, watcher: watcher_session}, opening["opening_id"],
        _newcomer("consenting", consent=True), _newcomer("refusing", consent=False),
        _newcomer("withdrawing", consent=True), {}, {}, dict(zip((owner, watcher), receivers, strict=True)),
        owner_email,
    )  # fmt: skip
    for partner in (owner, watcher):
        await _subscribe(api, world, partner)
    for person in world.newcomers:
        signed = await api.post("/v1/cir-signings", json=person.signing)
        assert signed.status_code == 202, signed.text
    for person in world.newcomers:
        [referral] = await referrals_of(api, person.beneficiary_id)
        assert (referral["partner_id"], referral["status"]) == (owner, "sent")
        world.referral_of[person.beneficiary_id] = referral["referral_id"]
    return world


def _kinds(receiver: WebhookReceiver) -> Counter[tuple[str, str | None]]:
    return Counter((d.body.get("type", "candidate"), d.body.get("entry_kind")) for d in receiver.delivered())


def _ours(world: World) -> set[bytes]:
    return {referral.encode() for referral in world.referral_of.values()}


async def _until_delivered(world: World, smtp_sink: SmtpSink) -> None:
    """The referral and pool entries on their topics and by webhook, the count, the e-mails: all out."""
    bootstrap, ours = world.stack.infrastructure.kafka_bootstrap_servers, _ours(world)
    owned = await collect_records(
        bootstrap, partner_candidates_topic(world.owner).name, lambda r: r.key in ours, want=3
    )
    assert len(owned) == 3, owned
    pooled = await collect_records(
        bootstrap, partner_candidates_topic(world.watcher).name, lambda r: r.key in ours, want=2
    )
    assert {r.key.decode() for r in pooled} == {world.referral(world.consenting), world.referral(world.withdrawing)}

    async def webhooks_in() -> bool:
        return _kinds(world.receiver_of[world.owner]) == {("candidate", "referral"): 3} and _kinds(
            world.receiver_of[world.watcher]
        ) == {("candidate", "pool"): 2}

    await eventually(webhooks_in, what="the referral webhooks to the partner and the pool webhooks to the watcher")

    async def counted() -> bool:
        async with world.client("notifications", world.watcher) as client:
            counts = (await client.get(f"/v1/partners/{world.watcher}/pool/anonymous-counts")).json()
        return bool(counts == {world.subscription_of[world.watcher]: 1})  # the refusing newcomer, only counted

    await eventually(counted, what="the refusing newcomer in the watcher's anonymous count")

    async def mailed() -> list[Any] | None:
        found = smtp_sink.to(world.owner_email)
        return found if len(found) >= 3 else None

    for message in await eventually(mailed, what="the e-mails to the partner"):
        link = LINK.search(message.get_content())
        assert link is not None, message.get_content()
        world.link_tokens.append(link.group(1))


async def _withdraw(api: httpx.AsyncClient, world: World) -> None:
    """The withdrawing newcomer takes back both consents, before the partner answers."""
    change = {"contact_with_accepting_partner": False, "candidate_pools": False, "channel": "phone"}
    answer = await api.put(f"/v1/beneficiaries/{world.withdrawing.beneficiary_id}/consent", json=change)
    assert answer.status_code == 200, answer.text
    bootstrap, key = world.stack.infrastructure.kafka_bootstrap_servers, world.referral(world.withdrawing).encode()
    records = await collect_records(
        bootstrap, partner_candidates_topic(world.watcher).name, lambda r: r.key == key, want=2
    )
    assert [r.value is None for r in records] == [False, True]  # the pool entry, then its tombstone

    async def withdrawn() -> bool:
        return _kinds(world.receiver_of[world.watcher]).get(("candidate.withdrawn", None)) == 1

    await eventually(withdrawn, what="the candidate.withdrawn webhook to the watcher")


# --- scanning HTTP answers -------------------------------------------------------------------------------


def _views(value: Any) -> Iterator[dict[str, Any]]:
    """Every object that names a referral and a beneficiary_id, at any depth."""
    if isinstance(value, dict):
        if "referral_id" in value and "beneficiary_id" in value:
            yield value
        for inner in value.values():
            yield from _views(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _views(inner)


def _scan_answer(scan: Scan, world: World, kind: str, surface: str, response: httpx.Response, views: bool) -> bool:
    """An HTTP answer to a partner. `views`: it holds referral views of accepted referrals, where the
    consenting newcomer's beneficiary_id must show; that field is taken out, the rest scanned, and the raw
    text too. True when the answer did identify the consenting newcomer."""
    allowed: set[str] = set()
    identified = False
    try:
        body = response.json()
    except ValueError:
        body = None
    for view in _views(body):
        person = next((p for p in world.newcomers if world.referral(p) == view["referral_id"]), None)
        if person is None:
            continue  # another test's referral: its text is scanned below like the rest
        shown = view["beneficiary_id"]
        if views and person is world.consenting:
            identified = shown == person.beneficiary_id
            if not identified:
                scan.leak(kind, surface, f"the accepted, consenting newcomer is not identified ({shown!r})")
        elif shown is not None:
            scan.leak(kind, surface, f"beneficiary_id {shown!r} of the {person.label} newcomer")
            continue
        if shown is not None:
            allowed.add(shown)
            view["beneficiary_id"] = None
    if allowed:  # the raw text shows a beneficiary_id where it may: scan the rest without it
        scan.check(kind, surface + " (besides beneficiary_id)", json.dumps(body, ensure_ascii=False), again=True)
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    scan.check(kind, surface, f"{headers}\n\n{response.text}", frozenset(allowed))
    return identified


def _values(world: World, partner: str, jobs: list[str]) -> dict[str, list[str]]:
    """What the scenario gives each path parameter, for this partner."""
    return {
        "partner_id": [partner],
        "referral_id": [world.referral(p) for p in world.newcomers],
        "opening_id": [world.opening_id],
        "subscription_id": [world.subscription_of[partner]],
        "job_id": jobs,
        "token": world.link_tokens,
        "beneficiary_id": [p.beneficiary_id for p in world.newcomers],
    }


def _disclosure(route: Route, path: str) -> bool:
    return route.is_disclosure or (route.service == "console" and path.endswith(CONSOLE_DISCLOSURE[1]))


async def _ask(client: httpx.AsyncClient, route: Route, path: str) -> httpx.Response:
    """A GET, or for the console's disclosure the POST a person's click makes (with the session's token)."""
    if route.service == "console" and path.endswith(CONSOLE_DISCLOSURE[1]):
        token = CSRF.search((await client.get("/console/partenaire")).text)
        assert token is not None
        return await client.post(path, data={"csrf_token": token.group(1)})
    return await client.get(path)


async def _scan_routes(scan: Scan, world: World, routes: list[Route], phase: str, answered: set[str]) -> None:
    """Every route as each partner, path parameters from the scenario; those not for partners must refuse."""
    identified_on: set[str] = set()
    for partner in (world.owner, world.watcher):
        caller = "partner" if partner == world.owner else "watcher"
        async with world.client("notifications", partner) as notifications:
            jobs = [job["job_id"] for job in (await notifications.get(f"/v1/partners/{partner}/deliveries")).json()]
        for route in routes:
            async with world.client(route.service, partner) as client:
                for path in _paths(route, _values(world, partner, jobs)):
                    response = await _ask(client, route, path)
                    kind = "page" if route.service == "console" else "api"
                    surface = f"{route.name} [{path} as the {caller}, {phase}]"
                    assert response.status_code < 500, f"{surface}: {response.status_code} {response.text[:300]}"
                    if not route.partner_may_call:
                        assert response.status_code == 403, f"{surface} should refuse a partner: {response.text[:300]}"
                        scan.check(kind, surface, response.text)
                        continue
                    if response.status_code < 400:
                        answered.add(route.name)
                    accepted_owner = phase == "accepted" and partner == world.owner
                    if _disclosure(route, path):
                        if accepted_owner and world.referral(world.consenting) in path:  # the one disclosure
                            assert response.status_code == 200, f"{surface}: {response.text[:300]}"
                            contact = world.consenting.contact
                            if route.is_disclosure:
                                assert response.json() == contact, surface
                            shown = [name for name, value in contact.items() if html.escape(value) in response.text]
                            assert shown == list(contact), f"{surface} discloses only {shown}"
                            scan.check(kind, surface, response.text, frozenset(contact.values()))
                            continue
                        if route.is_disclosure:
                            assert response.status_code in (403, 404), f"{surface} disclosed: {response.text[:300]}"
                    views = accepted_owner and route.is_referral_view
                    if _scan_answer(scan, world, kind, surface, response, views):
                        identified_on.add(route.name)
    if phase == "accepted":
        shown_on = {r.name for r in routes if r.partner_may_call and r.is_referral_view}
        assert identified_on == shown_on, f"the consenting newcomer identified on {identified_on}, not {shown_on}"


async def _accept_all(scan: Scan, world: World) -> None:
    """The partner lists its referrals, reads each one, then accepts it: every answer is a partner surface."""
    async with world.client("referrals", world.owner) as client:
        listed = await client.get(f"/v1/partners/{world.owner}/referrals?status=sent")
        assert listed.status_code == 200
        assert {v["referral_id"] for v in listed.json()} >= set(world.referral_of.values())
        _scan_answer(scan, world, "api", f"GET /v1/partners/{world.owner}/referrals?status=sent", listed, False)
        for person in world.newcomers:
            referral_id = world.referral(person)
            read = await client.get(f"/v1/referrals/{referral_id}")
            assert read.status_code == 200, read.text
            _scan_answer(scan, world, "api", f"GET /v1/referrals/{referral_id} [before accepting]", read, False)
            early = await client.get(f"/v1/referrals/{referral_id}/contact")
            assert early.status_code == 403 and "once the referral is accepted" in early.text
            accepted = await client.post(f"/v1/referrals/{referral_id}/accept")
            assert accepted.status_code == 200, accepted.text
            surface = f"POST /v1/referrals/{referral_id}/accept [the {person.label} newcomer's]"
            assert _scan_answer(scan, world, "api", surface, accepted, True) is (person is world.consenting)


# --- scanning topics, webhooks and e-mails ---------------------------------------------------------------


async def _read_to_end(bootstrap: str, topics: set[str]) -> list[ConsumerRecord[Any, Any]]:
    """Every record of `topics`, from the start to their end offsets at the time of asking."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # metadata for every topic
        partitions = [TopicPartition(t, p) for t in sorted(topics) for p in consumer.partitions_for_topic(t) or ()]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[Any, Any]] = []

        async def read() -> bool:
            batches = await consumer.getmany(timeout_ms=300)
            records.extend(r for batch in batches.values() for r in batch)
            return all([await consumer.position(tp) >= ends[tp] for tp in partitions])

        await eventually(read, timeout_s=20, what=f"the end of {len(topics)} partner topics")
        return records
    finally:
        await consumer.stop()


def _readable_by(partner: str, existing: set[str]) -> set[str]:
    """The topics the partner's KafkaUser ACLs let it read."""
    readable = set()
    for acl in partner_user(partner)["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        if resource["type"] != "topic" or "Read" not in acl["operations"]:
            continue
        if resource["patternType"] == "literal":
            readable.add(resource["name"])
        else:
            readable |= {t for t in existing if t.startswith(resource["name"])}
    return readable


async def _scan_topics(scan: Scan, world: World) -> None:
    bootstrap = world.stack.infrastructure.kafka_bootstrap_servers
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        existing = set(await consumer.topics())
    finally:
        await consumer.stop()
    topics = {t for t in existing if PARTNER_TOPIC.match(t)}
    topics |= {t for partner in (world.owner, world.watcher) for t in _readable_by(partner, existing)}
    assert {partner_candidates_topic(p).name for p in (world.owner, world.watcher)} <= topics
    for record in await _read_to_end(bootstrap, topics):
        surface = f"{record.topic}@{record.partition}:{record.offset}"
        headers = " ".join(f"{k}={v.decode(errors='replace')}" for k, v in record.headers)
        value = record.value.decode() if record.value is not None else ""
        scan.check("record", surface, f"{(record.key or b'').decode()}\n{headers}\n{value}")
        if record.value is not None and (personal := PERSONAL_FIELDS & all_keys(json.loads(record.value))):
            scan.leak("record", surface, f"personal fields {sorted(personal)}")


def _scan_webhooks(scan: Scan, world: World) -> None:
    for partner, receiver in world.receiver_of.items():
        for attempt in receiver.attempts:
            surface = f"{attempt.body.get('type', 'candidate')} to {partner} ({attempt.body.get('referral_id')})"
            scan.check("webhook", surface, json.dumps(attempt.body, ensure_ascii=False))
            if personal := PERSONAL_FIELDS & all_keys(attempt.body):
                scan.leak("webhook", surface, f"personal fields {sorted(personal)}")


def _scan_mail(scan: Scan, world: World, smtp_sink: SmtpSink) -> None:
    for message in smtp_sink.to(world.owner_email):
        scan.check("mail", f"e-mail {message['Subject']}", f"{message['Subject']}\n{message.get_content()}")


# --- the test ----------------------------------------------------------------------------------------------


async def test_no_partner_surface_identifies_a_newcomer_but_the_one_disclosure(
    api: httpx.AsyncClient,
    stack: ServiceStack,
    receivers: tuple[WebhookReceiver, WebhookReceiver],
    smtp_sink: SmtpSink,
) -> None:
    routes = await _get_routes(stack)
    partner_routes = [r for r in routes if r.partner_may_call]
    assert {r.name for r in partner_routes} >= KNOWN_PARTNER_GET_ROUTES
    assert [r.path for r in partner_routes if r.is_disclosure] == ["/v1/referrals/{referral_id}/contact"]
    assert [r for r in partner_routes if r.is_referral_view], "no route shows a partner its referrals"

    world = await _scenario_until_proposed(api, stack, receivers)
    scan = Scan(world.newcomers)
    await _until_delivered(world, smtp_sink)
    await _withdraw(api, world)
    answered: set[str] = set()
    await _scan_routes(scan, world, routes, "proposed", answered)
    await _accept_all(scan, world)
    await _scan_routes(scan, world, routes, "accepted", answered)
    await _scan_topics(scan, world)
    _scan_webhooks(scan, world)
    _scan_mail(scan, world, smtp_sink)

    never = sorted({r.name for r in partner_routes} - answered - set(UNANSWERABLE))
    assert not never, f"partner routes that never answered, so were never really scanned: {never}"
    print(f"\nminimisation scan of {len(partner_routes)} partner GET routes, {dict(scan.counts)}:")
    print("\n".join(sorted(r.name for r in partner_routes)))
    assert not scan.violations, "identifying data on partner surfaces:\n" + "\n".join(scan.violations)
