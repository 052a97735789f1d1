"""查看完整信息 of a case: the applicant's ID and phone numbers and the clear form answers,
which staff otherwise see masked (``cases.masking``). The gate is identity's audited reveal:
``identity.reveal_pii`` on the case (its accepting organisation's subtree), a stated
purpose, and an audit record either way — a refusal is recorded and raises PermissionDenied
(403)."""

from __future__ import annotations

from shuzheng.foundation.identity import services as identity
from shuzheng.services.cases.models import Case

ACTION = "cases.case.reveal"
FIELDS = ["applicant_id_number", "contact_phone", "form_data"]


def reveal_case(actor, case: Case, *, reason: str, request=None) -> dict:
    """The clear personal numbers of ``case`` for ``actor``: ValidationError without a
    reason, PermissionDenied (audited) without ``identity.reveal_pii`` on the case."""
    identity.audited_reveal(
        actor, case, action=ACTION, fields=FIELDS, reason=str(reason or ""), request=request
    )
    return {
        "id_number": case.applicant_id_number or "",
        "mobile": case.contact_phone or "",
        "form_data": dict(case.form_data or {}),
    }
