"""How a console page is rendered: the templates with their French filters and globals, and `page`,
which every page module uses (they import this, never web.py, which imports them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.referrals.console.forms import FORM_LABELS
from services.referrals.console.sessions import CSRF_FIELD, csrf_token
from services.referrals.wording import french, i18n
from shared.contract.events.proposal import SUCCESS_ESTIMATE
from shared.principals import Role

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(
    long_date=french.long_date,
    date_time=french.date_time,
    department=french.department,
    country=french.country,
    age_band=french.age_band,
    actor=french.actor,
    chances=french.chances,
)
templates.env.globals.update(
    _=i18n.translate,
    FRENCH_LEVEL=french.FRENCH_LEVEL,
    HOUSING=french.HOUSING,
    PROTECTION=french.PROTECTION,
    MOBILITY=french.MOBILITY,
    STATUS=french.STATUS,
    DECLINE_REASON=french.DECLINE_REASON,
    CHANNELS=french.CONSENT_CHANNEL,
    AUDIT_ACTIONS=french.AUDIT_ACTION,
    OUTCOME=french.OUTCOME,
    DEPARTMENTS=french.DEPARTMENTS,
    CSRF_FIELD=CSRF_FIELD,
    FRENCH_LEVEL_OPTIONS=[(k.value, v) for k, v in french.FRENCH_LEVEL.items()],
    FORM_LABELS=FORM_LABELS,
    HOUSING_OPTIONS=[(k.value, v) for k, v in french.HOUSING.items()],
    PROTECTION_OPTIONS=[(k.value, v) for k, v in french.PROTECTION.items()],
    MOBILITY_OPTIONS=[(k.value, v) for k, v in french.MOBILITY.items()],
    DIPLOMA_OPTIONS=[(str(n), label) for n, label in french.DIPLOMA.items()],
    DIPLOMA_LABELS=french.DIPLOMA,
    CHANCES=french.CHANCES,
    SUCCESS_ESTIMATE=SUCCESS_ESTIMATE,
)
HOME_OF_ROLE = {
    Role.AUDITOR: "/console/auditeur",
    Role.PARTNER: "/console/partenaire",
    Role.OPS: "/console/exploitation",
}


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A console page in the session's language, with its CSRF token and the signed-in person."""
    asked = request.query_params.get("lang")
    if asked in i18n.LANGUAGES:
        request.session["lang"] = asked
    i18n.use(str(request.session.get("lang", "fr")))
    context |= {"csrf": csrf_token(request), "person": getattr(request.state, "person", None), "lang": i18n.current()}
    return templates.TemplateResponse(request, template, context, status_code=status_code)
