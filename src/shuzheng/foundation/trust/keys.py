"""Where the platform's keys come from. Every key has an id, every ciphertext and signature
names the id it was made with, so keys can rotate without losing old data.

Three kinds of key:
- **PII keys** (SM4, 16 bytes): a keyring; the newest is used to encrypt, all decrypt.
- **the blind-index key** (HMAC-SM3, 32 bytes): one at a time; rotating it recomputes every
  blind index of an encrypted column (``manage.py rotatekeys --blind-index``); keyed hashes
  whose clear value is not stored (e.g. the exchange log's) cannot be recomputed, and the
  command prints what the packages report about them (``pii.blind_index_rotated``).
- **audit signing keys** (SM2): the newest signs anchors; older public keys stay to verify.

Sources, first match wins:
1. environment — ``PII_KEYS="kid:hex32,kid2:hex32"`` (the last is current),
   ``BLIND_INDEX_KEY=hex64``, ``AUDIT_SIGNING_KEY_FILE=/path/key.pem``;
2. files under ``settings.KEYS_DIR`` — ``pii/<kid>.key`` + ``pii/CURRENT``,
   ``blind-index.key``, ``audit/<kid>.pem`` (private) + ``audit/<kid>.pub.pem`` + ``audit/CURRENT``.

``python -m shuzheng.foundation.trust.keys init [DIR]`` creates missing demo keys (``make demo``
runs it). A production server with no key configured fails with a message naming the
variable to set, never with a silently generated key.
"""

import functools
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from shuzheng.foundation.trust import gm

PII_KEY_BYTES = 16
BLIND_KEY_BYTES = 32


class UnknownKey(gm.GmError):
    """A ciphertext or signature names a key id that this installation does not have."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    current: str

    def key(self, kid: str) -> bytes:
        try:
            return self.keys[kid]
        except KeyError:
            raise UnknownKey(f"no PII key with id {kid!r} is configured") from None


def _keys_dir() -> Path:
    from django.conf import settings

    return Path(settings.KEYS_DIR)


def _read_hex(text: str, size: int, what: str) -> bytes:
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{what} is not hexadecimal") from None
    if len(raw) != size:
        raise ImproperlyConfigured(f"{what} must be {size} bytes ({size * 2} hex characters)")
    return raw


@functools.cache
def pii_keyring() -> Keyring:
    spec = os.environ.get("PII_KEYS", "").strip()
    if spec:
        keys: dict[str, bytes] = {}
        for part in spec.split(","):
            kid, _, hexkey = part.strip().partition(":")
            if not kid or not hexkey:
                raise ImproperlyConfigured("PII_KEYS must look like 'kid:hex32,kid2:hex32'")
            keys[kid] = _read_hex(hexkey, PII_KEY_BYTES, f"PII_KEYS entry {kid!r}")
        return Keyring(keys, kid)
    folder = _keys_dir() / "pii"
    current_file = folder / "CURRENT"
    if not current_file.exists():
        raise ImproperlyConfigured(
            "No PII encryption key: set PII_KEYS='kid:<32 hex>' or run "
            "`python -m shuzheng.foundation.trust.keys init` for a demo installation."
        )
    keys = {p.stem: _read_hex(p.read_text(), PII_KEY_BYTES, str(p)) for p in folder.glob("*.key")}
    current = current_file.read_text().strip()
    if current not in keys:
        raise ImproperlyConfigured(f"{current_file} names {current!r}, which has no key file")
    return Keyring(keys, current)


@functools.cache
def blind_index_key() -> bytes:
    value = os.environ.get("BLIND_INDEX_KEY", "").strip()
    if value:
        return _read_hex(value, BLIND_KEY_BYTES, "BLIND_INDEX_KEY")
    path = _keys_dir() / "blind-index.key"
    if not path.exists():
        raise ImproperlyConfigured(
            "No blind-index key: set BLIND_INDEX_KEY=<64 hex> or run "
            "`python -m shuzheng.foundation.trust.keys init` for a demo installation."
        )
    return _read_hex(path.read_text(), BLIND_KEY_BYTES, str(path))


@functools.cache
def signing_key() -> gm.SM2PrivateKey:
    """The SM2 key that seals audit anchors and evidence bundles now."""
    path = os.environ.get("AUDIT_SIGNING_KEY_FILE", "").strip()
    if not path:
        folder = _keys_dir() / "audit"
        current = folder / "CURRENT"
        if not current.exists():
            raise ImproperlyConfigured(
                "No audit signing key: set AUDIT_SIGNING_KEY_FILE=/path/sm2.pem or run "
                "`python -m shuzheng.foundation.trust.keys init` for a demo installation."
            )
        path = str(folder / f"{current.read_text().strip()}.pem")
    return gm.SM2PrivateKey.from_pem(Path(path).read_bytes())


def verify_keys() -> dict[str, gm.SM2PublicKey]:
    """Every audit public key this installation knows (current and retired), by key id."""
    found = {}
    folder = _keys_dir() / "audit"
    for path in folder.glob("*.pub.pem") if folder.exists() else ():
        key = gm.SM2PublicKey.from_pem(path.read_bytes())
        found[key.key_id] = key
    current = signing_key().public_key()
    found[current.key_id] = current
    return found


def forget() -> None:
    """Drop cached keys (after a rotation, or in tests that change the environment)."""
    pii_keyring.cache_clear()
    blind_index_key.cache_clear()
    signing_key.cache_clear()


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as fh:
        fh.write(data)
    path.chmod(0o600)


def new_pii_key(folder: Path) -> str:
    """Generate a PII key, make it current, return its id (old keys stay to decrypt)."""
    kid = f"p{secrets.token_hex(4)}"
    _write(folder / "pii" / f"{kid}.key", secrets.token_hex(PII_KEY_BYTES))
    _write(folder / "pii" / "CURRENT", kid)
    return kid


def new_blind_index_key(folder: Path) -> None:
    _write(folder / "blind-index.key", secrets.token_hex(BLIND_KEY_BYTES))


def new_signing_key(folder: Path) -> str:
    key = gm.SM2PrivateKey.generate()
    _write(folder / "audit" / f"{key.key_id}.pem", key.to_pem())
    _write(folder / "audit" / f"{key.key_id}.pub.pem", key.public_key().to_pem())
    _write(folder / "audit" / "CURRENT", key.key_id)
    return key.key_id


def init(folder: Path) -> list[str]:
    """Create whichever demo keys are missing under ``folder``; never replace one."""
    made = []
    if not (folder / "pii" / "CURRENT").exists():
        made.append(f"pii key {new_pii_key(folder)}")
    if not (folder / "blind-index.key").exists():
        new_blind_index_key(folder)
        made.append("blind-index key")
    if not (folder / "audit" / "CURRENT").exists():
        made.append(f"audit signing key {new_signing_key(folder)}")
    return made


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "init":
        sys.exit("usage: python -m shuzheng.foundation.trust.keys init [KEYS_DIR]")
    # the same default as settings.KEYS_DIR: <SHUZHENG_VAR_DIR or the checkout's var/>/keys
    var_dir = os.environ.get("SHUZHENG_VAR_DIR") or Path(__file__).resolve().parents[4] / "var"
    default = Path(var_dir) / "keys"
    target = (
        Path(sys.argv[2])
        if len(sys.argv) > 2
        else Path(os.environ.get("SHUZHENG_KEYS_DIR", default))
    )
    for line in init(target):
        print(f"created {line} in {target}")
