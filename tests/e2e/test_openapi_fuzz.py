"""Schemathesis against the running referrals service: every operation of its /openapi.json, fed generated
valid and invalid requests, never answers 5xx and answers as the document says (status, content type, body).

- Python API, not `schemathesis.pytest.from_fixture`: with the pinned pytest 9.2 the lazy loader fails
  (`'Function' object has no attribute '_nodeid'`), and the document only exists once `stack` runs.
  Each operation gets its own Hypothesis run: positive cases, negative cases, and positive cases on real
  objects (below); the first failure of each operation is collected and all are reported together.
- Auth-aware: each request carries the key of the caller the operation is for (admin for /v1/admin, an ops
  key for /v1/ops/state, the fuzz partner for partner operations, an auditor otherwise), so requests reach
  the code behind authentication. Negative cases may drop or spoil the key, and a random partner id is
  refused, so some 401/403 are right; the test fails if a request carrying our key gets a 401, or if half
  of all answers are 401/403.
- Shared stack, so nothing the fuzz creates may reach another test: the other tests isolate themselves by
  département and 976 is kept for the fuzz. Before a request is sent, every valid département in a signing,
  an opening's rules or a subscription's filters becomes 976, an absent rule or filter is set to 976, every
  valid partner id in a body becomes the fuzz partner and every valid webhook URL points at a closed local
  port (valid values stay valid and invalid ones invalid, so each case keeps its positive or negative
  nature). Key revocation never sees a real key id. PUT /v1/ops/clock (only in stacks with a test clock)
  is left out: it moves time for every test.
- Real objects: a fixture publishes an opening in 976 and records signings there; a third of the cases use
  those real ids (and the fuzz partner) as path parameters, so referral actions, contact disclosure and
  subscriptions are exercised past their 404.
- Bounded and repeatable: derandomised, a fixed number of examples per operation, no deadline, no shrinking
  (each shrink step would be another request); the report names the first failing request as generated.
- Every error status an operation gives must be declared in the document (shared/http/errors.py); the
  cross-field rules the document cannot express are the only excused answers (CROSS_FIELD_RULES)."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance, status_code_conformance

from passerelle.stack import ServiceStack
from shared.contract.events import Eligibility
from shared.contract.vocabulary import FrenchLevel
from tests.e2e.access import ADMIN, issue_auditor_key, issue_partner_key
from tests.e2e.steps import openings_known
from tests.factories import epide_opening, signing_body
from tests.support import eventually, random_ref

FUZZ_DEPARTMENT = "976"
FUZZ_PARTNER = "fuzz-partner"
CLOSED_PORT_URL = "http://127.0.0.2:9/fuzz"  # an allowed receiver address (tests/conftest.py), closed port
EXAMPLES_PER_OPERATION = 25
FEWER_EXAMPLES = {"GET /v1/ops/state": 8}  # no parameters to vary, and each call reads the ops topics (~0.3 s)
EXCLUDED = {"PUT /v1/ops/clock"}
# Answered line by line: a body that is not a signing is a 200 whose lines say `invalid`, not a 422.
PER_LINE = {"POST /v1/cir-signings/batch"}
# JSON lines go on the wire as the text they are (the document's schema is a string).
schemathesis.serializer.alias("application/x-ndjson", "text/plain")
DEPARTMENT = re.compile(r"^(0[1-9]|1[0-9]|2[1-9]|[3-8][0-9]|9[0-5]|2A|2B|97[1-6])$")
PARTNER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
KEY_ID = re.compile(r"^[0-9a-f]{12}$")
PARTNER_ACTION = re.compile(
    r"^/v1/referrals/\{referral_id\}/(accept|waitlist|enrol|complete|drop-out|decline|outcome|contact)$"
)
REFUSED = {401, 403}

# Statuses the service gives by design that /openapi.json does not declare, per operation. The fix belongs
# where the routes declare their responses (`responses=` on each route); until then the status-code check
# is skipped for exactly these statuses on these operations.
# Statuses the service gives that its document does not declare, per operation. Empty: every error status
# is declared (shared/http/errors.py); an entry here would be a documentation bug to fix, not to excuse.
UNDOCUMENTED: dict[str, set[int]] = {}


RSA_DATE_RULE = "rsa_applied_on given but rsa_applicant is false"  # a date of application implies one
# Rules across fields that the OpenAPI document does not express, so a schema-valid body can get a 422.
# (POST /v1/cir-signings has its date rules and the openings their min ≤ max: see _plausible_dates and
# _rules_in_order, which make the positive cases follow them.)
CROSS_FIELD_RULES = {
    "POST /v1/referrals/{referral_id}/decline": ("note is required when reason is 'other'",),
    "POST /v1/partners/{partner_id}/subscriptions": ("give a webhook_url or keep kafka true",),
    "POST /v1/referrals/{referral_id}/enrol": ("note is required when started_early is true",),
    # an auditor's account needs a territory, a partner's an existing structure
    "POST /v1/admin/accounts": ("un auditeur a un territoire", "structure inconnue", "appartient à une structure"),
    "PUT /v1/beneficiaries/{beneficiary_id}/profile": ("la date de signature ne se modifie pas", RSA_DATE_RULE),
    "POST /v1/cir-signings": (RSA_DATE_RULE,),
}


@dataclass
class FuzzWorld:
    keys: dict[str, dict[str, str]]  # role -> headers
    known: dict[str, list[str]]  # path parameter -> real values


@pytest.fixture(scope="module")
async def fuzz_world(stack: ServiceStack) -> AsyncIterator[FuzzWorld]:
    """Keys for every role, and real objects of the fuzz partner in the fuzz's département."""
    base_url = stack.url("referrals")
    auditor = {"Authorization": f"Bearer {await issue_auditor_key(base_url)}"}
    partner = {"Authorization": f"Bearer {await issue_partner_key(base_url, FUZZ_PARTNER)}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        ops_key = (await client.post("/v1/admin/ops-keys", headers=ADMIN)).json()["api_key"]
        rules = Eligibility(min_age=17, max_age=30, departments=[FUZZ_DEPARTMENT])
        opening = epide_opening(
            opening_id=random_ref("fuzz"), programme="Fuzz programme", partner_id=FUZZ_PARTNER,
            department=FUZZ_DEPARTMENT, seats=500, eligibility=rules,
        ).model_dump(mode="json")  # fmt: skip
        known_before = await openings_known(stack)
        created = await client.post("/v1/openings", json=opening, headers=partner)
        assert created.status_code == 201, created.text

        async def matching_knows_it() -> bool:
            return await openings_known(stack) > known_before

        await eventually(matching_knows_it, what="the fuzz's opening in matching's view")
        signings = [signing_body(department=FUZZ_DEPARTMENT, birth_date="2004-01-01") for _ in range(3)]
        for body in signings:
            recorded = await client.post("/v1/cir-signings", json=body, headers=auditor)
            assert recorded.status_code == 202, recorded.text

        async def referred() -> list[str] | None:
            ids = []
            for body in signings:
                view = await client.get(f"/v1/beneficiaries/{body['beneficiary_id']}/referrals", headers=auditor)
                ids += [r["referral_id"] for r in view.json()["referrals"]]
            return ids if len(ids) >= len(signings) else None

        referral_ids = await eventually(referred, what="the fuzz's referrals")
        subscribed = await client.post(
            f"/v1/partners/{FUZZ_PARTNER}/subscriptions",
            json={"filters": {"departments": [FUZZ_DEPARTMENT]}, "kafka": True},
            headers=partner,
        )
        assert subscribed.status_code == 201, subscribed.text
    yield FuzzWorld(
        keys={"admin": ADMIN, "auditor": auditor, "partner": partner, "ops": {"Authorization": f"Bearer {ops_key}"}},
        known={
            "referral_id": referral_ids,
            "beneficiary_id": [b["beneficiary_id"] for b in signings],
            "opening_id": [opening["opening_id"]],
            "partner_id": [FUZZ_PARTNER],
            "subscription_id": [subscribed.json()["subscription_id"]],
        },
    )


def _role(method: str, path: str) -> str:
    """Whom the operation is for, hence whose key the request carries."""
    if path.startswith("/v1/admin"):
        return "admin"
    if path == "/v1/ops/state":
        return "ops"
    if path.startswith("/v1/partners/") or PARTNER_ACTION.match(path):
        return "partner"
    if path.startswith("/v1/openings") and method in ("POST", "PUT"):
        return "partner"
    return "auditor"


def _departments(value: Any) -> Any:
    """A valid list of départements (or none, meaning all) becomes the fuzz's; an invalid one stays invalid."""
    if value is None or (isinstance(value, list) and all(isinstance(d, str) and DEPARTMENT.match(d) for d in value)):
        return [FUZZ_DEPARTMENT]
    return value


def _plausible_dates(body: dict[str, Any]) -> None:
    """A valid signing is in the past, by someone aged 16 to 100 at the time (the document cannot say so):
    without this almost every generated signing is refused with 422 and the success path is hardly fuzzed.
    The generated dates still choose where in that window the case falls."""
    try:
        born, signed = date.fromisoformat(body["birth_date"]), date.fromisoformat(body["cir_signed_on"])
    except (KeyError, TypeError, ValueError):
        return
    signed = date.today() - timedelta(days=signed.toordinal() % 3650)
    born = signed - timedelta(days=17 * 366 + born.toordinal() % (80 * 365))
    body["birth_date"], body["cir_signed_on"] = born.isoformat(), signed.isoformat()


def _rules_in_order(rules: dict[str, Any]) -> None:
    """A valid opening's minimum is not above its maximum (age, French level): the document cannot say so."""
    low, high = rules.get("min_age"), rules.get("max_age")
    numbers = (int, float)  # JSON numbers: the generator writes 55.0 as readily as 55
    if isinstance(low, numbers) and isinstance(high, numbers) and low > high:
        rules["min_age"], rules["max_age"] = high, low
    order = [level.value for level in FrenchLevel]
    low, high = rules.get("min_french"), rules.get("max_french")
    if low in order and high in order and order.index(low) > order.index(high):
        rules["min_french"], rules["max_french"] = high, low


def _confine(case: schemathesis.Case) -> None:
    """Keep whatever the case could create inside the fuzz's département and partner."""
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    key_id = (case.path_parameters or {}).get("key_id")
    if isinstance(key_id, str) and KEY_ID.match(key_id):
        case.path_parameters["key_id"] = f"x{key_id}"  # never a real key id: revoking one would hit another test
    body = case.body
    if not isinstance(body, dict):
        return
    department, partner_id, webhook_url = body.get("department"), body.get("partner_id"), body.get("webhook_url")
    if isinstance(department, str) and DEPARTMENT.match(department):
        body["department"] = FUZZ_DEPARTMENT
    path = case.operation.path
    if path.startswith("/v1/openings") and isinstance(partner_id, str) and PARTNER_ID.match(partner_id):
        body["partner_id"] = FUZZ_PARTNER
    if path in ("/v1/openings", "/v1/openings/{opening_id}"):
        rules = body.setdefault("eligibility", {})
        if isinstance(rules, dict):
            rules["departments"] = _departments(rules.get("departments"))
            if positive:
                _rules_in_order(rules)
    if path.endswith("/subscriptions"):
        filters = body.setdefault("filters", {})
        if isinstance(filters, dict):
            filters["departments"] = _departments(filters.get("departments"))
        if isinstance(webhook_url, str) and "://" in webhook_url:
            body["webhook_url"] = CLOSED_PORT_URL
    profile_put = case.operation.label == "PUT /v1/beneficiaries/{beneficiary_id}/profile"
    if positive and (case.operation.label == "POST /v1/cir-signings" or profile_put):
        _plausible_dates(body)
    if profile_put and isinstance(body.get("beneficiary_id"), str):
        case.path_parameters["beneficiary_id"] = body["beneficiary_id"]  # the body's id wins, as for openings
    if case.operation.label == "PUT /v1/openings/{opening_id}" and isinstance(body.get("opening_id"), str):
        # The path and the body name the same opening (the schema cannot say so): the body's id wins.
        case.path_parameters["opening_id"] = body["opening_id"]


def _cases(operation: Any, known: dict[str, list[str]]) -> st.SearchStrategy[schemathesis.Case]:
    """Positive cases, negative cases, and positive cases on the fuzz's real objects, a third each."""
    strategies = [operation.as_strategy()]
    if operation.label not in PER_LINE:  # any bytes are text: nothing on the wire violates a string body
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    names = [p.name for p in operation.path_parameters]
    if names and all(name in known for name in names):
        on_real = []
        for i in range(max(len(known[name]) for name in names)):
            fixed = {name: known[name][i % len(known[name])] for name in names}
            if operation.label == "PUT /v1/openings/{opening_id}":
                on_real.append(operation.as_strategy().map(lambda c, f=fixed: _same_opening(c, f)))
            else:
                on_real.append(operation.as_strategy(path_parameters=fixed))
        strategies.append(st.one_of(on_real))
    return st.one_of(strategies)


def _same_opening(case: schemathesis.Case, fixed: dict[str, str]) -> schemathesis.Case:
    if isinstance(case.body, dict):
        case.body["opening_id"] = fixed["opening_id"]
    return case


def _known_gaps(case: schemathesis.Case, response: schemathesis.Response) -> list[schemathesis.CheckFunction]:
    """The checks a known documentation gap would fail for this answer (the answer itself is right)."""
    label, status = case.operation.label, response.status_code
    body = response.json() if response.headers.get("content-type", [""])[0].startswith("application/json") else None
    detail = body.get("detail") if isinstance(body, dict) else None
    excluded: list[schemathesis.CheckFunction] = []
    if status in UNDOCUMENTED.get(label, set()):
        excluded.append(status_code_conformance)
        if status >= 400:
            assert isinstance(detail, str), f"{label} {status}: not FastAPI's error body: {response.text}"
    rule = CROSS_FIELD_RULES.get(label)
    if (
        status == 422
        and rule is not None
        and isinstance(detail, list)
        and any(r in e["msg"] for r in rule for e in detail)
    ):
        excluded.append(positive_data_acceptance)
    return excluded


def test_the_referrals_api_answers_every_request_as_documented(stack: ServiceStack, fuzz_world: FuzzWorld) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.url('referrals')}/openapi.json")
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), [r for r in results if not isinstance(r, Ok)]
    operations = [result.ok() for result in results if isinstance(result, Ok) and result.ok().label not in EXCLUDED]
    assert len(operations) >= 30, [op.label for op in operations]
    answers: Counter[tuple[str, int]] = Counter()
    refused_with_our_key: list[str] = []
    failures: list[str] = []
    seconds: dict[str, float] = {}

    for operation in operations:

        @settings(
            max_examples=FEWER_EXAMPLES.get(operation.label, EXAMPLES_PER_OPERATION),
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_cases(operation, fuzz_world.known))
        def exercise(case: schemathesis.Case) -> None:
            _confine(case)
            headers = fuzz_world.keys[_role(case.method.upper(), case.operation.path)]
            response = case.call(headers=headers)
            answers[(case.operation.label, response.status_code)] += 1
            # Negative cases may drop or spoil the key (a 401 is then right); with our key sent, never.
            if (
                response.status_code == 401
                and response.request.headers.get("Authorization") == headers["Authorization"]
            ):
                refused_with_our_key.append(f"{case.operation.label}: {response.text}")
            case.validate_response(
                response,
                headers=headers,
                excluded_checks=_known_gaps(case, response),
                transport_kwargs={"headers": headers},
            )

        started = time.monotonic()
        try:
            exercise()
        except (Exception, FailureGroup) as exc:
            failures.append(f"{operation.label}: {type(exc).__name__}: {exc}")
        seconds[operation.label] = time.monotonic() - started

    total = sum(answers.values())
    refused = sum(n for (_, status), n in answers.items() if status in REFUSED)
    print(f"\n{total} requests to {len(operations)} operations in {sum(seconds.values()):.1f} s; {refused} got 401/403")
    for (label, status), n in sorted(answers.items()):
        print(f"  {label:66} {status} x{n:<3} {seconds[label]:.1f} s")
    assert not failures, "\n\n".join(failures)
    assert not refused_with_our_key, refused_with_our_key
    assert refused / total < 0.5, "most requests should get past authentication: are the keys still good?"
    _assert_confined(stack, fuzz_world)


