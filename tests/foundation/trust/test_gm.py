"""Known-answer and cross-implementation tests for the SM2/SM3/SM4 facade.

Vectors come from the standards themselves: GB/T 32905 (SM3), GB/T 32907 (SM4),
GB/T 32918.5 / GM/T 0003.5 annex (SM2 on the recommended curve) and RFC 8998 (SM4-GCM).
SM2 is also cross-checked in both directions against two independent implementations:
the pure-Python ``gmssl`` package (test-only oracle: its nonces come from ``random``) and,
where the machine has it, the OpenSSL 3 command line.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from asn1crypto import core as asn1_core
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from shuzheng.foundation.trust import gm

if TYPE_CHECKING:
    from gmssl.sm2 import CryptSM2

# --------------------------------------------------------------------------- curve & vectors

SM2_P = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF", 16)
SM2_A = bytes.fromhex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC")
SM2_B = bytes.fromhex("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93")
SM2_N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)
SM2_GX = bytes.fromhex("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7")
SM2_GY = bytes.fromhex("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0")

# GB/T 32918.5-2017 / GM/T 0003.5-2012 annex: recommended curve, ID_A = "1234567812345678".
ANNEX_D = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
ANNEX_X = bytes.fromhex("09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020")
ANNEX_Y = bytes.fromhex("CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
ANNEX_ZA = bytes.fromhex("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3")
ANNEX_K = bytes.fromhex("59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21")
ANNEX_R = int("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3", 16)
ANNEX_S = int("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA", 16)
ANNEX_SIGNED = b"message digest"
ANNEX_ENCRYPTED = b"encryption standard"
ANNEX_CIPHERTEXT = bytes.fromhex(  # C1 || C3 || C2
    "04"
    "04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"
    "E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"
    "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766"
    "21886CA989CA9C7D58087307CA93092D651EFA"
)

SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")


@pytest.fixture(scope="module")
def annex_key() -> gm.SM2PrivateKey:
    return gm.SM2PrivateKey(ANNEX_D)


@pytest.fixture(scope="module")
def key() -> gm.SM2PrivateKey:
    return gm.SM2PrivateKey.generate()


def flip(data: bytes, index: int) -> bytes:
    changed = bytearray(data)
    changed[index] ^= 0x01
    return bytes(changed)


# --------------------------------------------------------------------------- SM3


def test_sm3_standard_vectors() -> None:
    assert gm.sm3(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert gm.sm3(b"abcd" * 16).hex() == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


@pytest.mark.parametrize("size", [0, 1, 55, 56, 63, 64, 65, 1000])
def test_sm3_matches_independent_implementation(size: int) -> None:
    from gmssl import sm3 as oracle_sm3

    data = secrets.token_bytes(size)
    assert gm.sm3(data).hex() == oracle_sm3.sm3_hash(list(data))


@pytest.mark.parametrize("key_size", [1, 16, 64, 65, 200])
def test_hmac_sm3_is_rfc2104_over_sm3(key_size: int) -> None:
    mac_key = secrets.token_bytes(key_size)
    data = b"440402199001011234"
    block = mac_key if len(mac_key) <= 64 else gm.sm3(mac_key)
    block = block.ljust(64, b"\x00")
    inner = gm.sm3(bytes(b ^ 0x36 for b in block) + data)
    expected = gm.sm3(bytes(b ^ 0x5C for b in block) + inner)
    assert gm.hmac_sm3(mac_key, data) == expected


def test_hmac_sm3_refuses_an_empty_key() -> None:
    with pytest.raises(gm.InvalidKey):
        gm.hmac_sm3(b"", b"data")


# --------------------------------------------------------------------------- SM4 block


def test_sm4_standard_block_vector() -> None:
    assert gm.sm4_ecb_encrypt_block(SM4_KEY, SM4_KEY).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_standard_million_iterations() -> None:
    """E^1,000,000(P) = 595298c7..., computed as one SM4-CBC call.

    With a zero IV and plaintext P || 0 || 0 || ..., CBC gives C_0 = E(P) and
    C_i = E(0 xor C_(i-1)) = E(C_(i-1)), so block 999,999 is the millionth iterate. Calling
    sm4_ecb_encrypt_block a million times would take ~5.5 s (a cipher set-up per call);
    the first 10,000 iterates are checked through it below.
    """
    plaintext = SM4_KEY + bytes(16 * 999_999)
    chain = gm.sm4_cbc_encrypt(SM4_KEY, bytes(16), plaintext)
    assert chain[16 * 999_999 : 16 * 1_000_000].hex() == "595298c7c6fd271f0402f804c33d3f66"
    block = SM4_KEY
    for _ in range(10_000):
        block = gm.sm4_ecb_encrypt_block(SM4_KEY, block)
    assert block == chain[16 * 9_999 : 16 * 10_000]


def test_sm4_rejects_wrong_sizes() -> None:
    with pytest.raises(gm.InvalidKey):
        gm.sm4_ecb_encrypt_block(SM4_KEY[:15], SM4_KEY)
    with pytest.raises(gm.InvalidInput):
        gm.sm4_ecb_encrypt_block(SM4_KEY, SM4_KEY + b"x")
    with pytest.raises(gm.InvalidKey):
        gm.sm4_gcm_encrypt(SM4_KEY * 2, b"data")


# --------------------------------------------------------------------------- SM4-GCM

RFC8998_NONCE = bytes.fromhex("00001234567800000000ABCD")
RFC8998_AAD = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
RFC8998_PLAINTEXT = bytes.fromhex(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
RFC8998_CIPHERTEXT_AND_TAG = bytes.fromhex(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    "83DE3541E4C2B58177E065A9BF7B62EC"
)


def test_sm4_gcm_rfc8998_vector() -> None:
    blob = RFC8998_NONCE + RFC8998_CIPHERTEXT_AND_TAG
    assert gm.sm4_gcm_decrypt(SM4_KEY, blob, RFC8998_AAD) == RFC8998_PLAINTEXT


@pytest.mark.parametrize("size", [0, 1, 16, 17, 4096])
def test_sm4_gcm_round_trip(size: int) -> None:
    data_key = secrets.token_bytes(16)
    plaintext = secrets.token_bytes(size)
    blob = gm.sm4_gcm_encrypt(data_key, plaintext, b"person:42:id_number:v1")
    assert len(blob) == gm.SM4_GCM_NONCE_SIZE + size + gm.SM4_GCM_TAG_SIZE
    assert gm.sm4_gcm_decrypt(data_key, blob, b"person:42:id_number:v1") == plaintext


def test_sm4_gcm_uses_a_fresh_nonce_each_time() -> None:
    first = gm.sm4_gcm_encrypt(SM4_KEY, b"same")
    second = gm.sm4_gcm_encrypt(SM4_KEY, b"same")
    assert first[:12] != second[:12]
    assert first != second


def test_sm4_gcm_any_tampered_byte_is_rejected() -> None:
    aad = b"audit:2026"
    blob = gm.sm4_gcm_encrypt(SM4_KEY, b"138-0000-5678", aad)
    for index in range(len(blob)):
        with pytest.raises(gm.DecryptionError, match="authentication failed"):
            gm.sm4_gcm_decrypt(SM4_KEY, flip(blob, index), aad)


def test_sm4_gcm_tampered_or_missing_aad_is_rejected() -> None:
    aad = b"person:42"
    blob = gm.sm4_gcm_encrypt(SM4_KEY, b"secret", aad)
    for index in range(len(aad)):
        with pytest.raises(gm.DecryptionError):
            gm.sm4_gcm_decrypt(SM4_KEY, blob, flip(aad, index))
    for other in (b"", aad[:-1], aad + b"\x00"):
        with pytest.raises(gm.DecryptionError):
            gm.sm4_gcm_decrypt(SM4_KEY, blob, other)


def test_sm4_gcm_wrong_key_and_truncation_are_rejected() -> None:
    blob = gm.sm4_gcm_encrypt(SM4_KEY, b"secret")
    with pytest.raises(gm.DecryptionError):
        gm.sm4_gcm_decrypt(secrets.token_bytes(16), blob)
    for length in (0, 11, 27, len(blob) - 1):
        with pytest.raises(gm.DecryptionError):
            gm.sm4_gcm_decrypt(SM4_KEY, blob[:length])
    with pytest.raises(gm.DecryptionError):
        gm.sm4_gcm_decrypt(SM4_KEY, blob + b"\x00")


def test_decryption_error_is_a_gm_error() -> None:
    assert issubclass(gm.DecryptionError, gm.GmError)
    assert issubclass(gm.InvalidSignature, gm.GmError)
    assert issubclass(gm.InvalidKey, gm.GmError)


# --------------------------------------------------------------------------- SM4-CBC


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 100])
def test_sm4_cbc_interoperates_with_independent_implementation(size: int) -> None:
    from gmssl.sm4 import SM4_DECRYPT, SM4_ENCRYPT, CryptSM4

    data_key, iv = secrets.token_bytes(16), secrets.token_bytes(16)
    plaintext = secrets.token_bytes(size)
    ours = gm.sm4_cbc_encrypt(data_key, iv, plaintext)
    oracle = CryptSM4()
    oracle.set_key(data_key, SM4_DECRYPT)
    assert oracle.crypt_cbc(iv, ours) == plaintext
    oracle.set_key(data_key, SM4_ENCRYPT)
    theirs = oracle.crypt_cbc(iv, plaintext)
    assert theirs == ours
    assert gm.sm4_cbc_decrypt(data_key, iv, theirs) == plaintext


def test_sm4_cbc_errors() -> None:
    iv = bytes(16)
    with pytest.raises(gm.InvalidInput):
        gm.sm4_cbc_encrypt(SM4_KEY, iv[:8], b"x")
    for bad_length in (b"", b"x" * 15, b"x" * 17):
        with pytest.raises(gm.DecryptionError):
            gm.sm4_cbc_decrypt(SM4_KEY, iv, bad_length)
    # One block that decrypts to sixteen zero bytes: a padding byte of 0 is invalid.
    zero_block = gm.sm4_ecb_encrypt_block(SM4_KEY, bytes(16))
    with pytest.raises(gm.DecryptionError, match="SM4-CBC"):
        gm.sm4_cbc_decrypt(SM4_KEY, iv, zero_block)


# --------------------------------------------------------------------------- SM2: annex


def test_annex_public_key_and_z(annex_key: gm.SM2PrivateKey) -> None:
    public = annex_key.public_key()
    assert public.point == b"\x04" + ANNEX_X + ANNEX_Y
    # Z_A recomputed here from its definition, independently of the backend.
    entl = (len(gm.DEFAULT_USER_ID) * 8).to_bytes(2, "big")
    z_a = gm.sm3(entl + gm.DEFAULT_USER_ID + SM2_A + SM2_B + SM2_GX + SM2_GY + ANNEX_X + ANNEX_Y)
    assert z_a == ANNEX_ZA
    assert public.za() == ANNEX_ZA


def test_annex_signature_verifies(annex_key: gm.SM2PrivateKey) -> None:
    signature = encode_dss_signature(ANNEX_R, ANNEX_S)
    annex_key.public_key().verify(signature, ANNEX_SIGNED)
    with pytest.raises(gm.InvalidSignature):
        annex_key.public_key().verify(signature, ANNEX_SIGNED + b".")
    with pytest.raises(gm.InvalidSignature):
        annex_key.public_key().verify(signature, ANNEX_SIGNED, user_id=b"ALICE123@YAHOO.COM")


def test_annex_ciphertext_decrypts(annex_key: gm.SM2PrivateKey) -> None:
    assert annex_key.decrypt(ANNEX_CIPHERTEXT) == ANNEX_ENCRYPTED


def test_backend_reproduces_annex_with_the_annex_nonce() -> None:
    """The chosen backend, given the annex k, must output the annex values byte for byte.

    gmalglib reads the bytes of its random source as a little-endian integer, hence the
    reversal. This is the only place the nonce is forced; the facade never allows it.
    """
    from gmalglib.sm2 import SM2

    def annex_nonce(size: int) -> bytes:
        return ANNEX_K[::-1][:size]

    signer = SM2(sk=ANNEX_D, rnd_fn=annex_nonce)
    assert signer.sign(ANNEX_SIGNED) == ANNEX_R.to_bytes(32, "big") + ANNEX_S.to_bytes(32, "big")
    encryptor = SM2(pk=b"\x04" + ANNEX_X + ANNEX_Y, rnd_fn=annex_nonce)
    assert encryptor.encrypt(ANNEX_ENCRYPTED) == ANNEX_CIPHERTEXT


# --------------------------------------------------------------------------- SM2: signatures


@pytest.mark.parametrize("message", [b"", b"x", b"audit anchor 2026-11-29" * 100])
def test_sign_verify_round_trip(key: gm.SM2PrivateKey, message: bytes) -> None:
    signature = key.sign(message)
    assert signature[0] == 0x30
    key.public_key().verify(signature, message)
    assert key.public_key().verify(signature, message) is None


def test_signatures_are_randomised(key: gm.SM2PrivateKey) -> None:
    assert key.sign(b"same") != key.sign(b"same")


def test_custom_user_id(key: gm.SM2PrivateKey) -> None:
    signature = key.sign(b"message", user_id=b"zhuhai-gov@example.cn")
    key.public_key().verify(signature, b"message", user_id=b"zhuhai-gov@example.cn")
    with pytest.raises(gm.InvalidSignature):
        key.public_key().verify(signature, b"message")
    with pytest.raises(gm.InvalidSignature):
        key.public_key().verify(key.sign(b"message"), b"message", user_id=b"")
    with pytest.raises(gm.InvalidInput):
        key.sign(b"message", user_id=b"x" * 8192)


def test_tampered_message_is_rejected(key: gm.SM2PrivateKey) -> None:
    message = b"transfer 100 to account 1"
    signature = key.sign(message)
    for index in range(len(message)):
        with pytest.raises(gm.InvalidSignature):
            key.public_key().verify(signature, flip(message, index))


def test_tampered_or_truncated_signature_is_rejected(key: gm.SM2PrivateKey) -> None:
    message = b"anchor"
    signature = key.sign(message)
    for index in range(len(signature)):
        with pytest.raises(gm.InvalidSignature):
            key.public_key().verify(flip(signature, index), message)
    for length in range(len(signature)):
        with pytest.raises(gm.InvalidSignature):
            key.public_key().verify(signature[:length], message)
    with pytest.raises(gm.InvalidSignature):
        key.public_key().verify(signature + b"\x00", message)


def test_malformed_signatures_are_rejected(key: gm.SM2PrivateKey) -> None:
    message = b"anchor"
    signature = key.sign(message)
    raw = gm.signature_der_to_raw(signature)
    r = int.from_bytes(raw[:32], "big")
    s = int.from_bytes(raw[32:], "big")
    for bad in (
        raw,  # r || s where DER is expected
        encode_dss_signature(0, s),
        encode_dss_signature(r, 0),
        encode_dss_signature(r, s + SM2_N),
        encode_dss_signature(r + SM2_N, s),
        b"garbage",
    ):
        with pytest.raises(gm.InvalidSignature):
            key.public_key().verify(bad, message)


def test_signature_from_another_key_is_rejected(key: gm.SM2PrivateKey) -> None:
    other = gm.SM2PrivateKey.generate()
    with pytest.raises(gm.InvalidSignature):
        key.public_key().verify(other.sign(b"m"), b"m")


def test_raw_signature_conversion(key: gm.SM2PrivateKey) -> None:
    signature = key.sign(b"m")
    raw = gm.signature_der_to_raw(signature)
    assert len(raw) == 64
    assert gm.signature_raw_to_der(raw) == signature
    with pytest.raises(gm.InvalidSignature):
        gm.signature_raw_to_der(raw[:63])
    with pytest.raises(gm.InvalidSignature):
        gm.signature_raw_to_der(bytes(64))


# --------------------------------------------------------------------------- SM2: encryption


@pytest.mark.parametrize("size", [1, 31, 32, 33, 1000, 100_000])
def test_encrypt_decrypt_round_trip(key: gm.SM2PrivateKey, size: int) -> None:
    plaintext = secrets.token_bytes(size)
    ciphertext = key.public_key().encrypt(plaintext)
    assert len(ciphertext) == 65 + 32 + size
    assert ciphertext[0] == 0x04
    assert key.decrypt(ciphertext) == plaintext


def test_short_plaintexts_always_decrypt(key: gm.SM2PrivateKey) -> None:
    """gmalglib 0.5.9 breaks ~1 in 256 one-byte encryptions; the facade must retry them."""
    public = key.public_key()
    for value in range(2000):
        plaintext = bytes([value % 256])
        assert key.decrypt(public.encrypt(plaintext)) == plaintext


def test_empty_plaintext_is_refused(key: gm.SM2PrivateKey) -> None:
    with pytest.raises(gm.InvalidInput):
        key.public_key().encrypt(b"")


def test_tampered_ciphertext_is_rejected(key: gm.SM2PrivateKey) -> None:
    ciphertext = key.public_key().encrypt(b"data key 0123456")
    for index in range(len(ciphertext)):  # every byte of C1, C3 and C2
        with pytest.raises(gm.DecryptionError):
            key.decrypt(flip(ciphertext, index))
    for length in (0, 1, 65, 97, len(ciphertext) - 1):
        with pytest.raises(gm.DecryptionError):
            key.decrypt(ciphertext[:length])
    with pytest.raises(gm.DecryptionError):
        key.decrypt(b"\x02" + ciphertext[1:])
    with pytest.raises(gm.DecryptionError):
        gm.SM2PrivateKey.generate().decrypt(ciphertext)


# --------------------------------------------------------------------------- SM2: gmssl oracle


def oracle_for(key: gm.SM2PrivateKey, *, asn1: bool = True) -> CryptSM2:
    from gmssl.sm2 import CryptSM2

    return CryptSM2(
        private_key=key.to_der()[36:68].hex(),  # the 32-byte scalar inside our PKCS#8
        public_key=key.public_key().point[1:].hex(),
        mode=1,  # C1C3C2
        asn1=asn1,
    )


def oracle_friendly_key() -> gm.SM2PrivateKey:
    """gmssl strips the characters '0' and '4' from a public key beginning with '04' — a
    bug that corrupts x when it starts with 0x04; such keys are skipped for the oracle."""
    while True:
        candidate = gm.SM2PrivateKey.generate()
        if not candidate.public_key().point[1:].hex().startswith("04"):
            return candidate


def test_private_key_offset_used_by_the_oracle_is_the_scalar() -> None:
    scalar = (12345).to_bytes(32, "big")
    assert gm.SM2PrivateKey(scalar).to_der()[36:68] == scalar


@pytest.mark.parametrize("message", [b"", b"abc", secrets.token_bytes(300)])
def test_signatures_cross_verify_with_gmssl(message: bytes) -> None:
    key = oracle_friendly_key()
    oracle = oracle_for(key)
    ours = key.sign(message)
    assert oracle.verify_with_sm3(ours.hex(), message)
    nonce = format(1 + secrets.randbelow(SM2_N - 1), "064x")
    theirs = bytes.fromhex(oracle.sign_with_sm3(message, nonce))
    key.public_key().verify(theirs, message)
    with pytest.raises(gm.InvalidSignature):
        key.public_key().verify(theirs, message + b"!")
    raw_theirs = bytes.fromhex(oracle_for(key, asn1=False).sign_with_sm3(message, nonce))
    key.public_key().verify(gm.signature_raw_to_der(raw_theirs), message)


@pytest.mark.parametrize("size", [3, 32, 200])
def test_ciphertexts_cross_decrypt_with_gmssl(size: int) -> None:
    key = oracle_friendly_key()
    oracle = oracle_for(key)
    plaintext = secrets.token_bytes(size)
    ours = key.public_key().encrypt(plaintext)
    assert oracle.decrypt(ours[1:]) == plaintext  # gmssl writes C1 without the 04 prefix
    theirs = oracle.encrypt(plaintext)
    assert theirs is not None
    assert key.decrypt(b"\x04" + theirs) == plaintext


# --------------------------------------------------------------------------- SM2: keys


def test_key_ids(key: gm.SM2PrivateKey) -> None:
    public = key.public_key()
    assert public.key_id == gm.sm3(public.to_der()).hex()[:16]
    assert key.key_id == public.key_id
    assert len(key.key_id) == 16
    assert gm.SM2PrivateKey.generate().key_id != key.key_id
    assert key.key_id in repr(key)
    assert key.to_der().hex() not in repr(key)


def test_pem_round_trip_keeps_key_and_key_id(key: gm.SM2PrivateKey) -> None:
    private_pem = key.to_pem()
    public_pem = key.public_key().to_pem()
    assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    loaded = gm.SM2PrivateKey.from_pem(private_pem)
    loaded_public = gm.SM2PublicKey.from_pem(public_pem.decode("ascii"))
    assert loaded.key_id == key.key_id == loaded_public.key_id
    assert loaded.to_der() == key.to_der()
    assert loaded_public == key.public_key()
    assert hash(loaded_public) == hash(key.public_key())
    loaded_public.verify(loaded.sign(b"m"), b"m")
    assert key.decrypt(loaded_public.encrypt(b"m")) == b"m"


def test_der_round_trip_and_layout(key: gm.SM2PrivateKey) -> None:
    spki = key.public_key().to_der()
    # SEQUENCE { SEQUENCE { id-ecPublicKey, 1.2.156.10197.1.301 }, BIT STRING 04||x||y }
    assert (
        spki
        == bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d03420004")
        + key.public_key().point[1:]
    )
    assert gm.SM2PublicKey.from_der(spki).key_id == key.key_id
    assert gm.SM2PrivateKey.from_der(key.to_der()).key_id == key.key_id


def test_small_scalar_is_encoded_on_32_bytes() -> None:
    small = gm.SM2PrivateKey((1).to_bytes(32, "big"))
    assert len(small.to_der()) == 138
    assert gm.SM2PrivateKey.from_der(small.to_der()).key_id == small.key_id


def test_compressed_point_is_accepted_and_canonicalised(annex_key: gm.SM2PrivateKey) -> None:
    prefix = b"\x02" if ANNEX_Y[-1] % 2 == 0 else b"\x03"
    assert gm.SM2PublicKey(prefix + ANNEX_X) == annex_key.public_key()


@pytest.mark.parametrize(
    "scalar",
    [bytes(32), (SM2_N - 1).to_bytes(32, "big"), SM2_N.to_bytes(32, "big"), b"\x01" * 31],
)
def test_invalid_private_scalars(scalar: bytes) -> None:
    with pytest.raises(gm.InvalidKey):
        gm.SM2PrivateKey(scalar)


def _point_with_small_x() -> tuple[int, int]:
    """A curve point whose x is tiny, so that x + p still fits in 32 bytes."""
    a, b = int.from_bytes(SM2_A, "big"), int.from_bytes(SM2_B, "big")
    for x in range(1, 1000):
        rhs = (x**3 + a * x + b) % SM2_P
        y = pow(rhs, (SM2_P + 1) // 4, SM2_P)  # p = 3 (mod 4)
        if y * y % SM2_P == rhs:
            return x, y
    raise AssertionError("no point found")


def test_invalid_public_points() -> None:
    x, y = _point_with_small_x()
    gm.SM2PublicKey(b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big"))  # valid
    bad_points = [
        b"",
        b"\x00",
        b"\x04" + ANNEX_X + flip(ANNEX_Y, 31),  # off the curve
        b"\x04" + (x + SM2_P).to_bytes(32, "big") + y.to_bytes(32, "big"),  # x not reduced
        b"\x05" + ANNEX_X + ANNEX_Y,
        b"\x04" + ANNEX_X,
        b"\x02" + bytes.fromhex("FF" * 32),
    ]
    for point in bad_points:
        with pytest.raises(gm.InvalidKey):
            gm.SM2PublicKey(point)


def test_non_sm2_and_malformed_keys_are_rejected(key: gm.SM2PrivateKey) -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    p256_private = p256.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    p256_public = p256.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(gm.InvalidKey, match="SM2"):
        gm.SM2PrivateKey.from_pem(p256_private)
    with pytest.raises(gm.InvalidKey, match="SM2"):
        gm.SM2PublicKey.from_pem(p256_public)
    with pytest.raises(gm.InvalidKey):
        gm.SM2PrivateKey.from_pem(key.public_key().to_pem())
    with pytest.raises(gm.InvalidKey):
        gm.SM2PublicKey.from_pem(key.to_pem())
    with pytest.raises(gm.InvalidKey):
        gm.SM2PrivateKey.from_pem(b"not a pem")
    with pytest.raises(gm.InvalidKey):
        gm.SM2PrivateKey.from_der(key.to_der()[:-1])
    with pytest.raises(gm.InvalidKey):
        gm.SM2PrivateKey.from_der(key.to_der() + b"\x00")
    with pytest.raises(gm.InvalidKey):
        gm.SM2PublicKey.from_der(b"\x30\x03\x02\x01\x00")
    encrypted = (
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"
    )
    with pytest.raises(gm.InvalidKey, match="encrypted"):
        gm.SM2PrivateKey.from_pem(encrypted)


def test_rfc5915_ec_private_key_pem_needs_the_named_curve(key: gm.SM2PrivateKey) -> None:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import pem as asn1_pem

    def sec1(with_curve: bool) -> bytes:
        fields = {
            "version": "ecPrivkeyVer1",
            "private_key": int.from_bytes(key.to_der()[36:68], "big"),
            "public_key": key.public_key().point,
        }
        if with_curve:
            fields["parameters"] = asn1_keys.ECDomainParameters(
                name="named", value=gm.SM2_CURVE_OID
            )
        return asn1_pem.armor("EC PRIVATE KEY", asn1_keys.ECPrivateKey(fields).dump())

    assert gm.SM2PrivateKey.from_pem(sec1(with_curve=True)).to_der() == key.to_der()
    with pytest.raises(gm.InvalidKey, match="named curve"):
        gm.SM2PrivateKey.from_pem(sec1(with_curve=False))


def test_mismatched_embedded_public_key_is_rejected(key: gm.SM2PrivateKey) -> None:
    other_point = gm.SM2PrivateKey.generate().public_key().point
    der = key.to_der()
    assert der.endswith(key.public_key().point)
    with pytest.raises(gm.InvalidKey, match="does not match"):
        gm.SM2PrivateKey.from_der(der[: -len(other_point)] + other_point)


# --------------------------------------------------------------------------- SM2: OpenSSL


def _openssl_with_sm2() -> str | None:
    binary = shutil.which("openssl")
    if binary is None:
        return None
    probe = subprocess.run(
        [binary, "genpkey", "-algorithm", "SM2"], capture_output=True, check=False
    )
    return binary if probe.returncode == 0 else None


OPENSSL = _openssl_with_sm2()
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="no OpenSSL CLI with SM2 here")


def openssl(*args: str, stdin: bytes | None = None) -> bytes:
    assert OPENSSL is not None
    done = subprocess.run([OPENSSL, *args], input=stdin, capture_output=True, check=True)
    return done.stdout


@needs_openssl
def test_openssl_keys_load_and_ours_load_in_openssl(tmp_path: Path) -> None:
    their_pem = openssl("genpkey", "-algorithm", "SM2")
    theirs = gm.SM2PrivateKey.from_pem(their_pem)
    assert theirs.to_pem() == their_pem  # byte-identical PKCS#8
    assert theirs.public_key().to_pem() == openssl("pkey", "-pubout", stdin=their_pem)
    ours = gm.SM2PrivateKey.generate()
    assert openssl("pkey", "-pubout", stdin=ours.to_pem()) == ours.public_key().to_pem()
    assert openssl("pkey", "-pubin", "-pubout", stdin=ours.public_key().to_pem()) == (
        ours.public_key().to_pem()
    )


@needs_openssl
@pytest.mark.parametrize("user_id", [gm.DEFAULT_USER_ID, b"ALICE123@YAHOO.COM"])
def test_signatures_cross_verify_with_openssl(tmp_path: Path, user_id: bytes) -> None:
    key = gm.SM2PrivateKey.generate()
    key_file, pub_file = tmp_path / "key.pem", tmp_path / "pub.pem"
    msg_file, sig_file = tmp_path / "msg.bin", tmp_path / "sig.der"
    key_file.write_bytes(key.to_pem())
    pub_file.write_bytes(key.public_key().to_pem())
    message = secrets.token_bytes(77)
    msg_file.write_bytes(message)
    distid = f"distid:{user_id.decode('ascii')}"
    theirs = openssl(
        "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", str(key_file),
        "-pkeyopt", distid, "-in", str(msg_file),
    )  # fmt: skip
    key.public_key().verify(theirs, message, user_id=user_id)
    sig_file.write_bytes(key.sign(message, user_id=user_id))
    verdict = openssl(
        "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pubin", "-inkey", str(pub_file),
        "-pkeyopt", distid, "-in", str(msg_file), "-sigfile", str(sig_file),
    )  # fmt: skip
    assert b"Signature Verified Successfully" in verdict


class SM2Cipher(asn1_core.Sequence):
    """GM/T 0009 SM2Cipher, the ASN.1 form OpenSSL writes: C1 as two INTEGERs, C3, C2."""

    _fields = [  # asn1crypto declares fields this way
        ("x", asn1_core.Integer),
        ("y", asn1_core.Integer),
        ("hash", asn1_core.OctetString),
        ("ciphertext", asn1_core.OctetString),
    ]


def _asn1_to_c1c3c2(der: bytes) -> bytes:
    value = SM2Cipher.load(der, strict=True)
    return (
        b"\x04"
        + value["x"].native.to_bytes(32, "big")
        + value["y"].native.to_bytes(32, "big")
        + value["hash"].native
        + value["ciphertext"].native
    )


def _c1c3c2_to_asn1(ciphertext: bytes) -> bytes:
    return SM2Cipher(
        {
            "x": int.from_bytes(ciphertext[1:33], "big"),
            "y": int.from_bytes(ciphertext[33:65], "big"),
            "hash": ciphertext[65:97],
            "ciphertext": ciphertext[97:],
        }
    ).dump()


@needs_openssl
def test_ciphertexts_cross_decrypt_with_openssl(tmp_path: Path) -> None:
    key = gm.SM2PrivateKey.generate()
    key_file, pub_file = tmp_path / "key.pem", tmp_path / "pub.pem"
    key_file.write_bytes(key.to_pem())
    pub_file.write_bytes(key.public_key().to_pem())
    plaintext = secrets.token_bytes(48)
    theirs = openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", str(pub_file), stdin=plaintext)
    assert key.decrypt(_asn1_to_c1c3c2(theirs)) == plaintext
    ours = _c1c3c2_to_asn1(key.public_key().encrypt(plaintext))
    assert openssl("pkeyutl", "-decrypt", "-inkey", str(key_file), stdin=ours) == plaintext
