"""``Idempotency-Key`` on creating POSTs: a retry returns the first response, never a second
object. The key row is written in the same transaction as the object, so a crash leaves
neither, and a concurrent duplicate waits on the key's unique index and then replays."""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from shuzheng.foundation.api.models import IdempotencyKey
from shuzheng.foundation.api.problems import Unprocessable

HEADER = "Idempotency-Key"


def _fingerprint(request) -> str:
    """Method, path and body; uploaded files count by their bytes, not just their names."""
    fields = {k: v for k, v in request.data.items() if k not in request.FILES}
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(f"{request.method} {request.path}\n{body}".encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(f"\n{name}:{upload.name}:{upload.size}:".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def idempotent(create):
    """Decorate a viewset's ``create`` so a repeated key replays the stored answer."""

    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return create(view, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > 255 or not key.isprintable():
            raise exceptions.ValidationError({HEADER: [_("幂等键应为 1–255 个可打印字符")]})
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            replay = _claim(request.user, key, fingerprint)
            if replay is not None:
                return replay
            response = create(view, request, *args, **kwargs)
            IdempotencyKey.objects.filter(user=request.user, key=key).update(
                status_code=response.status_code,
                body=response.data,
                location=response.get("Location", ""),
            )
            return response

    wrapper.__name__ = create.__name__
    wrapper.__doc__ = create.__doc__
    return wrapper


def _claim(user, key: str, fingerprint: str) -> Response | None:
    """Insert the key, or return the stored answer when it was already used."""
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                user=user, key=key, fingerprint=fingerprint, status_code=0
            )
            return None
    except IntegrityError:
        pass
    stored = IdempotencyKey.objects.get(user=user, key=key)
    expired = stored.created_at < timezone.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    if expired:
        stored.delete()
        return _claim(user, key, fingerprint)
    if stored.fingerprint != fingerprint:
        raise Unprocessable(_("此幂等键已用于另一个不同内容的请求"), code="idempotency-key-reused")
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    return Response(stored.body, status=stored.status_code, headers=headers)
