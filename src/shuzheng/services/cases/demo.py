"""Demo 办件: the demo staff's grants for the service network, and a few cases in every stage
so that 我的办件, the workbench queues and 电子监察 show something on first start. Everything
goes through the same use cases as real work (apply, handle); idempotent."""

import random
import re

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from shuzheng.foundation import access
from shuzheng.foundation.access import services as access_services
from shuzheng.foundation.access.models import Role, RoleGrant
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity import synthetic
from shuzheng.foundation.identity.models import Organisation, User
from shuzheng.foundation.identity.validators import IdType
from shuzheng.services.cases.models import Case
from shuzheng.services.cases.services import apply, handle
from shuzheng.services.catalogue.models import ServiceItem

# Demo staff and the roles they hold city-wide for 一网通办: the 无差别综合窗口 clerk accepts
# any item, the handler reviews and decides any item, the head supervises (电子监察).
GRANTS = [("clerk", "window-clerk"), ("handler", "case-handler"), ("head", "supervisor")]

# (item name, how far the case goes) for the demo citizen; then window 代办 cases for others.
CITIZEN_CASES = [
    ("居住证申领", "submitted"),
    ("失业保险金申领", "review"),
    ("生育津贴支付", "delivered"),
]
WINDOW_STAGES = ["submitted", "submitted", "accepted", "review", "correction", "delivered"]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def load_demo(stdout=None) -> int:
    if not User.objects.filter(username="clerk").exists():
        return 0  # the foundation's demo accounts were not loaded
    _grant()
    if Case.objects.exists():
        return 0
    created = _cases()
    if stdout is not None:
        stdout.write(f"Demo applications (办件): {created}")
    return created


@transaction.atomic
def _grant() -> None:
    root = Organisation.objects.get(parent__isnull=True)
    for username, role_code in GRANTS:
        user = User.objects.filter(username=username).first()
        role = Role.objects.get(code=role_code)
        if (
            user
            and not RoleGrant.objects.filter(
                user=user, role=role, organisation=root, revoked_at__isnull=True
            ).exists()
        ):
            access_services.grant_role(access.SYSTEM, user=user, role=role, organisation=root)


def _item(name: str) -> ServiceItem | None:
    return (
        ServiceItem.objects.filter(current__name=name).select_related("current").first()
        or ServiceItem.objects.filter(current__name__contains=name, current__online_depth__gte=3)
        .select_related("current")
        .first()
    )


def _answer(prop: dict, rng: random.Random):
    """A plausible answer for one form field (enough for the demo to pass validation)."""
    if "enum" in prop:
        return prop["enum"][0]
    kind = prop.get("type")
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return max(prop.get("minimum", 1), 1)
    if prop.get("format") == "date":
        return "2026-11-02"
    if "pattern" in prop:
        for sample in (
            synthetic.mobile(rng).replace("+86", ""),
            "440402199001011236",
            "91440400MA4W1234XY",
            "粤C12345",
            "M12345678",
            "6222021234567890123",
            "2026-11",
            "1234567(8)",
        ):
            if re.search(prop["pattern"], sample):
                return sample
        return None
    return "珠海市香洲区情侣中路88号" + "。" * max(0, prop.get("minLength", 0) - 12)


def _fill(case: Case, rng: random.Random) -> dict:
    version = case.item_version
    form = dict(case.form_data)
    for name in version.form_schema.get("required", []):
        if form.get(name) in (None, ""):
            value = _answer(version.form_schema["properties"][name], rng)
            if value is not None:
                form[name] = value
    return form


def _materials(actor, case: Case) -> None:
    for material in case.item_version.materials.filter(removed_rule="", necessity="required"):
        upload = SimpleUploadedFile(f"{material.code}.pdf", PDF, "application/pdf")
        apply.attach_material(actor, case, material_code=material.code, upload=upload)


def _advance(case: Case, stage: str, staff: dict) -> None:
    clerk, handler = staff["clerk"], staff["handler"]
    if stage == "correction":
        handle.request_correction(clerk, case, reasons=["请补充清晰的身份证明扫描件"], days=5)
        return
    if stage == "submitted":
        return
    handle.accept(clerk, case, opinion="材料齐全，予以受理")
    if stage == "accepted":
        return
    handle.start_review(handler, case)
    if stage == "review":
        return
    steps = list(case.item_version.review_steps or []) or ["审查"]
    for _ in steps[1:]:
        handle.pass_step(handler, case, opinion="审查通过")
    handle.approve(
        handler, case, opinion="符合条件，准予办理", legal_basis=case.item_version.legal_basis
    )
    handle.conclude(handler, case)
    handle.deliver(clerk, case, method="online")


def _submit(actor, case: Case, rng: random.Random) -> Case | None:
    try:
        with transaction.atomic():
            _materials(actor, case)
            return apply.submit(actor, case, form=_fill(case, rng))
    except ValidationError:  # a demo form the filler cannot answer stays a draft
        return None


def _cases() -> int:
    rng = random.Random(2026)
    staff = {u.username: u for u in User.objects.filter(username__in=["clerk", "handler"])}
    citizen = User.objects.get(username="citizen")
    created = 0
    for name, stage in CITIZEN_CASES:
        item = _item(name)
        if item is None:
            continue
        case = _submit(citizen, apply.create_draft(citizen, item), rng)
        if case is not None:
            _advance(case, stage, staff)
            created += 1
    items = list(
        ServiceItem.objects.filter(
            current__online_depth__gte=3, current__audience__in=["person", "both"]
        )
        .select_related("current")
        .order_by("implementation_code")[:40]
    )
    for i, stage in enumerate(WINDOW_STAGES * 3):
        person = identity.register_person(
            access.SYSTEM,
            name=synthetic.person_name(rng),
            id_type=IdType.RESIDENT_ID,
            id_number=synthetic.resident_id(rng),
            mobile=synthetic.mobile(rng),
        )
        item = items[(i * 7) % len(items)]
        draft = apply.create_draft(
            staff["clerk"], item, on_behalf_of=person, agent_note="申请人到窗口办理"
        )
        case = _submit(staff["clerk"], draft, rng)
        if case is not None:
            _advance(case, stage, staff)
            created += 1
    return created