def _assert_confined(stack: ServiceStack, world: FuzzWorld) -> None:
    """What the fuzz created stayed in its département, no other opening serves it, and every service is up."""
    with httpx.Client(base_url=stack.url("referrals"), timeout=10) as client:
        for opening in client.get("/v1/openings").json():
            if opening["partner_id"] == FUZZ_PARTNER:
                assert opening["eligibility"]["departments"] == [FUZZ_DEPARTMENT], opening
            else:  # else that opening would take the fuzz's signings, and its test would see them
                departments = opening["eligibility"]["departments"]
                assert departments and FUZZ_DEPARTMENT not in departments, opening
        subscriptions = client.get(f"/v1/partners/{FUZZ_PARTNER}/subscriptions", headers=world.keys["partner"])
        for subscription in subscriptions.json():
            assert subscription["filters"]["departments"] == [FUZZ_DEPARTMENT], subscription
            assert subscription["webhook_url"] in (None, CLOSED_PORT_URL), subscription
    for name in stack.services:
        assert httpx.get(f"{stack.url(name)}/health", timeout=10).status_code == 200, f"{name} is down after the fuzz"


MAX_REQUEST_BYTES = 1024 * 1024  # the services' default (MAX_REQUEST_BYTES)


@pytest.mark.parametrize(("size", "expected"), [(MAX_REQUEST_BYTES - 512, 422), (MAX_REQUEST_BYTES + 1, 413)])
def test_every_body_near_and_over_the_limit_gets_a_documented_4xx(
    stack: ServiceStack, fuzz_world: FuzzWorld, size: int, expected: int
) -> None:
    """A body just under the limit is read and refused by its schema (422), one byte over is refused unread
    (413): never a 5xx, always a status the document declares, and the answer stays small."""
    schema = schemathesis.openapi.from_url(f"{stack.url('referrals')}/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]
    with_body = [op for op in operations if op.body and op.label not in EXCLUDED]
    assert len(with_body) >= 15, [op.label for op in with_body]
    padding = "x" * (size - len('{"padding": ""}'))
    wrong: list[str] = []
    for operation in with_body:
        path_parameters = {
            p.name: (fuzz_world.known.get(p.name) or ["nothing-here"])[0] for p in operation.path_parameters
        }
        if "partner_id" in path_parameters:
            path_parameters["partner_id"] = FUZZ_PARTNER
        case = operation.Case(path_parameters=path_parameters, body={"padding": padding}, media_type="application/json")
        headers = fuzz_world.keys[_role(case.method.upper(), operation.path)]
        response = case.call(headers=headers)
        wanted = 200 if operation.label in PER_LINE and expected == 422 else expected
        if response.status_code != wanted or len(response.content) > 2_000:
            wrong.append(f"{operation.label}: {response.status_code} {response.text[:200]}")
            continue
        case.validate_response(
            response, headers=headers, checks=[status_code_conformance], transport_kwargs={"headers": headers}
        )
    assert not wrong, "\n".join(wrong)
