"""National commercial cryptography (SM2 / SM3 / SM4) behind one small facade.

Why this module exists
----------------------
GB/T 39786-2021 (商用密码应用安全性评估) and 等保 2.0 level 3 require credentials, personal
information and audit data to be protected with the national algorithms. Everything in
shuzheng that hashes, encrypts or signs goes through here so that:

* every primitive comes from an implementation that reproduces the published test vectors
  (see ``tests/foundation/trust/test_gm.py``);
* wire formats are fixed once and are the interoperable ones (listed below);
* failures are exceptions (all subclasses of :class:`GmError`), never a silently wrong value;
* the backing library can be swapped in one place (for instance for a certified hardware
  module behind the GM/T 0018 SDF interface, which a 密评 assessment may ask for key storage).

Backends
--------
* SM3, HMAC-SM3, SM4-GCM / CBC / ECB: the ``cryptography`` package (OpenSSL underneath).
  Its generic GCM mode works with ``algorithms.SM4``; the RFC 8998 SM4-GCM vector is checked
  by the tests.
* ASN.1 for keys: ``asn1crypto`` (pure Python, no dependencies; the SM2 curve is registered
  with its ``NamedCurve.register`` hook). DER signatures use ``cryptography``'s ASN.1-free
  ``encode_dss_signature`` / ``decode_dss_signature`` helpers, which parse strict DER.
* SM2: ``gmalglib`` (C extension, MIT licence, one maintainer, last release 2024-05 — one
  more reason to keep it behind this facade). Candidates measured on this machine kind
  (per CPU-second of one core of the 2-core VM, 256-byte messages, Z included):

  ===================  ==========  ==========  ===============================================
  package              sign/s      verify/s    result
  ===================  ==========  ==========  ===============================================
  gmalglib 0.5.9       ~9,000 [1]  ~2,000      chosen: reproduces the GB/T 32918.5 annex
                                               signature and ciphertext byte for byte (fixed
                                               k injected in the tests), any user id, no
                                               plaintext size limit, nonces from /dev/urandom
  gmssl-pyx 2.1.0      ~360        ~1,700      passes the vectors but 25x slower to sign;
                                               SM2 encryption limited to 255-byte plaintexts
  tongsuopy 1.0.1      ~3,000      ~3,500      verifies the annex signature but exposes no
                                               user id and no SM2 encryption; last release 2023
  gmssl 3.2.2 (pure)   ~100-140    ~30-90      draws SM2 nonces from ``random``: test oracle
                                               only, never for real keys
  ===================  ==========  ==========  ===============================================

  [1] with the per-key context cached (the facade caches it); ~3,900/s if it were rebuilt
  on every call. ``bench/bench_gm.py`` measures the facade end to end.

  Known gmalglib 0.5.9 defects and how this facade contains them:

  1. ``gmalglib.sm2_verify`` (the convenience wrapper) never passes the signature on, so it
     cannot work; the facade calls the ``gmalglib.sm2.SM2`` object API instead.
  2. Its C retry loops are ``do { ... continue; } while (0)``, so "retry with a new k" exits
     instead. For encryption this matters: when the KDF output is all zero (probability
     ``2**-(8 * len(plaintext))``, i.e. 1 in 256 for a one-byte message) it returns a
     ciphertext with an all-zero C3 that can never be decrypted. :meth:`SM2PublicKey.encrypt`
     detects that and encrypts again. For signing the same bug could return r = 0 or s = 0
     (negligible probability); :meth:`SM2PrivateKey.sign` checks the range and signs again.
  3. A ciphertext shorter than C1 || C3 raises ``MemoryError``; lengths are checked first.
  4. Public keys with coordinates >= p (non-canonical encodings) are accepted; rejected here.
  5. Scalar multiplication is not constant time (secret-indexed precomputed table, skipped
     additions for zero bytes of the nonce; sliding window over d when decrypting), so a
     local cache-timing attacker is in scope. Keep signing keys on hosts that run no
     untrusted code, and keep SM2 off the hot path (sign batch anchors / Merkle roots, not
     every record). An OpenSSL-derived backend (Tongsuo) is the one to revisit if that
     becomes a requirement; its current binding lacks user ids and encryption.

  ``gmalglib`` ships no Linux wheel: ``pip`` builds it with the system C compiler.

Formats (fixed; other systems must use the same)
------------------------------------------------
* SM2 signature: DER ``SEQUENCE { INTEGER r, INTEGER s }`` (GM/T 0009 ``SM2Signature``) over
  ``SM3(Z || M)``, Z from the user id and public key per GB/T 32918.2; default user id
  ``1234567812345678``. :func:`signature_der_to_raw` / :func:`signature_raw_to_der` convert
  to and from the 64-byte ``r || s`` form some partners use.
* SM2 ciphertext: ``C1 || C3 || C2`` (GB/T 32918.4-2016 order), C1 the uncompressed point
  ``04 || x1 || y1`` (65 bytes), C3 the 32-byte SM3 check value, C2 as long as the plaintext.
  Not the ASN.1 ``SM2Cipher`` form.
* Keys: PKCS#8 ``PRIVATE KEY`` and SubjectPublicKeyInfo ``PUBLIC KEY`` with algorithm
  id-ecPublicKey and named curve 1.2.156.10197.1.301, byte-identical to OpenSSL 3's output.
  ``key_id`` = first 16 hex characters of SM3 over the DER SubjectPublicKeyInfo.
* SM4-GCM blob: ``nonce (12 random bytes) || ciphertext || tag (16 bytes)``.
"""

