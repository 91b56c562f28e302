"""`python -m services.referrals`: run the referrals service (HTTP API and its consumers)."""

from services.referrals.config import ReferralsSettings
from services.referrals.main import SERVICE, create_app
from shared.http.server import serve, settings_or_exit

serve(SERVICE, settings_or_exit(SERVICE, ReferralsSettings), create_app)
