"""Write use cases of the exchange gateway's registry: data services (the provider's side)
and client applications with their credentials (the consumer's side).

Who does what: the providing department's data administrator (``exchange.manage_services``
on the provider) registers a service for one of its own published catalogue entries — data
held in the platform's store, or its own HTTP API — and suspends or changes it; the
consuming department's data administrator (``exchange.manage_clients`` on the department)
registers its application systems, each with a key id and a secret shown once, rotates the
secret and disables a client. Every use case is one transaction with its access check, its
audit record and its event; a write names the ``revision`` its author read, and a stale one
raises ``workflow.Conflict`` (409 in the API) with nothing written. Bad input is a
``ValidationError`` naming each bad field, nothing written.

Credentials: ``key_id`` is 20 random hex characters (public: it names the client in the
log), the secret 43 random URL-safe characters (256 bits), stored only as its HMAC-SM3 under
the platform's blind-index key. Clients call with ``Authorization: Bearer <key_id>.<secret>``.
The gateway caches client and service rows per process for a few seconds: a change made here
reaches this process at once, other processes within ``DATA_EXCHANGE_GATEWAY_CACHE_SECONDS``.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.data.catalog.models import VISIBLE_STATES, CatalogueEntry
from shuzheng.data.exchange.gateway import core as gateway
from shuzheng.data.exchange.models import (
    ClientApp,
    ClientStatus,
    DataService,
    ServiceKind,
    ServiceStatus,
)
from shuzheng.foundation import access, events, workflow
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.trust import audit

MANAGE_SERVICES = "exchange.manage_services"
MANAGE_CLIENTS = "exchange.manage_clients"

SERVICE_FIELDS = ("name", "description", "remote_url", "remote_token", "remote_timeout")
_CODE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?")
_VERSION = re.compile(r"v[0-9]{1,8}(?:\.[0-9]{1,3})?")
_SYSTEM_CODE = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,58}[a-z0-9])?")
TIMEOUT_RANGE = (0.1, 60.0)
MAX_ALLOWED_IPS = 50


def _field(field: str, message, code: str = "invalid") -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


class _Errors:
    def __init__(self):
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message, code: str = "invalid") -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code))

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _text(value, field, errors: _Errors, *, limit: int, required=False, label="") -> str:
    text = str(value or "").strip()
    if required and not text:
        errors.add(field, _("请填写%(label)s") % {"label": label}, "required")
    elif len(text) > limit:
        errors.add(field, _("不能超过 %(n)s 个字") % {"n": limit}, "max_length")
    return text


def _seen(revision) -> int:
    try:
        return int(revision)
    except (TypeError, ValueError):
        raise _field("revision", _("缺少修订号，请刷新后重试"), "required") from None


def _forget_after_commit() -> None:
    transaction.on_commit(gateway.forget)


def _person(actor):
    return actor if getattr(actor, "pk", None) else None


# --------------------------------------------------------------------------- services


def _check_remote(kind, remote_url, timeout, errors: _Errors) -> tuple[str, float]:
    url = str(remote_url or "").strip()
    if kind == ServiceKind.REMOTE:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors.add(
                "remote_url", _("提供方接口地址应为 http:// 或 https:// 开头的网址"), "invalid"
            )
        elif parts.query or parts.fragment or parts.username or parts.password:
            errors.add("remote_url", _("接口地址不能含查询参数、锚点或账号"), "invalid")
        elif len(url) > 200:
            errors.add("remote_url", _("不能超过 %(n)s 个字") % {"n": 200}, "max_length")
    elif url:
        errors.add("remote_url", _("平台库数据服务不需要接口地址"), "invalid")
    try:
        seconds = float(timeout)
    except (TypeError, ValueError):
        errors.add("remote_timeout", _("超时应为秒数"), "invalid")
        seconds = 5.0
    else:
        if not TIMEOUT_RANGE[0] <= seconds <= TIMEOUT_RANGE[1]:
            errors.add(
                "remote_timeout",
                _("超时应在 %(a)s 到 %(b)s 秒之间")
                % {"a": TIMEOUT_RANGE[0], "b": TIMEOUT_RANGE[1]},
                "range",
            )
    return url, seconds


@transaction.atomic
def register_service(
    actor,
    *,
    entry: CatalogueEntry,
    code: str,
    name: str,
    kind: str,
    version: str = "v1",
    remote_url: str = "",
    remote_token: str = "",
    remote_timeout: float = 5.0,
    description: str = "",
) -> DataService:
    """登记数据服务: a provider offers one of its own published entries at the gateway as
    ``/gateway/v1/services/<code>/<version>/...`` — from the platform's store or from its
    own HTTP API (``remote_url``, called with ``remote_token``)."""
    access.check(actor, entry, MANAGE_SERVICES)
    errors = _Errors()
    entry = CatalogueEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status not in VISIBLE_STATES:
        errors.add("entry", _("只能为已发布的目录条目登记数据服务"), "not_published")
    code = str(code or "").strip()
    version = str(version or "").strip()
    if not _CODE.fullmatch(code):
        errors.add("code", _("服务编码应为小写字母、数字和连字符（不超过 80 个字符）"), "invalid")
    if not _VERSION.fullmatch(version):
        errors.add("version", _("版本应形如 v1 或 v2.1"), "invalid")
    name = _text(name, "name", errors, limit=200, required=True, label=_("服务名称"))
    description = _text(description, "description", errors, limit=2000)
    if kind not in ServiceKind.values:
        errors.add("kind", _("请选择数据来源"), "invalid_choice")
    remote_url, remote_timeout = _check_remote(kind, remote_url, remote_timeout, errors)
    token = str(remote_token or "").strip()
    if kind != ServiceKind.REMOTE and token:
        errors.add("remote_token", _("平台库数据服务不需要接口凭证"), "invalid")
    if len(token) > 500:
        errors.add("remote_token", _("不能超过 %(n)s 个字") % {"n": 500}, "max_length")
    if (
        "code" not in errors.by_field
        and DataService.objects.filter(code=code, version=version).exists()
    ):
        errors.add("code", _("该服务编码和版本已被使用"), "unique")
    errors.raise_if_any()
    service = DataService.objects.create(
        code=code,
        version=version,
        name=name,
        provider_id=entry.provider_id,
        entry=entry,
        kind=kind,
        remote_url=remote_url,
        remote_token=token,
        remote_timeout=remote_timeout,
        description=description,
        status=ServiceStatus.ACTIVE,
        created_by=_person(actor) or entry.created_by,
    )
    audit.record(
        actor,
        "data.exchange.service.register",
        service,
        details={"code": code, "version": version, "kind": kind, "entry": entry.code},
    )
    events.publish(
        "data.exchange.service_registered",
        {"service": service.pk, "code": str(service), "provider": service.provider_id},
        key=str(service),
    )
    _forget_after_commit()
    return service


def _locked_service(service: DataService, revision) -> DataService:
    seen = _seen(revision)
    current = DataService.objects.select_for_update().get(pk=service.pk)
    if current.revision != seen:
        raise workflow.Conflict(_("该数据服务已被他人修改，请刷新后重试"))
    return current


def _refresh(obj, fresh):
    for f in type(obj)._meta.concrete_fields:
        setattr(obj, f.attname, getattr(fresh, f.attname))
    return obj


@transaction.atomic
def update_service(actor, service: DataService, *, revision, **fields) -> DataService:
    """修改数据服务: name, description and, for a remote service, its address, token and
    timeout (the code and version are its address at the gateway and stay). A token not
    given stays as it is."""
    access.check(actor, service, MANAGE_SERVICES)
    unknown = sorted(set(fields) - set(SERVICE_FIELDS))
    if unknown:
        raise TypeError(f"unknown data service fields: {', '.join(unknown)}")
    current = _locked_service(service, revision)
    errors = _Errors()
    name = _text(
        fields.get("name", current.name),
        "name",
        errors,
        limit=200,
        required=True,
        label=_("服务名称"),
    )
    description = _text(
        fields.get("description", current.description), "description", errors, limit=2000
    )
    remote_url, remote_timeout = _check_remote(
        current.kind,
        fields.get("remote_url", current.remote_url),
        fields.get("remote_timeout", current.remote_timeout),
        errors,
    )
    token = current.remote_token
    if fields.get("remote_token") is not None:
        token = str(fields["remote_token"]).strip()
        if current.kind != ServiceKind.REMOTE and token:
            errors.add("remote_token", _("平台库数据服务不需要接口凭证"), "invalid")
        if len(token) > 500:
            errors.add("remote_token", _("不能超过 %(n)s 个字") % {"n": 500}, "max_length")
    errors.raise_if_any()
    changed = [
        n
        for n, v in (
            ("name", name),
            ("description", description),
            ("remote_url", remote_url),
            ("remote_timeout", remote_timeout),
        )
        if getattr(current, n) != v
    ]
    if token != current.remote_token:
        changed.append("remote_token")
    current.name, current.description = name, description
    current.remote_url, current.remote_timeout, current.remote_token = (
        remote_url,
        remote_timeout,
        token,
    )
    current.revision += 1
    current.save()
    audit.record(
        actor,
        "data.exchange.service.update",
        current,
        details={"revision": current.revision, "changed": sorted(changed)},
    )
    events.publish(
        "data.exchange.service_updated",
        {"service": current.pk, "code": str(current), "changed": sorted(changed)},
        key=str(current),
    )
    _forget_after_commit()
    return _refresh(service, current)


@transaction.atomic
def set_service_status(actor, service: DataService, status: str, *, revision) -> DataService:
    """暂停 / 恢复 a data service: a suspended service answers 404 at the gateway (logged)."""
    access.check(actor, service, MANAGE_SERVICES)
    if status not in ServiceStatus.values:
        raise _field("status", _("状态应为运行中或已暂停"), "invalid_choice")
    current = _locked_service(service, revision)
    if status == ServiceStatus.ACTIVE and current.entry.status not in VISIBLE_STATES:
        raise _field("status", _("目录条目未发布或已下线，不能恢复服务"), "not_published")
    previous = current.status
    current.status = status
    current.revision += 1
    current.save(update_fields=["status", "revision"])
    audit.record(
        actor,
        "data.exchange.service.status",
        current,
        details={"from": previous, "to": status, "revision": current.revision},
    )
    events.publish(
        "data.exchange.service_status",
        {"service": current.pk, "code": str(current), "status": status},
        key=str(current),
    )
    _forget_after_commit()
    return _refresh(service, current)


# --------------------------------------------------------------------------- clients


def new_key_id() -> str:
    return secrets.token_hex(10)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _allowed_ips(values, errors: _Errors) -> list[str]:
    if isinstance(values, str):
        values = re.split(r"[\s,，;；]+", values)
    clean, bad = [], []
    for value in values or ():
        text = str(value).strip()
        if not text:
            continue
        try:
            clean.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError:
            bad.append(text[:50])
    if bad:
        errors.add(
            "allowed_ips",
            _("不是有效的地址或网段：%(values)s") % {"values": "、".join(bad)},
            "invalid",
        )
    if len(clean) > MAX_ALLOWED_IPS:
        errors.add(
            "allowed_ips", _("最多 %(n)s 个地址或网段") % {"n": MAX_ALLOWED_IPS}, "max_length"
        )
    return list(dict.fromkeys(clean))


@transaction.atomic
def create_client(
    actor, *, organisation: Organisation, name: str, system_code: str, allowed_ips=()
) -> tuple[ClientApp, str]:
    """登记接入应用: an application system of the actor's department, with a new key id and
    secret. The secret is returned here once and never stored in the clear."""
    access.check(actor, organisation, MANAGE_CLIENTS)
    errors = _Errors()
    name = _text(name, "name", errors, limit=120, required=True, label=_("应用系统名称"))
    system_code = str(system_code or "").strip()
    if not _SYSTEM_CODE.fullmatch(system_code):
        errors.add(
            "system_code", _("子系统编码应为小写字母、数字、下划线和连字符（不超过 60 个字符）")
        )
    elif ClientApp.objects.filter(organisation=organisation, system_code=system_code).exists():
        errors.add("system_code", _("本部门已有该子系统编码的应用"), "unique")
    ips = _allowed_ips(allowed_ips, errors)
    if not organisation.is_active:
        errors.add("organisation", _("该部门已撤销"), "inactive")
    errors.raise_if_any()
    secret = new_secret()
    client = ClientApp.objects.create(
        organisation=organisation,
        name=name,
        system_code=system_code,
        key_id=new_key_id(),
        secret_hash=gateway.secret_hash(secret),
        status=ClientStatus.ACTIVE,
        allowed_ips=ips,
        created_by=_person(actor) or _any_user(),
    )
    audit.record(
        actor,
        "data.exchange.client.create",
        client,
        details={"key_id": client.key_id, "system_code": system_code, "allowed_ips": ips},
    )
    events.publish(
        "data.exchange.client_created",
        {"client": client.pk, "key_id": client.key_id, "organisation": organisation.pk},
        key=client.key_id,
    )
    _forget_after_commit()
    return client, secret


def _any_user():
    """``created_by`` of rows made by the installation itself (demo loading): the first
    superuser, else the first user."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.order_by("-is_superuser", "pk")
    user = users.first()
    if user is None:
        raise ValidationError(_("系统中还没有用户，无法登记"))
    return user