from __future__ import annotations

import os
import secrets
from typing import Final

from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmalglib.sm2 import SM2 as _GmalglibSM2
from gmalglib.sm2 import SM2_PCMODE_RAW as _PCMODE_RAW

__all__ = [
    "DEFAULT_USER_ID",
    "SM2_CURVE_OID",
    "SM2_MAX_USER_ID_SIZE",
    "SM3_DIGEST_SIZE",
    "SM4_BLOCK_SIZE",
    "SM4_GCM_NONCE_SIZE",
    "SM4_GCM_TAG_SIZE",
    "SM4_KEY_SIZE",
    "DecryptionError",
    "GmError",
    "InvalidInput",
    "InvalidKey",
    "InvalidSignature",
    "SM2PrivateKey",
    "SM2PublicKey",
    "hmac_sm3",
    "signature_der_to_raw",
    "signature_raw_to_der",
    "sm3",
    "sm4_cbc_decrypt",
    "sm4_cbc_encrypt",
    "sm4_ecb_encrypt_block",
    "sm4_gcm_decrypt",
    "sm4_gcm_encrypt",
]

DEFAULT_USER_ID: Final = b"1234567812345678"
"""Default SM2 signer id (GB/T 35276 / GM/T 0009): what partners assume when none is agreed."""

SM2_CURVE_OID: Final = "1.2.156.10197.1.301"
SM3_DIGEST_SIZE: Final = 32
SM4_KEY_SIZE: Final = 16
SM4_BLOCK_SIZE: Final = 16
SM4_GCM_NONCE_SIZE: Final = 12
SM4_GCM_TAG_SIZE: Final = 16
SM2_MAX_USER_ID_SIZE: Final = 8191
"""ENTL in Z is a 16-bit count of *bits*, so a user id has at most 8191 bytes."""

_EC_PUBLIC_KEY_OID: Final = "1.2.840.10045.2.1"
_SM2_P: Final = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF", 16)
_SM2_N: Final = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)
_C1_SIZE: Final = 65
_C3_SIZE: Final = 32
_ZERO_C3: Final = bytes(_C3_SIZE)
_MAX_ATTEMPTS: Final = 64  # retries for the gmalglib defect (2); 64 failures mean a broken RNG
_CONTEXT_CACHE_LIMIT: Final = 16  # per key: distinct user ids seen; cleared when exceeded

# asn1crypto knows no SM2 curve; its documented hook registers name, OID and scalar size.
asn1_keys.NamedCurve.register("sm2p256v1", SM2_CURVE_OID, 32)


# --------------------------------------------------------------------------- errors


class GmError(Exception):
    """Base class of every error this module raises on purpose."""


class InvalidKey(GmError, ValueError):
    """Key material is malformed, of the wrong size, not on the SM2 curve or not SM2 at all."""


class InvalidInput(GmError, ValueError):
    """An argument other than a key is unusable (wrong block or IV size, empty SM2 message...)."""


