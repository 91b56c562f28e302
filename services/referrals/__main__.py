"""`python -m services.referrals`: run the referrals service (HTTP API and its consumers)."""

import uvicorn

from services.referrals.config import ReferralsSettings
from services.referrals.main import SERVICE, create_app
from shared.logging_setup import configure_logging

settings = ReferralsSettings()
configure_logging(SERVICE, settings.instance_id, settings.log_format, settings.log_level)
uvicorn.run(
    create_app(settings),
    host=settings.http_host,
    port=settings.http_port,
    log_config=None,
    timeout_keep_alive=settings.http_keep_alive_s,
)
