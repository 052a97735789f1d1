"""Open311 应用: the applications allowed to POST service requests (their ``api_key``), and
the one write an application makes — filing a work order through the 12345 intake.

A key is 32 random bytes (URL-safe text) shown once when issued; only its SM3 digest and
an 8-character prefix (to tell keys apart on the page) are stored, so a leaked database
reveals no usable key. A revoked application's key stops working at once.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.foundation import access, events
from shuzheng.foundation.trust import audit, gm
from shuzheng.governance.hotline.models import Channel, Open311Client, WorkOrder

KEY_BYTES = 32
PREFIX_LENGTH = 8
# a key is 43 characters; anything much longer is not one of ours (and not worth hashing)
KEY_MAX_LENGTH = 128
NAME_MAX = Open311Client._meta.get_field("name").max_length
CONTACT_MAX = Open311Client._meta.get_field("contact").max_length


def _digest(key: str) -> str:
    return gm.sm3(key.encode("utf-8")).hex()


def _text(value, field: str, limit: int, *, required: bool) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ValidationError({field: ValidationError(_("此项为必填项"), code="required")})
    if len(text) > limit:
        raise ValidationError(
            {field: ValidationError(_("不能超过 %(n)s 个字符") % {"n": limit}, code="max_length")}
        )
    return text


def clients(user):
    """The Open311 applications, newest first (administrators holding ``hotline.manage``)."""
    return access.scope(user, Open311Client.objects.all(), "hotline.manage").order_by(
        "-created_at", "-pk"
    )


def client(user, pk: int) -> Open311Client:
    """One application (``Open311Client.DoesNotExist`` when not reachable: a 404)."""
    return clients(user).get(pk=pk)


@transaction.atomic
def issue_key(actor, *, name: str, contact: str = "") -> tuple[Open311Client, str]:
    """签发密钥: a new application with a fresh ``api_key``; returns the key in clear —
    the only time it exists outside the caller's hands."""
    access.require(actor, "hotline.manage")
    name = _text(name, "name", NAME_MAX, required=True)
    contact = _text(contact, "contact", CONTACT_MAX, required=False)
    key = secrets.token_urlsafe(KEY_BYTES)
    while key.startswith("-"):  # a prefix "-…" reads as an option on `open311_key --revoke`
        key = secrets.token_urlsafe(KEY_BYTES)
    created = Open311Client.objects.create(
        name=name, contact=contact, key_prefix=key[:PREFIX_LENGTH], key_digest=_digest(key)
    )
    audit.record(
        actor,
        "hotline.open311.key_issued",
        created,
        details={"name": created.name, "prefix": created.key_prefix},
    )
    events.publish("governance.open311.key_issued", {"client": created.pk})
    return created, key


@transaction.atomic
def revoke(actor, client: Open311Client) -> Open311Client:
    """停用: the application's key is refused from now on (revoking twice changes nothing)."""
    access.check(actor, client, "hotline.manage")
    locked = Open311Client.objects.select_for_update().get(pk=client.pk)
    if not locked.active:
        return locked
    locked.active = False
    locked.save(update_fields=["active"])
    audit.record(
        actor,
        "hotline.open311.key_revoked",
        locked,
        details={"name": locked.name, "prefix": locked.key_prefix},
    )
    events.publish("governance.open311.key_revoked", {"client": locked.pk})
    client.active = False
    return locked


def client_for_key(key) -> Open311Client | None:
    """The active application holding ``key``; None for a missing, unknown or revoked key."""
    if not isinstance(key, str) or not key or len(key) > KEY_MAX_LENGTH:
        return None
    return Open311Client.objects.filter(key_digest=_digest(key), active=True).first()


@transaction.atomic
def submit_request(client: Open311Client, *, details: dict | None = None, **order) -> WorkOrder:
    """An application files a citizen's report: the order is registered through the 12345
    intake as the system (channel ``open311``), the application's use is counted and the
    audit trail names it — all or nothing. ``order`` are ``intake.register``'s keyword
    arguments; ``details`` extra audit facts (codes and digests only)."""
    from shuzheng.governance.hotline.services import intake

    # the key may have been revoked since it was looked up: refuse inside the transaction
    locked = Open311Client.objects.select_for_update().filter(pk=client.pk, active=True).first()
    if locked is None:
        raise ValidationError(
            {"api_key": ValidationError(_("API 密钥无效或已停用"), code="revoked")}
        )
    created = intake.register(access.SYSTEM, channel=Channel.OPEN311, **order)
    Open311Client.objects.filter(pk=locked.pk).update(
        last_used_at=timezone.now(), requests=F("requests") + 1
    )
    audit.record(
        access.SYSTEM,
        "hotline.open311.request",
        created,
        details={
            "client": locked.pk,
            "client_name": locked.name,
            "prefix": locked.key_prefix,
            "order": created.number,
            **(details or {}),
        },
        channel="api",
    )
    return created