class DecryptionError(GmError):
    """Ciphertext was altered, truncated or made with another key; nothing is returned."""


class InvalidSignature(GmError):
    """The signature is malformed, truncated or does not match the message, user id and key."""


# --------------------------------------------------------------------------- SM3


def sm3(data: bytes) -> bytes:
    """Return the 32-byte SM3 digest of ``data`` (GB/T 32905)."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """Return HMAC-SM3 of ``data`` (RFC 2104 with SM3): keyed blind indexes and MACs.

    An empty key is refused: a blind index under an empty key is just a public hash that
    anyone can brute-force over the small space of ID or phone numbers.
    """
    if not key:
        raise InvalidKey("HMAC-SM3 needs a non-empty key")
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


# --------------------------------------------------------------------------- SM4


def _sm4(key: bytes) -> algorithms.SM4:
    if len(key) != SM4_KEY_SIZE:
        raise InvalidKey(f"SM4 keys are {SM4_KEY_SIZE} bytes, got {len(key)}")
    return algorithms.SM4(bytes(key))


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt and authenticate with SM4-GCM; return ``nonce || ciphertext || tag``.

    The default for data at rest. ``aad`` is authenticated but not stored: bind the
    ciphertext to its context (table, column, record id, key version) so that it cannot be
    moved to another record. The 12-byte nonce is random, so rotate to a new key version
    well before 2**32 encryptions under one key (NIST SP 800-38D's bound for random nonces).
    """
    nonce = os.urandom(SM4_GCM_NONCE_SIZE)
    encryptor = Cipher(_sm4(key), modes.GCM(nonce)).encryptor()
    if aad:
        encryptor.authenticate_additional_data(aad)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return nonce + ciphertext + encryptor.tag


