"""Partners' openings through the HTTP API; matching follows every change through the topic."""

from __future__ import annotations

import json
from datetime import date

import httpx
from data_inclusion.schema.v1 import Service, Structure

from passerelle.catalogue import load_catalogue
from passerelle.stack import ServiceStack
from shared.contract.events import Eligibility
from tests.e2e.steps import open_opening, referrals_of
from tests.factories import epide_opening, signing_body
from tests.support import eventually, random_ref


async def test_openings_can_be_listed_read_and_updated(api: httpx.AsyncClient, stack: ServiceStack) -> None:
    opening = await open_opening(api, stack, department="29", seats=3)

    listed = (await api.get("/v1/openings")).json()
    read = await api.get(f"/v1/openings/{opening['opening_id']}")
    updated = await api.put(f"/v1/openings/{opening['opening_id']}", json={**opening, "seats": 4})

    assert opening["opening_id"] in {o["opening_id"] for o in listed}
    assert read.json() == opening
    assert updated.status_code == 200
    assert (await api.get(f"/v1/openings/{opening['opening_id']}")).json()["seats"] == 4


async def test_raising_seats_on_a_full_opening_gives_the_seat_to_the_newcomer_waiting_for_it(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    opening = await open_opening(api, stack, department="56", seats=0)
    first = signing_body(department="56", birth_date="2004-01-01")
    await api.post("/v1/cir-signings", json=first)

    async def proposal_without_seat() -> bool:
        view = (await api.get(f"/v1/beneficiaries/{first['beneficiary_id']}/referrals")).json()
        return bool(view["proposal"]) and view["proposal"]["held"] is None

    await eventually(proposal_without_seat, what="a proposal with no seat")
    await api.put(f"/v1/openings/{opening['opening_id']}", json={**opening, "seats": 1})

    # The seat goes to the one who was waiting for it, not to whoever signs next.
    [referral] = await referrals_of(api, first["beneficiary_id"])
    assert referral["opening_id"] == opening["opening_id"]

    async def hsds_shows_the_seat_taken() -> bool:
        page = (await api.get("/v1/hsds/services", params={"per_page": 500})).json()
        mine = [s for s in page["contents"] if s["name"].endswith(opening["opening_id"])]
        return bool(mine) and mine[0]["capacities"][0]["maximum"] == 1 and mine[0]["capacities"][0]["available"] == 0

    await eventually(hsds_shows_the_seat_taken, what="the new capacity, taken, in the HSDS export")

    async def matching_sees_no_seat_left() -> bool:
        async with httpx.AsyncClient() as client:
            seats = await client.get(f"{stack.url('matching')}/seats", params={"opening_id": opening["opening_id"]})
        return seats.json() == {"opening_id": opening["opening_id"], "capacity": 1, "available": 0}

    await eventually(matching_sees_no_seat_left, what="the seat held in matching's ledger")


async def test_unknown_openings_and_mismatched_ids_are_refused(api: httpx.AsyncClient) -> None:
    opening = epide_opening(eligibility=Eligibility(departments=["2B"])).model_dump(mode="json")

    missing_read = await api.get("/v1/openings/does-not-exist")
    missing_update = await api.put(f"/v1/openings/{opening['opening_id']}", json=opening)
    mismatch = await api.put("/v1/openings/another-id", json=opening)

    assert missing_read.status_code == 404
    assert missing_update.status_code == 404
    assert mismatch.status_code == 422
    assert mismatch.json()["detail"][0]["loc"] == ["body", "opening_id"]


async def test_creating_an_existing_opening_with_other_values_is_a_conflict(api: httpx.AsyncClient) -> None:
    opening = epide_opening(eligibility=Eligibility(departments=["2B"])).model_dump(mode="json")

    created = await api.post("/v1/openings", json=opening)
    repeated = await api.post("/v1/openings", json=opening)
    changed = await api.post("/v1/openings", json={**opening, "seats": 1})

    assert (created.status_code, repeated.status_code, changed.status_code) == (201, 200, 409)


async def test_an_invalid_opening_names_the_field(api: httpx.AsyncClient) -> None:
    body = epide_opening().model_dump(mode="json") | {"eligibility": {"min_french": "Z1", "bogus_rule": 1}}

    response = await api.post("/v1/openings", json=body)

    assert response.status_code == 422
    locations = [tuple(e["loc"]) for e in response.json()["detail"]]
    assert ("body", "eligibility", "min_french") in locations
    assert ("body", "eligibility", "bogus_rule") in locations


async def test_the_catalogue_filters_by_partner_programme_date_and_seats_and_refuses_unknown_filters(
    api: httpx.AsyncClient,
) -> None:
    partner = random_ref("cat")[:14].lower()
    rules = Eligibility(departments=["2B"])  # nobody else's newcomers are matched to these
    january = epide_opening(partner_id=partner, department="2B", eligibility=rules, seats=2, starts_on=date(2027, 1, 4))
    march = epide_opening(partner_id=partner, department="2B", eligibility=rules, seats=0, programme="HOPE",
                          starts_on=date(2027, 3, 1))  # fmt: skip
    for opening in (january, march):
        assert (await api.post("/v1/openings", json=opening.model_dump(mode="json"))).status_code == 201

    async def ids(**params: str) -> list[str]:
        response = await api.get("/v1/openings", params={"partner_id": partner, **params})
        assert response.status_code == 200, response.text
        return [o["opening_id"] for o in response.json()]

    assert await ids() == sorted([january.opening_id, march.opening_id])
    assert await ids(programme="HOPE") == [march.opening_id]
    assert await ids(starts_from="2027-02-01") == [march.opening_id]
    assert await ids(starts_until="2027-02-01", department="2B") == [january.opening_id]
    assert await ids(has_seats="true") == [january.opening_id]
    assert await ids(has_seats="false") == [march.opening_id]
    assert await ids(department="13") == []
    unknown = await api.get("/v1/openings", params={"partner": partner})
    bad_date = await api.get("/v1/openings", params={"starts_from": "demain"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["query", "partner"]
    assert bad_date.status_code == 422 and bad_date.json()["detail"][0]["loc"] == ["query", "starts_from"]


async def test_the_data_inclusion_export_is_public_and_what_the_official_models_accept(
    api: httpx.AsyncClient, stack: ServiceStack
) -> None:
    site = next(o.address for o in load_catalogue() if o.address)  # a real address, from the shipped catalogue
    opening = await open_opening(api, stack, department="23", seats=2, address=site.model_dump())

    async with httpx.AsyncClient(base_url=stack.url("referrals"), timeout=10.0) as anyone:  # no key
        structures = await anyone.get("/v1/data-inclusion/structures", params={"size": 500})
        services = await anyone.get("/v1/data-inclusion/services", params={"size": 500})

    assert structures.status_code == services.status_code == 200
    for page, model in ((structures.json(), Structure), (services.json(), Service)):
        assert page["total"] == len(page["items"]) == page["size"] and page["pages"] == 1
        for item in page["items"]:
            assert set(item) <= set(model.model_fields), item["id"]  # the models ignore unknown fields: not here
            model.model_validate_json(json.dumps(item), strict=True, context={"ignore_warnings": False})
    [mine] = [s for s in services.json()["items"] if s["id"] == f"passerelle--{opening['opening_id']}"]
    assert (mine["adresse"], mine["code_insee"], mine["zone_eligibilite"]) == (site.street, site.insee_code, ["23"])
    assert mine["structure_id"] in {s["id"] for s in structures.json()["items"]}
