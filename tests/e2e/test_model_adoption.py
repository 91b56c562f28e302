"""A model version that cannot be used is never adopted: published on matching.model.v1 to the running
stack, it is dead-lettered with the reason, matching scores on with the model it had, and newcomers are
still proposed openings."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import httpx
from aiokafka import AIOKafkaProducer

from passerelle.stack import ServiceStack
from services.matching.domain.success_model import prior_model
from services.matching.service_layer.history import TrainingReport
from shared.contract.cloudevents import new_attributes
from shared.contract.events import SuccessModelTrained
from shared.contract.topics import MATCHING_MODEL, OPS_DLQ
from shared.messaging.dead_letters import DLQ_ERROR_HEADER, DLQ_SERVICE_HEADER, DLQ_TOPIC_HEADER
from tests.e2e.steps import open_opening, referrals_of
from tests.factories import signing_body
from tests.support import collect_records, header

DEPARTMENT = "03"  # no other e2e test signs anyone here


async def matching_model(stack: ServiceStack) -> dict[str, object]:
    async with httpx.AsyncClient() as client:
        return dict((await client.get(f"{stack.url('matching')}/health")).json()["model"])


async def test_a_model_that_cannot_score_is_dead_lettered_and_proposals_go_on(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    bootstrap = stack.infrastructure.kafka_bootstrap_servers
    before = await matching_model(stack)
    version = random.randrange(10**6, 10**7)  # newer than any version a test could have published
    artefact = TrainingReport(prior_model(), 0, 0, "prior").artefact(version, 0, datetime.now(UTC))
    body = json.loads(artefact.model_dump_json())
    body["weights"][0] = float("nan")  # JSON that pydantic reads as NaN: a model that scores nothing
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        headers = new_attributes(SuccessModelTrained.EVENT_TYPE, "/e2e").as_headers()
        await producer.send_and_wait(
            MATCHING_MODEL.name, json.dumps(body).encode(), key=f"success-model-v{version}".encode(),
            headers=[(k, v.encode()) for k, v in headers.items()],
        )  # fmt: skip
    finally:
        await producer.stop()

    [dead] = await collect_records(
        bootstrap, OPS_DLQ.name, lambda r: f"modèle v{version} inutilisable" in (header(r, DLQ_ERROR_HEADER) or ""),
        want=1,
    )  # fmt: skip
    assert header(dead, DLQ_SERVICE_HEADER) == "matching" and header(dead, DLQ_TOPIC_HEADER) == MATCHING_MODEL.name
    assert "n'est pas un nombre fini" in (header(dead, DLQ_ERROR_HEADER) or "")
    assert await matching_model(stack) == before

    await open_opening(api, stack, department=DEPARTMENT)
    signing = signing_body(department=DEPARTMENT, birth_date="2005-03-14")
    assert (await api.post("/v1/cir-signings", json=signing)).status_code == 202
    [referral] = await referrals_of(api, signing["beneficiary_id"])
    assert referral["status"] == "sent"
