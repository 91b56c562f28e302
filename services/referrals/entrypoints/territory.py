"""What an auditor may learn of a file outside their territory: nothing that tells it from a file that does
not exist. Where uniqueness forces an answer (a file number already used, or erased, elsewhere), the
answer says that and nothing more: no date, no département, no hint of what to do with it."""

from __future__ import annotations

from services.referrals.domain.errors import Conflict, FileNumberTaken
from shared.principals import Principal

FILE_NUMBER_TAKEN = "ce numéro de dossier est déjà utilisé / this file number is already in use"


def conflict_detail(auditor: Principal, exc: Conflict) -> str:
    """What a refused signing may say to this auditor."""
    if isinstance(exc, FileNumberTaken) and not auditor.covers_file(exc.department):
        return FILE_NUMBER_TAKEN
    return str(exc)


def no_signing(beneficiary_id: str) -> str:
    return f"aucun CIR enregistré pour {beneficiary_id} / no CIR signing recorded for {beneficiary_id}"
