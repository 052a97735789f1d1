"""The name sanitiser: whatever comes in, either a clean name or a bad_name refusal."""

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzheng.foundation.files.names import MAX_NAME_BYTES, MAX_NAME_CHARS, sanitise_name

names = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from("申请表材料./\\ .\x00\x1f\u202e:*?<>|abcCONnul"), max_size=40),
    st.from_regex(r"(\.\./)+[a-z]+", fullmatch=True),
)


# The machine is shared: generating 300-character texts can be slow, never wrong.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names)
def test_a_name_is_either_clean_or_refused(raw):
    try:
        name = sanitise_name(raw)
    except ValidationError as exc:
        assert exc.code == "bad_name"
        return
    assert name
    assert "/" not in name and "\\" not in name
    assert name not in (".", "..")
    assert not name.startswith((".", " ")) and not name.endswith((".", " "))
    assert all(unicodedata.category(c)[0] != "C" for c in name)
    assert len(name) <= MAX_NAME_CHARS and len(name.encode()) <= MAX_NAME_BYTES
    assert unicodedata.is_normalized("NFC", name)
    assert sanitise_name(name) == name  # tidying a tidy name changes nothing


@given(st.text(max_size=50), st.sampled_from("/\\"), st.text(max_size=50))
def test_any_path_separator_is_refused(before, separator, after):
    with pytest.raises(ValidationError) as excinfo:
        sanitise_name(before + separator + after)
    assert excinfo.value.code == "bad_name"


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("营业执照.pdf", "营业执照.pdf"),
        ("  ..隐藏.pdf", "隐藏.pdf"),
        ("a   b\u3000c.pdf", "a b c.pdf"),
        ("a\tb.pdf", None),
        ('报告<终稿>:"v2"?.docx', "报告_终稿___v2__.docx"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("e\u0301.jpg", "\u00e9.jpg"),
    ],
)
def test_harmless_oddities_are_tidied(raw, kept):
    if kept is None:  # a tab is a control character: refused, not tidied
        with pytest.raises(ValidationError):
            sanitise_name(raw)
    else:
        assert sanitise_name(raw) == kept
