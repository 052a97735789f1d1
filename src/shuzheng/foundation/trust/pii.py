"""Encrypted personal data: SM4-GCM ciphertext in the column, a keyed blind index beside it.

``EncryptedField`` stores ``"<key id>:<base64(nonce | ciphertext | tag)>"``, the ciphertext
bound to its column (the associated data is ``app_label.model.field``) so a value copied into
another column does not decrypt. The clear value exists only in memory after loading.
Equality lookups on the column are refused: they could never match random-nonce ciphertext,
so exact-match search goes through ``BlindIndexField`` — HMAC-SM3 under its own key — via
:func:`lookup`.
"""

import base64
import binascii
import json

from django.apps import apps as global_apps
from django.core.exceptions import FieldError
from django.db import models, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation.trust import gm, keys

ENCRYPTED_FIELDS: list["EncryptedField"] = []

# Sent by ``rotatekeys`` once a new blind-index key is in use and every ``BlindIndexField``
# is recomputed. Keyed hashes kept elsewhere whose clear value is not stored (a log's hash of
# an end user, a credential) cannot be recomputed: the package that keeps them connects a
# receiver returning the lines the operator must read (what stays under the old key, what
# stops matching). The old key is not kept, so those hashes can never be matched again.
blind_index_rotated = Signal()


def encrypt(value: str, aad: bytes) -> str:
    ring = keys.pii_keyring()
    blob = gm.sm4_gcm_encrypt(ring.key(ring.current), value.encode("utf-8"), aad)
    return f"{ring.current}:{base64.b64encode(blob).decode('ascii')}"


def decrypt(stored: str, aad: bytes) -> str:
    kid, sep, payload = stored.partition(":")
    if not sep or not kid:
        raise gm.DecryptionError("stored value is not an encrypted personal-data field")
    try:
        blob = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise gm.DecryptionError(f"ciphertext under key {kid!r} is not valid base64") from None
    return gm.sm4_gcm_decrypt(keys.pii_keyring().key(kid), blob, aad).decode("utf-8")


def key_id_of(stored: str) -> str:
    return stored.partition(":")[0]


def blind_index(kind: str, value: str) -> str:
    """The keyed index of a normalised value; ``kind`` keeps ID and phone indexes apart."""
    return gm.hmac_sm3(keys.blind_index_key(), f"{kind}\x00{value}".encode()).hex()


class EncryptedField(models.TextField):
    description = _("加密存储的个人信息（SM4-GCM）")

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.aad = f"{cls._meta.label_lower}.{name}".encode()
        # Only the real models are rotated; migration states build throwaway copies.
        if not cls._meta.abstract and cls._meta.apps is global_apps:
            ENCRYPTED_FIELDS.append(self)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value, self.aad)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value, self.aad)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.aad.decode()} is encrypted: search it through its blind index "
            f"(trust.pii.lookup), not with __{lookup_name}"
        )


class EncryptedJSONField(EncryptedField):
    """A JSON document kept as SM4-GCM ciphertext — e.g. an application form, whose answers
    hold ID and phone numbers. It is read and written whole; it cannot be queried."""

    description = _("加密存储的 JSON 文档（SM4-GCM）")

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return json.loads(decrypt(value, self.aad))

    def to_python(self, value):
        if isinstance(value, str) and value:
            return json.loads(value)
        return value

    def get_prep_value(self, value):
        if value is None:
            return value
        return encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True), self.aad)

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, sort_keys=True)


class BlindIndexField(models.CharField):
    """HMAC-SM3 of another field's clear value, recomputed on every save."""

    def __init__(self, *args, source: str = "", kind: str = "", **kwargs):
        self.source, self.kind = source, kind or source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, kind=self.kind)
        for key in ("max_length", "editable", "blank", "default"):
            kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.source)
        index = blind_index(self.kind, value) if value else ""
        setattr(model_instance, self.attname, index)
        return index


def lookup(model, field: str, value: str) -> Q:
    """``Q`` matching rows whose encrypted ``field`` equals ``value`` (already normalised)."""
    for f in model._meta.fields:
        if isinstance(f, BlindIndexField) and f.source == field:
            return Q(**{f.name: blind_index(f.kind, value)})
    raise FieldError(f"{model.__name__}.{field} has no blind index")


def reencrypt(model, *, batch: int = 500, progress=None) -> int:
    """Re-encrypt every encrypted value of ``model`` under the current keys (rotation).

    Reads through the base manager: a default manager that hides rows (archived, soft-deleted)
    must not leave them under the old key."""
    manager = model._base_manager
    names = [f.name for f in model._meta.fields if isinstance(f, EncryptedField | BlindIndexField)]
    indexes = [f for f in model._meta.fields if isinstance(f, BlindIndexField)]
    done = 0
    last = 0
    while True:
        rows = list(manager.filter(pk__gt=last).order_by("pk")[:batch])
        if not rows:
            return done
        for row in rows:
            for field in indexes:
                field.pre_save(row, False)  # bulk_update does not call pre_save
        with transaction.atomic():
            manager.bulk_update(rows, names)
        done += len(rows)
        last = rows[-1].pk
        if progress:
            progress(done)
