"""`python -m services.matching`: run the matching service."""

from services.matching.config import MatchingSettings
from services.matching.main import SERVICE, create_app
from shared.http.server import serve

serve(SERVICE, MatchingSettings(), create_app)
