"""`python -m services.notifications`: run the notifications service."""

from services.notifications.config import NotificationsSettings
from services.notifications.main import SERVICE, create_app
from shared.http.server import serve, settings_or_exit

serve(SERVICE, settings_or_exit(SERVICE, NotificationsSettings), create_app)
