"""`python -m services.matching`: run the matching service."""

import uvicorn

from services.matching.config import MatchingSettings
from services.matching.main import SERVICE, create_app
from shared.logging_setup import configure_logging

settings = MatchingSettings()
configure_logging(SERVICE, settings.instance_id, settings.log_format, settings.log_level)
uvicorn.run(
    create_app(settings),
    host=settings.http_host,
    port=settings.http_port,
    log_config=None,
    timeout_keep_alive=settings.http_keep_alive_s,
)