def _locked_client(client: ClientApp, revision) -> ClientApp:
    seen = _seen(revision)
    current = ClientApp.objects.select_for_update().get(pk=client.pk)
    if current.revision != seen:
        raise workflow.Conflict(_("该接入应用已被他人修改，请刷新后重试"))
    return current


@transaction.atomic
def rotate_secret(actor, client: ClientApp, *, revision) -> str:
    """更换密钥: a new secret (returned once); the old one stops working at once here and
    within the gateway's cache time elsewhere."""
    access.check(actor, client, MANAGE_CLIENTS)
    current = _locked_client(client, revision)
    secret = new_secret()
    current.secret_hash = gateway.secret_hash(secret)
    current.rotated_at = timezone.now()
    current.revision += 1
    current.save(update_fields=["secret_hash", "rotated_at", "revision"])
    audit.record(
        actor,
        "data.exchange.client.rotate",
        current,
        details={"key_id": current.key_id, "revision": current.revision},
    )
    events.publish(
        "data.exchange.client_secret_rotated",
        {"client": current.pk, "key_id": current.key_id},
        key=current.key_id,
    )
    _forget_after_commit()
    _refresh(client, current)
    return secret


@transaction.atomic
def set_client_status(actor, client: ClientApp, status: str, *, revision) -> ClientApp:
    """停用 / 启用 an application: a disabled client is refused (403) at the gateway."""
    access.check(actor, client, MANAGE_CLIENTS)
    if status not in ClientStatus.values:
        raise _field("status", _("状态应为有效或已停用"), "invalid_choice")
    current = _locked_client(client, revision)
    previous = current.status
    current.status = status
    current.revision += 1
    current.save(update_fields=["status", "revision"])
    audit.record(
        actor,
        "data.exchange.client.status",
        current,
        details={"key_id": current.key_id, "from": previous, "to": status},
    )
    events.publish(
        "data.exchange.client_status",
        {"client": current.pk, "key_id": current.key_id, "status": status},
        key=current.key_id,
    )
    _forget_after_commit()
    return _refresh(client, current)


@transaction.atomic
def update_client(actor, client: ClientApp, *, revision, name=None, allowed_ips=None) -> ClientApp:
    """修改接入应用: its name and the addresses it may call from (empty: any)."""
    access.check(actor, client, MANAGE_CLIENTS)
    current = _locked_client(client, revision)
    errors = _Errors()
    if name is not None:
        current.name = _text(
            name, "name", errors, limit=120, required=True, label=_("应用系统名称")
        )
    if allowed_ips is not None:
        current.allowed_ips = _allowed_ips(allowed_ips, errors)
    errors.raise_if_any()
    current.revision += 1
    current.save(update_fields=["name", "allowed_ips", "revision"])
    audit.record(
        actor,
        "data.exchange.client.update",
        current,
        details={"key_id": current.key_id, "allowed_ips": current.allowed_ips},
    )
    events.publish(
        "data.exchange.client_updated",
        {"client": current.pk, "key_id": current.key_id},
        key=current.key_id,
    )
    _forget_after_commit()
    return _refresh(client, current)
