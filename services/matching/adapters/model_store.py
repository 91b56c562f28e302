"""The latest trained success model, as matching keeps it in Redis (a projection of matching.model.v1)."""

from __future__ import annotations

from redis.asyncio import Redis

from shared.contract.events import SuccessModelTrained

# KEYS: the hash. ARGV: version, artefact. Keeps the artefact only if it is newer than the one kept.
_KEEP_IF_NEWER = """
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if tonumber(ARGV[1]) <= current then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'artefact', ARGV[2])
return 1
"""


class ModelStore:
    def __init__(self, redis: Redis, key: str = "matching:model") -> None:
        self._redis = redis
        self._key = key
        self._keep = redis.register_script(_KEEP_IF_NEWER)

    async def keep(self, artefact: SuccessModelTrained) -> bool:
        """False for a version not newer than the one kept (a redelivery, or a race lost)."""
        return bool(await self._keep(keys=[self._key], args=[artefact.version, artefact.model_dump_json()]))

    async def version(self) -> int:
        return int(await self._redis.hget(self._key, "version") or 0)

    async def latest(self) -> SuccessModelTrained | None:
        raw = await self._redis.hget(self._key, "artefact")
        return SuccessModelTrained.model_validate_json(raw) if raw else None
