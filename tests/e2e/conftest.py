from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from passerelle.stack import ServiceStack
from tests.e2e.access import ActAs


@pytest.fixture
async def api(stack: ServiceStack) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the referrals service, authenticated as each request's rightful caller."""
    base_url = stack.url("referrals")
    async with httpx.AsyncClient(base_url=base_url, timeout=10.0, auth=ActAs(base_url)) as client:
        yield client
