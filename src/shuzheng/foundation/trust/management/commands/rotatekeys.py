"""``manage.py rotatekeys``: new PII / blind-index keys, then every stored value re-encrypted.

With keys in files (KEYS_DIR) the command makes the new key itself. With keys in the
environment the operator sets the new key there first (``PII_KEYS`` gains a new last entry,
or ``BLIND_INDEX_KEY`` changes) and runs ``rotatekeys --reencrypt-only``. Old PII keys stay
in the keyring so that anything not yet re-encrypted (e.g. a restored backup) still reads.
The blind-index key is one at a time: keyed hashes outside ``BlindIndexField`` columns cannot
follow it, and the packages keeping them say so through ``pii.blind_index_rotated`` — printed
as warnings after a blind-index rotation."""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shuzheng.foundation.trust import keys, pii


class Command(BaseCommand):
    help = "Rotate the PII encryption key and/or the blind-index key, re-encrypting all data."

    def add_arguments(self, parser):
        parser.add_argument("--pii", action="store_true", help="new SM4 key for personal data")
        parser.add_argument("--blind-index", action="store_true", help="new HMAC-SM3 index key")
        parser.add_argument(
            "--reencrypt-only",
            action="store_true",
            help="keys were changed in the environment: just re-encrypt",
        )

    def handle(self, *args, pii: bool, blind_index: bool, reencrypt_only: bool, **options):
        if not (pii or blind_index or reencrypt_only):
            raise CommandError("say what to rotate: --pii, --blind-index or --reencrypt-only")
        folder = Path(settings.KEYS_DIR)
        if pii:
            if os.environ.get("PII_KEYS"):
                raise CommandError(
                    "PII keys come from PII_KEYS: append the new key there, "
                    "then run rotatekeys --reencrypt-only"
                )
            self.stdout.write(f"new PII key {keys.new_pii_key(folder)}")
        if blind_index:
            if os.environ.get("BLIND_INDEX_KEY"):
                raise CommandError(
                    "the blind-index key comes from BLIND_INDEX_KEY: change it "
                    "there, then run rotatekeys --reencrypt-only"
                )
            keys.new_blind_index_key(folder)
            self.stdout.write("new blind-index key")
        keys.forget()
        total = self._reencrypt()
        self._audit(total, pii=pii, blind_index=blind_index)
        self.stdout.write(
            self.style.SUCCESS(f"re-encrypted {total} rows under key {keys.pii_keyring().current}")
        )
        if blind_index or reencrypt_only:
            self._unrecomputable(changed=blind_index)

    def _unrecomputable(self, *, changed: bool) -> None:
        """Warn of keyed hashes the rotation could not recompute (their packages say which)."""
        lines = [
            str(line)
            for _receiver, reply in pii.blind_index_rotated.send(sender=self.__class__)
            for line in reply or ()
        ]
        if not lines:
            return
        self.stderr.write(
            self.style.WARNING(
                ("WARNING: " if changed else "WARNING, if BLIND_INDEX_KEY was changed: ")
                + "these keyed hashes were made under the old blind-index key and cannot be "
                "recomputed (the clear values are not stored); the old key is gone:"
            )
        )
        for line in lines:
            self.stderr.write(self.style.WARNING(f"  - {line}"))

    def _reencrypt(self) -> int:
        total = 0
        for model in sorted({f.model for f in pii.ENCRYPTED_FIELDS}, key=lambda m: m._meta.label):
            done = pii.reencrypt(
                model,
                progress=lambda n, m=model: self.stdout.write(
                    f"  {m._meta.label}: {n}", ending="\r"
                ),
            )
            self.stdout.write(f"  {model._meta.label}: {done} rows")
            total += done
        return total

    def _audit(self, total: int, **rotated: bool) -> None:
        from shuzheng.foundation import access
        from shuzheng.foundation.trust import audit

        audit.record(
            access.SYSTEM,
            "trust.keys.rotate",
            "pii",
            details={"rows": total, "current_key": keys.pii_keyring().current, **rotated},
        )
