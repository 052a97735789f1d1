"""Validation and normalisation of identity document numbers and mobile numbers.

Every ``normalize_*`` function takes user input (any string), returns the
canonical form to store, or raises :class:`django.core.exceptions.ValidationError`
with a Simplified Chinese message that says exactly what is wrong and one of
these codes:

``length``        wrong number of characters;
``format``        illegal characters or a wrong structure;
``checksum``      the check character does not match;
``birth_date``    the birth date embedded in a GB 11643 number is not a real past date;
``region``        the division code / country is not acceptable for the document;
``ambiguous``     a bare 8-digit phone number (Macau or Hong Kong?);
``not_mobile``    a valid phone number that is a landline;
``unknown_type``  an id type that is not one of :class:`IdType`.

No other exception type escapes for any ``str`` input: user input is never
trusted to have the shape a third-party library expects, so we check the shape
ourselves before handing it to ``stdnum``, ``idnumbers`` or ``phonenumbers``.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Iterable
from datetime import date

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from idnumbers.nationalid.HKG import NationalID as HongKongNationalID
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumValidationError


class IdType(models.TextChoices):
    """Identity document types.

    Values follow the national certificate-type codes (GA/T 517 style) so that
    they can be exchanged with other government systems unchanged.  Macau and
    Hong Kong identity cards have no national code; 991/992 are platform
    extension codes.
    """

    RESIDENT_ID = "111", _("居民身份证")
    HK_MACAO_PERMIT = "516", _("港澳居民来往内地通行证")
    HK_MACAO_RESIDENCE_PERMIT = "554", _("港澳居民居住证")
    TAIWAN_PERMIT = "511", _("台湾居民来往大陆通行证")
    PASSPORT = "414", _("护照")
    MACAU_ID = "991", _("澳门居民身份证")  # platform extension code: no national code exists
    HONG_KONG_ID = "992", _("香港身份证")  # platform extension code


# --------------------------------------------------------------------------
# Input clean-up shared by all validators
# --------------------------------------------------------------------------

# Chinese input methods often produce full-width characters (１２３, Ｘ, （）):
# map the full-width ASCII block and the ideographic space to plain ASCII.
_FULLWIDTH_TO_ASCII: dict[int, int | None] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH_TO_ASCII[0x3000] = 0x20
# Zero-width characters sneak in when numbers are copied from web pages.
_FULLWIDTH_TO_ASCII.update(dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff")))
# Only ASCII letters are upper-cased: str.upper() would turn "ſ" into "S" or
# "ß" into "SS" and let non-ASCII input slip through as a valid number.
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)

_DIGITS = frozenset(string.digits)
_UPPER_ALNUM = frozenset(string.digits + string.ascii_uppercase)
_MAX_SHOWN_CHARS = 5


def _compact(value: object, name: Promise | str, *, upper: bool = True) -> str:
    """Return ``value`` without whitespace, full-width characters mapped to ASCII.

    Raises ``format`` for non-string input so that callers outside forms
    (services, imports) get the same error type as for bad strings.
    """
    if not isinstance(value, str):
        raise ValidationError(_("%(name)s必须是文本"), code="format", params={"name": name})
    value = "".join(value.translate(_FULLWIDTH_TO_ASCII).split())
    return value.translate(_ASCII_UPPER) if upper else value


def _describe_chars(chars: Iterable[str]) -> str:
    """List distinct offending characters for a message, invisible ones as U+XXXX."""
    unique = list(dict.fromkeys(chars))
    shown = [f"“{c}”" if c.isprintable() else f"U+{ord(c):04X}" for c in unique[:_MAX_SHOWN_CHARS]]
    listed = str(pgettext_lazy("list separator", "、")).join(shown)
    if len(unique) > _MAX_SHOWN_CHARS:
        listed = str(_("%(chars)s等")) % {"chars": listed}
    return listed


def _reject_illegal_chars(value: str, allowed: frozenset[str], name: Promise | str) -> None:
    bad = [c for c in value if c not in allowed]
    if bad:
        raise ValidationError(
            _("%(name)s含有非法字符：%(chars)s"),
            code="format",
            params={"name": name, "chars": _describe_chars(bad)},
        )


def _length_error(name: Promise | str, expected: Promise | str, length: int) -> ValidationError:
    return ValidationError(
        _("%(name)s应为%(expected)s位，当前为%(length)s位"),
        code="length",
        params={"name": name, "expected": expected, "length": length},
    )


def _is_ascii_digits(value: str) -> bool:
    return bool(value) and all(c in _DIGITS for c in value)


def _split_printed_check_char(value: str, name: Promise | str, example: str) -> str:
    """Turn the printed form ``X123456(7)`` into the compact ``X1234567``.

    Brackets are only meaningful around the final check character; anywhere
    else they indicate a typing mistake, so they are rejected, not dropped.
    """
    if "(" not in value and ")" not in value:
        return value
    if value.count("(") == 1 and value.count(")") == 1 and value[-3:-2] == "(" and value[-1] == ")":
        return value[:-3] + value[-2]
    raise ValidationError(
        _("%(name)s的括号只能用于最后一位校验位，例如%(example)s"),
        code="format",
        params={"name": name, "example": example},
    )


# --------------------------------------------------------------------------
# GB 11643 numbers: 居民身份证 and 港澳居民居住证
# --------------------------------------------------------------------------

_RESIDENT_ID_NAME = _("居民身份证号码")
_RESIDENCE_PERMIT_NAME = _("港澳居民居住证号码")
_GB11643_CHARS = frozenset(string.digits + "X")
# Division codes that GB 11643-format residence permits use instead of a
# mainland county (公安部 2018): Hong Kong, Macau, Taiwan.
_HK_MACAU_PERMIT_CODES = frozenset({"810000", "820000"})
_TAIWAN_PERMIT_CODE = "830000"


def _today() -> date:
    """Today in the project's time zone (Asia/Shanghai), not the server's."""
    return timezone.localdate() if settings.USE_TZ else date.today()


@functools.lru_cache(maxsize=4096)
def _division_code_exists(code: str) -> bool:
    """Whether ``code`` has ever been a county-level division code.

    This reads the same table as ``stdnum.cn.ric.get_birth_place`` but
    deliberately ignores that function's "code must have existed in the birth
    year" window: the code records where the number was *assigned* (first
    household registration, or 1984-85 for everyone then alive), which is
    often years after birth.  ``get_birth_place`` therefore rejects genuine
    numbers such as anyone born before 1984 in 香洲区 (440402, created 1984),
    and it raises ``KeyError`` for an unknown county of a known province.
    """
    return any("county" in props for _part, props in numdb.get("cn/loc").info(code))


def _check_resident_region(value: str) -> None:
    code = value[:6]
    if code in _HK_MACAU_PERMIT_CODES:
        raise ValidationError(
            _("%(code)s是港澳居民居住证的地区代码，请将证件类型选为“港澳居民居住证”"),
            code="region",
            params={"code": code},
        )
    if code == _TAIWAN_PERMIT_CODE:
        raise ValidationError(
            _("%(code)s是台湾居民居住证的地区代码，不是居民身份证号码"),
            code="region",
            params={"code": code},
        )
    if not _division_code_exists(code):
        raise ValidationError(
            _("居民身份证号码的地区代码%(code)s无效"), code="region", params={"code": code}
        )


def _check_residence_permit_region(value: str) -> None:
    code = value[:6]
    if code not in _HK_MACAU_PERMIT_CODES:
        raise ValidationError(
            _("港澳居民居住证号码应以810000（香港）或820000（澳门）开头，当前为%(code)s"),
            code="region",
            params={"code": code},
        )


def _normalize_gb11643(
    number: str, name: Promise | str, check_region: Callable[[str], None]
) -> str:
    """Shared GB 11643 checks: 6-digit division code, birth date, sequence, check char.

    Order of checks: characters, length, structure, region, birth date,
    checksum — so a typo inside the date or division code is reported as
    such rather than as a bare checksum failure.
    """
    value = _compact(number, name)
    _reject_illegal_chars(value, _GB11643_CHARS, name)
    if len(value) != 18:
        raise _length_error(name, "18", len(value))
    if "X" in value[:17]:
        raise ValidationError(
            _("%(name)s只有最后一位（校验位）可以是X"), code="format", params={"name": name}
        )
    check_region(value)
    try:
        born = ric.get_birth_date(value)
    except StdnumValidationError:
        raise ValidationError(
            _("%(name)s中的出生日期无效：%(date)s不是真实存在的日期"),
            code="birth_date",
            params={"name": name, "date": value[6:14]},
        ) from None
    if born > _today():
        raise ValidationError(
            _("%(name)s中的出生日期无效：%(date)s晚于今天"),
            code="birth_date",
            params={"name": name, "date": value[6:14]},
        )
    # calc_check_digit expects the full 18 characters and ignores the last one.
    if value[-1] != ric.calc_check_digit(value):
        raise ValidationError(
            _("%(name)s校验位错误，请核对号码是否输入有误"), code="checksum", params={"name": name}
        )
    return value


def normalize_resident_id(number: str) -> str:
    """Validate a 公民身份号码 (GB 11643-1999) and return its 18-character form.

    Spaces are removed and a lowercase ``x`` check character is upper-cased.
    The first six digits must be a division code that has existed at some time
    (see :func:`_division_code_exists` for why the birth year is not used),
    the birth date must be a real date not in the future, and the ISO 7064
    MOD 11-2 check character (computed by ``stdnum``) must match.
    """
    return _normalize_gb11643(number, _RESIDENT_ID_NAME, _check_resident_region)


def normalize_hk_macao_residence_permit(number: str) -> str:
    """Validate a 港澳居民居住证 number.

    Same 18-character GB 11643 structure, check character and birth date as
    the resident ID, but the division code is fixed: 810000 (Hong Kong) or
    820000 (Macau).  ``stdnum``'s birth-place lookup does not apply.
    """
    return _normalize_gb11643(number, _RESIDENCE_PERMIT_NAME, _check_residence_permit_region)


# --------------------------------------------------------------------------
# Other identity documents
# --------------------------------------------------------------------------

_HK_MACAO_PERMIT_NAME = _("港澳居民来往内地通行证号码")
_TAIWAN_PERMIT_NAME = _("台湾居民来往大陆通行证号码")
_PASSPORT_NAME = _("护照号码")
_MACAU_ID_NAME = _("澳门居民身份证号码")
_HONG_KONG_ID_NAME = _("香港身份证号码")
_MACAU_REGISTRATION_NAME = _("澳门商业登记编号")

_HK_MACAO_PERMIT_CHARS = frozenset(string.digits + "HM")
_BRACKETED_ID_CHARS = frozenset(string.digits + string.ascii_uppercase + "()")
_BRACKETED_DIGIT_CHARS = frozenset(string.digits + "()")
_HONG_KONG_ID_RE = re.compile(r"[A-Z]{1,2}[0-9]{6}[0-9A]")
_MACAU_ID_FIRST_DIGITS = frozenset("157")


def normalize_hk_macao_permit(number: str) -> str:
    """Validate a 港澳居民来往内地通行证 number: ``H``/``M`` + 8 digits.

    ``H`` is issued to Hong Kong residents and ``M`` to Macau residents.  The
    legacy booklet/card numbers with 10 digits after the letter are still
    accepted because such numbers remain on file in older records.
    """
    name = _HK_MACAO_PERMIT_NAME
    value = _compact(number, name)
    _reject_illegal_chars(value, _HK_MACAO_PERMIT_CHARS, name)
    if len(value) not in (9, 11):
        raise _length_error(name, _("9（旧版为11）"), len(value))
    if value[0] not in "HM":
        raise ValidationError(
            _("%(name)s应以H（香港居民）或M（澳门居民）开头"), code="format", params={"name": name}
        )
    if not _is_ascii_digits(value[1:]):
        raise ValidationError(
            _("%(name)s在首字母H或M之后应全部为数字"), code="format", params={"name": name}
        )
    return value


def normalize_taiwan_permit(number: str) -> str:
    """Validate a 台湾居民来往大陆通行证 number: 8 digits (legacy: 10 digits)."""
    name = _TAIWAN_PERMIT_NAME
    value = _compact(number, name)
    _reject_illegal_chars(value, _DIGITS, name)
    if len(value) not in (8, 10):
        raise _length_error(name, _("8（旧版为10）"), len(value))
    return value


def normalize_passport(number: str) -> str:
    """Validate a passport number: 5–17 letters or digits, upper-cased.

    Passports come from any country, so only the ICAO 9303 machine-readable
    character set and a plausible length are enforced.
    """
    name = _PASSPORT_NAME
    value = _compact(number, name)
    _reject_illegal_chars(value, _UPPER_ALNUM, name)
    if not 5 <= len(value) <= 17:
        raise _length_error(name, _("%(low)s至%(high)s") % {"low": 5, "high": 17}, len(value))
    return value


def normalize_hong_kong_id(number: str) -> str:
    """Validate a 香港身份证 number and return the printed form ``A123456(3)``.

    One or two letters, six digits and a check character (0-9 or A).  The
    check is the published MOD 11 rule (a single-letter prefix is padded with
    a space worth 36, letters A-Z are 10-35, weights 9..2, check = (11 - sum
    mod 11) mod 11 with 10 written as A), computed by ``idnumbers``, whose
    implementation was verified against the rule (see the tests).  Accepts the
    printed form with brackets and the compact form without.
    """
    name = _HONG_KONG_ID_NAME
    value = _compact(number, name)
    _reject_illegal_chars(value, _BRACKETED_ID_CHARS, name)
    value = _split_printed_check_char(value, name, "A123456(3)")
    if len(value) not in (8, 9):
        raise _length_error(name, _("8或9（不含括号）"), len(value))
    if not _HONG_KONG_ID_RE.fullmatch(value):
        raise ValidationError(
            _("%(name)s应为1至2个英文字母、6位数字和1位校验位（0-9或A），例如A123456(3)"),
            code="format",
            params={"name": name},
        )
    if HongKongNationalID.checksum(value) != value[-1]:
        raise ValidationError(
            _("%(name)s校验位错误，请核对号码是否输入有误"), code="checksum", params={"name": name}
        )
    return f"{value[:-1]}({value[-1]})"


def normalize_macau_id(number: str) -> str:
    """Validate a 澳门居民身份证 number and return the printed form ``1234567(8)``.

    Seven digits plus a check digit; the first digit is 1, 5 or 7 (the
    issuing generation/authority).  The check-digit algorithm is not public,
    so only the format is validated (``idnumbers``' Macau ``NationalID`` does
    the same); a mistyped number can pass and must be caught by matching
    against the holder's document.
    """
    name = _MACAU_ID_NAME
    value = _compact(number, name)
    _reject_illegal_chars(value, _BRACKETED_DIGIT_CHARS, name)
    value = _split_printed_check_char(value, name, "1234567(8)")
    if len(value) != 8:
        raise _length_error(name, _("8（不含括号）"), len(value))
    if value[0] not in _MACAU_ID_FIRST_DIGITS:
        raise ValidationError(
            _("%(name)s首位应为1、5或7，当前为%(digit)s"),
            code="format",
            params={"name": name, "digit": value[0]},
        )
    return f"{value[:7]}({value[7]})"


_NORMALIZERS: dict[str, Callable[[str], str]] = {
    IdType.RESIDENT_ID.value: normalize_resident_id,
    IdType.HK_MACAO_PERMIT.value: normalize_hk_macao_permit,
    IdType.HK_MACAO_RESIDENCE_PERMIT.value: normalize_hk_macao_residence_permit,
    IdType.TAIWAN_PERMIT.value: normalize_taiwan_permit,
    IdType.PASSPORT.value: normalize_passport,
    IdType.MACAU_ID.value: normalize_macau_id,
    IdType.HONG_KONG_ID.value: normalize_hong_kong_id,
}


def normalize_id_number(id_type: str, number: str) -> str:
    """Validate ``number`` as a document of ``id_type`` and return its canonical form."""
    key = id_type.value if isinstance(id_type, IdType) else id_type
    normalizer = _NORMALIZERS.get(key) if isinstance(key, str) else None
    if normalizer is None:
        raise ValidationError(
            _("不支持的证件类型：%(id_type)s"), code="unknown_type", params={"id_type": id_type}
        )
    return normalizer(number)


# --------------------------------------------------------------------------
# Enterprises
# --------------------------------------------------------------------------

_USCC_NAME = _("统一社会信用代码")
# GB 32100-2015 character set: digits and upper-case letters without I, O, S, V, Z.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_CHARS = frozenset(_USCC_ALPHABET)


def normalize_uscc(code: str) -> str:
    """Validate a 统一社会信用代码 (GB 32100-2015) and return it upper-cased.

    18 characters from the GB 32100 alphabet; characters 3-8 (the registering
    authority's division code) are digits; the last is the MOD 31 check
    character computed by ``stdnum``.  ``stdnum.cn.uscc.validate`` is not used
    because it also requires the first two characters to be digits, which
    rejects genuine codes from authorities with letter codes (e.g. ``N`` for
    农业农村部门-registered 农村集体经济组织).
    """
    name = _USCC_NAME
    value = _compact(code, name)
    bad = [c for c in value if c not in _USCC_CHARS]
    if bad:
        raise ValidationError(
            _("%(name)s含有非法字符：%(chars)s（统一社会信用代码不使用字母I、O、S、V、Z）"),
            code="format",
            params={"name": name, "chars": _describe_chars(bad)},
        )
    if len(value) != 18:
        raise _length_error(name, "18", len(value))
    if not _is_ascii_digits(value[2:8]):
        raise ValidationError(
            _("%(name)s第3至8位（登记管理机关行政区划码）应为数字"),
            code="format",
            params={"name": name},
        )
    if value[-1] != uscc.calc_check_digit(value[:17]):
        raise ValidationError(
            _("%(name)s校验位错误，请核对代码是否输入有误"), code="checksum", params={"name": name}
        )
    return value


def normalize_macau_registration(number: str) -> str:
    """Validate a 澳门商业登记编号: 1-6 digits.

    This is the registration number issued by the Conservatória do Registo
    Comercial e de Bens Móveis (商业及动产登记局), printed on the commercial
    registration certificate.  Leading zeros are significant and kept.
    """
    name = _MACAU_REGISTRATION_NAME
    value = _compact(number, name)
    _reject_illegal_chars(value, _DIGITS, name)
    if not 1 <= len(value) <= 6:
        raise _length_error(name, _("%(low)s至%(high)s") % {"low": 1, "high": 6}, len(value))
    return value


# --------------------------------------------------------------------------
# Mobile numbers
# --------------------------------------------------------------------------

_MOBILE_NAME = _("手机号码")
_PHONE_CHARS = frozenset(string.digits + "+-().")
_PHONE_SEPARATORS = str.maketrans("", "", "-().")
_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
# region -> (label, national number length)
_MOBILE_REGIONS: dict[str, tuple[Promise, int]] = {
    "CN": (_("中国内地"), 11),
    "MO": (_("澳门"), 8),
    "HK": (_("香港"), 8),
}


def _parse_phone(value: str, region: str | None) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("无法识别的电话号码：%(number)s"), code="format", params={"number": value}
        ) from None


def normalize_mobile(number: str) -> str:
    """Validate a mainland China, Macau or Hong Kong mobile number; return E.164.

    Without a ``+`` prefix only an 11-digit mainland number (or an ``00``
    international-dialling form) is accepted: a bare 8-digit number could be
    Macau or Hong Kong, so the user is asked for +853 / +852 instead of us
    guessing.  Validity and the mobile type come from ``phonenumbers``'
    numbering-plan metadata, so unallocated ranges are rejected.
    """
    name = _MOBILE_NAME
    value = _compact(number, name, upper=False)
    _reject_illegal_chars(value, _PHONE_CHARS, name)
    if "+" in value[1:]:
        raise ValidationError(_("“+”只能出现在号码开头"), code="format")
    digits = value.lstrip("+").translate(_PHONE_SEPARATORS)
    if not digits:
        raise ValidationError(_("请输入手机号码"), code="length")
    if value.startswith("+") or digits.startswith("00"):
        parsed = _parse_phone(value, "CN")
    elif len(digits) == 8:
        raise ValidationError(
            _("无法判断%(number)s是澳门还是香港号码，请加上区号+853（澳门）或+852（香港）"),
            code="ambiguous",
            params={"number": digits},
        )
    elif digits.startswith("1"):
        if len(digits) != 11:
            raise ValidationError(
                _("%(region)s手机号码应为%(expected)s位，当前为%(length)s位"),
                code="length",
                params={"region": _MOBILE_REGIONS["CN"][0], "expected": 11, "length": len(digits)},
            )
        parsed = _parse_phone(digits, "CN")
    else:
        raise ValidationError(
            _("请填写11位中国内地手机号码；澳门、香港号码请加上+853或+852"), code="format"
        )

    region = phonenumbers.region_code_for_number(parsed)
    if region not in _MOBILE_REGIONS:
        raise ValidationError(
            _("仅支持中国内地（+86）、澳门（+853）和香港（+852）的手机号码"), code="region"
        )
    label, expected_length = _MOBILE_REGIONS[region]
    # Messages quote the national number: that is what the user typed.
    national = phonenumbers.national_significant_number(parsed)
    if phonenumbers.is_valid_number(parsed):
        if phonenumbers.number_type(parsed) not in _MOBILE_TYPES:
            raise ValidationError(
                _("%(number)s是%(region)s固定电话号码，请填写手机号码"),
                code="not_mobile",
                params={"number": national, "region": label},
            )
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if len(national) != expected_length:
        raise ValidationError(
            _("%(region)s手机号码应为%(expected)s位，当前为%(length)s位"),
            code="length",
            params={"region": label, "expected": expected_length, "length": len(national)},
        )
    raise ValidationError(
        _("%(number)s不是有效的%(region)s手机号码（号段不存在）"),
        code="format",
        params={"number": national, "region": label},
    )


# --------------------------------------------------------------------------
# Masking for display and logs
# --------------------------------------------------------------------------


def _mask_keep(value: str, head: int, tail: int) -> str:
    """Replace the letters/digits of ``value`` except the first ``head`` and last ``tail``.

    Punctuation such as the brackets of ``A123456(3)`` is kept so the masked
    value still looks like the document.  Values too short to hide anything
    are masked completely.
    """
    positions = [i for i, c in enumerate(value) if c.isalnum()]
    if len(positions) <= head + tail:
        keep: set[int] = set()
    else:
        keep = set(positions[:head]) | set(positions[len(positions) - tail :])
    return "".join(c if i in keep or not c.isalnum() else "*" for i, c in enumerate(value))


def mask_id_number(number: str) -> str:
    """Mask a stored document number for display.

    18-character GB 11643 numbers keep the division code and the last four
    (``440402********1234``), the conventional government display form.
    Shorter numbers keep the first character and the last two.
    """
    if len(number) == 18:
        return f"{number[:6]}{'*' * 8}{number[-4:]}"
    return _mask_keep(number, 1, 2)


def mask_mobile(e164: str) -> str:
    """Mask a stored E.164 mobile number for display.

    Mainland numbers use the familiar ``138****5678``; Macau/Hong Kong
    numbers keep the country code and the first and last two digits of the
    national number: ``+853 66****56``.  Anything unparsable is masked
    completely rather than risk showing it.
    """
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "*" * len(e164)
    national = phonenumbers.national_significant_number(parsed)
    if parsed.country_code == 86 and len(national) == 11:
        return f"{national[:3]}****{national[-4:]}"
    return f"+{parsed.country_code} {_mask_keep(national, 2, 2)}"