def sm4_gcm_decrypt(key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    """Check and decrypt a blob from :func:`sm4_gcm_encrypt`.

    Raises :class:`DecryptionError` when any byte of the blob or of ``aad`` differs from
    what was encrypted, or the key is not the one used; no plaintext is released then.
    """
    algorithm = _sm4(key)
    blob = bytes(blob)
    minimum = SM4_GCM_NONCE_SIZE + SM4_GCM_TAG_SIZE
    if len(blob) < minimum:
        raise DecryptionError(
            f"SM4-GCM blob has {len(blob)} bytes, fewer than the {minimum} of nonce and tag"
        )
    nonce = blob[:SM4_GCM_NONCE_SIZE]
    body = blob[SM4_GCM_NONCE_SIZE:-SM4_GCM_TAG_SIZE]
    tag = blob[-SM4_GCM_TAG_SIZE:]
    decryptor = Cipher(algorithm, modes.GCM(nonce, tag)).decryptor()
    if aad:
        decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise DecryptionError(
            "SM4-GCM authentication failed: the ciphertext or its associated data was "
            "altered, or it was encrypted under another key"
        ) from None


def _check_iv(iv: bytes) -> bytes:
    if len(iv) != SM4_BLOCK_SIZE:
        raise InvalidInput(f"SM4-CBC IVs are {SM4_BLOCK_SIZE} bytes, got {len(iv)}")
    return bytes(iv)


def sm4_cbc_encrypt(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    """SM4-CBC with PKCS#7 padding, for partners whose format demands it.

    CBC is not authenticated: use :func:`sm4_gcm_encrypt` for anything of our own. ``iv``
    must be fresh and unpredictable for every message (``os.urandom(16)``).
    """
    padder = padding.PKCS7(SM4_BLOCK_SIZE * 8).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(_sm4(key), modes.CBC(_check_iv(iv))).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def sm4_cbc_decrypt(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    """Decrypt :func:`sm4_cbc_encrypt` output; :class:`DecryptionError` on bad length/padding.

    A padding check is no integrity check: a wrong key passes it about once in 256 tries.
    Never report padding failures differently from other failures to a remote party
    (padding-oracle attacks); authenticate CBC messages separately (e.g. HMAC-SM3).
    """
    algorithm = _sm4(key)
    mode = modes.CBC(_check_iv(iv))
    if not ciphertext or len(ciphertext) % SM4_BLOCK_SIZE:
        raise DecryptionError(
            f"SM4-CBC ciphertext has {len(ciphertext)} bytes, not a positive multiple of "
            f"{SM4_BLOCK_SIZE}"
        )
    decryptor = Cipher(algorithm, mode).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(SM4_BLOCK_SIZE * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptionError(
            "SM4-CBC decryption failed: wrong key or IV, or altered ciphertext"
        ) from None


def sm4_ecb_encrypt_block(key: bytes, block: bytes) -> bytes:
    """Encrypt exactly one 16-byte block with raw SM4 (ECB).

    Only for interoperability and known-answer tests (GB/T 32907); never to encrypt data.
    """
    if len(block) != SM4_BLOCK_SIZE:
        raise InvalidInput(f"SM4 blocks are {SM4_BLOCK_SIZE} bytes, got {len(block)}")
    encryptor = Cipher(_sm4(key), modes.ECB()).encryptor()  # noqa: S305 - one block, KAT/interop
    return encryptor.update(bytes(block)) + encryptor.finalize()


# --------------------------------------------------------------------------- SM2 helpers


def _check_user_id(user_id: bytes) -> bytes:
    user_id = bytes(user_id)
    if len(user_id) > SM2_MAX_USER_ID_SIZE:
        raise InvalidInput(
            f"SM2 user ids have at most {SM2_MAX_USER_ID_SIZE} bytes, got {len(user_id)}"
        )
    return user_id


def _canonical_point(point: bytes) -> bytes:
    """Return the 65-byte uncompressed form of an SM2 public point, or raise InvalidKey."""
    point = bytes(point)
    if len(point) == 33 and point[0] in (2, 3):
        if not _GmalglibSM2.is_pk_valid(point):  # also rejects x >= p
            raise InvalidKey("compressed SM2 public key is not a point on the curve")
        return _GmalglibSM2.convert_pk(point, _PCMODE_RAW)
    if len(point) != 65 or point[0] != 4:
        raise InvalidKey(
            "an SM2 public key is an uncompressed point 04 || x || y (65 bytes) or a "
            f"compressed one (33 bytes); got {len(point)} bytes"
        )
    x = int.from_bytes(point[1:33], "big")
    y = int.from_bytes(point[33:], "big")
    if x >= _SM2_P or y >= _SM2_P or not _GmalglibSM2.is_pk_valid(point):
        raise InvalidKey("SM2 public key is not a point on the SM2 curve")
    return point


def _check_scalar(scalar: bytes) -> bytes:
    scalar = bytes(scalar)
    if len(scalar) != 32:
        raise InvalidKey(f"an SM2 private key is a 32-byte scalar, got {len(scalar)} bytes")
    # GB/T 32918.1: d in [1, n - 2] (d = n - 1 has no (1 + d)^-1 mod n).
    if not 1 <= int.from_bytes(scalar, "big") <= _SM2_N - 2:
        raise InvalidKey("SM2 private key is out of the range [1, n - 2]")
    return scalar


def _named_sm2_curve() -> asn1_keys.ECDomainParameters:
    return asn1_keys.ECDomainParameters(name="named", value=SM2_CURVE_OID)


def _check_sm2_parameters(parameters: asn1_keys.ECDomainParameters) -> None:
    if parameters.name != "named" or parameters.chosen.dotted != SM2_CURVE_OID:
        raise InvalidKey(f"key is not on the SM2 curve (named curve {SM2_CURVE_OID} expected)")


def _unarmor(pem: bytes | str, *expected: str) -> tuple[str, bytes]:
    data = pem.encode("ascii") if isinstance(pem, str) else bytes(pem)
    if not asn1_pem.detect(data):
        raise InvalidKey("not PEM: no -----BEGIN ...----- line")
    try:
        label, _headers, der = asn1_pem.unarmor(data)
    except ValueError as exc:
        raise InvalidKey(f"malformed PEM: {exc}") from None
    if label == "ENCRYPTED PRIVATE KEY":
        raise InvalidKey("encrypted PKCS#8 is not supported: unwrap the key with the KMS first")
    if label not in expected:
        raise InvalidKey(f"PEM holds {label!r}, expected {' or '.join(map(repr, expected))}")
    return label, der


def signature_der_to_raw(signature: bytes) -> bytes:
    """Convert a DER SM2 signature to the 64-byte ``r || s`` form; InvalidSignature if bad.

    Only canonical DER with 1 <= r, s <= n - 1 is accepted, so one signature has exactly
    one accepted encoding.
    """
    signature = bytes(signature)
    try:
        r, s = decode_dss_signature(signature)
    except ValueError:
        raise InvalidSignature("not a DER-encoded SM2 signature (truncated or garbled)") from None
    if not (0 < r < _SM2_N and 0 < s < _SM2_N):
        raise InvalidSignature("SM2 signature values r, s are out of range")
    if encode_dss_signature(r, s) != signature:
        raise InvalidSignature("SM2 signature is not canonical DER")
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def signature_raw_to_der(raw: bytes) -> bytes:
    """Convert a 64-byte ``r || s`` SM2 signature to DER; InvalidSignature if unusable."""
    raw = bytes(raw)
    if len(raw) != 64:
        raise InvalidSignature(f"a raw SM2 signature is 64 bytes (r || s), got {len(raw)}")
    r = int.from_bytes(raw[:32], "big")
    s = int.from_bytes(raw[32:], "big")
    if not (0 < r < _SM2_N and 0 < s < _SM2_N):
        raise InvalidSignature("SM2 signature values r, s are out of range")
    return encode_dss_signature(r, s)


# --------------------------------------------------------------------------- SM2 keys


class SM2PublicKey:
    """An SM2 public key: verifies signatures, encrypts, exports SubjectPublicKeyInfo.

    Construct from a point (``SM2PublicKey(b"\\x04" + x + y)``), :meth:`from_der` or
    :meth:`from_pem`; every constructor checks the point is on the curve.
    """

    __slots__ = ("_contexts", "_der", "_key_id", "_point")

    def __init__(self, point: bytes) -> None:
        self._point = _canonical_point(point)
        self._der = asn1_keys.PublicKeyInfo(
            {
                "algorithm": asn1_keys.PublicKeyAlgorithm(
                    {"algorithm": "ec", "parameters": _named_sm2_curve()}
                ),
                "public_key": self._point,
            }
        ).dump()
        self._key_id = sm3(self._der).hex()[:16]
        self._contexts: dict[bytes, _GmalglibSM2] = {}

    @classmethod
    def from_der(cls, der: bytes) -> SM2PublicKey:
        """Load a DER SubjectPublicKeyInfo for an SM2 key."""
        try:
            info = asn1_keys.PublicKeyInfo.load(bytes(der), strict=True)
            algorithm = info["algorithm"]
            if algorithm["algorithm"].dotted != _EC_PUBLIC_KEY_OID:
                raise InvalidKey("SubjectPublicKeyInfo is not an elliptic-curve key")
            _check_sm2_parameters(algorithm["parameters"])
            point = info["public_key"].native
        except InvalidKey:
            raise
        except Exception as exc:  # asn1crypto reports malformed input in many ways
            raise InvalidKey(f"not a DER SubjectPublicKeyInfo: {exc}") from None
        return cls(point)

    @classmethod
    def from_pem(cls, pem: bytes | str) -> SM2PublicKey:
        """Load a ``-----BEGIN PUBLIC KEY-----`` PEM block."""
        _label, der = _unarmor(pem, "PUBLIC KEY")
        return cls.from_der(der)

    @property
    def point(self) -> bytes:
        """The uncompressed point ``04 || x || y`` (65 bytes)."""
        return self._point

    @property
    def key_id(self) -> str:
        """First 16 hex characters of SM3(DER SubjectPublicKeyInfo): names the key in records."""
        return self._key_id

    def to_der(self) -> bytes:
        """DER SubjectPublicKeyInfo (id-ecPublicKey, named curve SM2, uncompressed point)."""
        return self._der

    def to_pem(self) -> bytes:
        """PEM ``PUBLIC KEY`` block of :meth:`to_der`."""
        return asn1_pem.armor("PUBLIC KEY", self._der)

    def _context(self, user_id: bytes) -> _GmalglibSM2:
        context = self._contexts.get(user_id)
        if context is None:
            if len(self._contexts) >= _CONTEXT_CACHE_LIMIT:
                self._contexts.clear()
            context = _GmalglibSM2(pk=self._point, uid=user_id)
            self._contexts[user_id] = context
        return context

    def za(self, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) of GB/T 32918.2."""
        return self._context(_check_user_id(user_id)).get_entity_info()

    def verify(self, signature: bytes, data: bytes, user_id: bytes = DEFAULT_USER_ID) -> None:
        """Check a DER signature over ``SM3(Z || data)``; raise :class:`InvalidSignature`.

        Returns ``None`` on success so that a forgotten ``if`` cannot turn a failure into
        a pass.
        """
        raw = signature_der_to_raw(signature)
        context = self._context(_check_user_id(user_id))
        if not context.verify(bytes(data), raw):
            raise InvalidSignature(
                f"SM2 signature does not match the message, user id and key {self._key_id}"
            )

    def encrypt(self, plaintext: bytes) -> bytes:
        """Encrypt to this key: ``C1 || C3 || C2`` with an uncompressed C1 (97 + n bytes).

        Meant for small secrets (an SM4 data key); encrypt bulk data with SM4-GCM.
        """
        plaintext = bytes(plaintext)
        if not plaintext:
            raise InvalidInput("SM2 cannot encrypt an empty message (GB/T 32918.4 needs klen > 0)")
        context = self._context(DEFAULT_USER_ID)
        for _attempt in range(_MAX_ATTEMPTS):
            ciphertext = context.encrypt(plaintext)
            # gmalglib defect (2): an all-zero KDF output yields C3 = 0 and a dead ciphertext.
            if ciphertext[_C1_SIZE : _C1_SIZE + _C3_SIZE] != _ZERO_C3:
                return ciphertext
        raise GmError("SM2 encryption failed repeatedly; the random number source is suspect")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SM2PublicKey):
            return NotImplemented
        return self._point == other._point

    def __hash__(self) -> int:
        return hash(self._point)

    def __repr__(self) -> str:
        return f"SM2PublicKey(key_id={self._key_id!r})"


class SM2PrivateKey:
    """An SM2 private key: signs, decrypts, exports PKCS#8.

    Construct with :meth:`generate`, :meth:`from_der`, :meth:`from_pem`, or from the raw
    32-byte big-endian scalar (``SM2PrivateKey(d)``, for imports and test vectors).
    The scalar is never shown by ``repr``.
    """

    __slots__ = ("_contexts", "_public", "_scalar")

    def __init__(self, scalar: bytes) -> None:
        self._scalar = _check_scalar(scalar)
        self._public = SM2PublicKey(_GmalglibSM2.get_pk(self._scalar, _PCMODE_RAW))
        self._contexts: dict[bytes, _GmalglibSM2] = {}

    @classmethod
    def generate(cls) -> SM2PrivateKey:
        """A new key with d uniform in [1, n - 2], drawn from the OS CSPRNG (``secrets``)."""
        scalar = 1 + secrets.randbelow(_SM2_N - 2)
        return cls(scalar.to_bytes(32, "big"))

    @classmethod
    def from_der(cls, der: bytes) -> SM2PrivateKey:
        """Load an unencrypted DER PKCS#8 PrivateKeyInfo holding an SM2 key."""
        try:
            info = asn1_keys.PrivateKeyInfo.load(bytes(der), strict=True)
            if info["version"].native != 0:
                raise InvalidKey("unsupported PKCS#8 version")
            algorithm = info["private_key_algorithm"]
            if algorithm["algorithm"].dotted != _EC_PUBLIC_KEY_OID:
                raise InvalidKey("PKCS#8 key is not an elliptic-curve key")
            _check_sm2_parameters(algorithm["parameters"])
            ec_key = info["private_key"].parsed
            return cls._from_ec_private_key(ec_key, curve_given=True)
        except InvalidKey:
            raise
        except Exception as exc:  # asn1crypto reports malformed input in many ways
            raise InvalidKey(f"not a DER PKCS#8 SM2 private key: {exc}") from None

    @classmethod
    def from_pem(cls, pem: bytes | str) -> SM2PrivateKey:
        """Load ``PRIVATE KEY`` (PKCS#8) or ``EC PRIVATE KEY`` (RFC 5915, curve named) PEM."""
        label, der = _unarmor(pem, "PRIVATE KEY", "EC PRIVATE KEY")
        if label == "PRIVATE KEY":
            return cls.from_der(der)
        try:
            ec_key = asn1_keys.ECPrivateKey.load(der, strict=True)
            return cls._from_ec_private_key(ec_key, curve_given=False)
        except InvalidKey:
            raise
        except Exception as exc:  # asn1crypto reports malformed input in many ways
            raise InvalidKey(f"not an RFC 5915 SM2 private key: {exc}") from None

    @classmethod
    def _from_ec_private_key(
        cls, ec_key: asn1_keys.ECPrivateKey, *, curve_given: bool
    ) -> SM2PrivateKey:
        if ec_key["version"].native != "ecPrivkeyVer1":
            raise InvalidKey("unsupported ECPrivateKey version")
        parameters = ec_key["parameters"]
        if parameters.native is not None:
            _check_sm2_parameters(parameters)
        elif not curve_given:
            raise InvalidKey("EC PRIVATE KEY without a named curve: cannot tell it is SM2")
        scalar = ec_key["private_key"].native
        if not isinstance(scalar, int) or not 0 < scalar < _SM2_N - 1:
            raise InvalidKey("SM2 private key is out of the range [1, n - 2]")
        key = cls(scalar.to_bytes(32, "big"))
        embedded = ec_key["public_key"].native
        if embedded is not None and _canonical_point(embedded) != key._public.point:
            raise InvalidKey("the public key stored with the private key does not match it")
        return key

    @property
    def key_id(self) -> str:
        """Same as ``public_key().key_id``."""
        return self._public.key_id

    def public_key(self) -> SM2PublicKey:
        """The matching public key."""
        return self._public

    def to_der(self) -> bytes:
        """Unencrypted DER PKCS#8 (ECPrivateKey with the public key, curve in the algorithm)."""
        ec_key = asn1_keys.ECPrivateKey(
            {
                "version": "ecPrivkeyVer1",
                "private_key": int.from_bytes(self._scalar, "big"),
                "public_key": self._public.point,
            }
        )
        ec_key["private_key"].set_encoded_width(32)
        return asn1_keys.PrivateKeyInfo(
            {
                "version": 0,
                "private_key_algorithm": asn1_keys.PrivateKeyAlgorithm(
                    {"algorithm": "ec", "parameters": _named_sm2_curve()}
                ),
                "private_key": ec_key,
            }
        ).dump()

    def to_pem(self) -> bytes:
        """Unencrypted PEM ``PRIVATE KEY``: store it only inside a KMS / sealed secret."""
        return asn1_pem.armor("PRIVATE KEY", self.to_der())

    def _context(self, user_id: bytes) -> _GmalglibSM2:
        context = self._contexts.get(user_id)
        if context is None:
            if len(self._contexts) >= _CONTEXT_CACHE_LIMIT:
                self._contexts.clear()
            context = _GmalglibSM2(sk=self._scalar, uid=user_id)
            self._contexts[user_id] = context
        return context

    def sign(self, data: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """Sign ``SM3(Z || data)`` with a fresh random nonce; return the DER signature."""
        context = self._context(_check_user_id(user_id))
        data = bytes(data)
        for _attempt in range(_MAX_ATTEMPTS):
            raw = context.sign(data)
            r = int.from_bytes(raw[:32], "big")
            s = int.from_bytes(raw[32:], "big")
            if 0 < r < _SM2_N and 0 < s < _SM2_N:  # gmalglib defect (2)
                return encode_dss_signature(r, s)
        raise GmError("SM2 signing failed repeatedly; the random number source is suspect")

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Decrypt ``C1 || C3 || C2``; :class:`DecryptionError` if altered or for another key."""
        ciphertext = bytes(ciphertext)
        if len(ciphertext) <= _C1_SIZE + _C3_SIZE or ciphertext[0] != 4:
            raise DecryptionError(
                "SM2 ciphertext must be C1 (04 || x || y, 65 bytes) || C3 (32 bytes) || C2 "
                f"(at least 1 byte); got {len(ciphertext)} bytes"
            )
        try:
            return self._context(DEFAULT_USER_ID).decrypt(ciphertext)
        except (ValueError, OverflowError):
            raise DecryptionError(
                f"SM2 decryption failed: the ciphertext was altered or is not for key {self.key_id}"
            ) from None

    def __repr__(self) -> str:
        return f"SM2PrivateKey(key_id={self.key_id!r})"
