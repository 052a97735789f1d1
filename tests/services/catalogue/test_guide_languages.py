"""办事指南 in the portal's four languages: a provided translation wins; 繁體 is converted from
the Simplified text (Macau usage) when none is provided; pt / en fall back to the Chinese
original and say so."""

import pytest
from django.urls import reverse
from django.utils import timezone

from shuzheng.services.catalogue import localise
from shuzheng.services.catalogue.models import Fee, ItemVersion, Question, VersionStatus

pytestmark = pytest.mark.django_db


def guide(client, item, language):
    url = reverse("catalogue:guide", args=[item.implementation_code])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def translated_item(item_factory, org, translations, *, parts=False):
    item = item_factory(org, publish=False)
    version = item.versions.get()
    ItemVersion.objects.filter(pk=version.pk).update(
        translations=translations, acceptance_conditions="申请人已取得经营场所"
    )
    if parts:
        Fee.objects.create(version=version, name="工本费", standard="免费")
        Question.objects.create(version=version, question="如何登录？", answer="使用统一身份认证")
    ItemVersion.objects.filter(pk=version.pk).update(
        status=VersionStatus.PUBLISHED, published_at=timezone.now()
    )
    item.current = version
    item.save(update_fields=["current"])
    return item


def test_traditional_page_converts_the_simplified_content(client, item_factory, tree):
    item = translated_item(item_factory, tree.zwfw, {}, parts=True)
    page = guide(client, item, "zh-MO")
    assert '<html lang="zh-hant"' in page
    assert "經營場所使用證明" in page  # a material
    assert "申請人已取得經營場所" in page  # acceptance conditions
    assert "工本費" in page  # a fee
    assert "如何登入？" in page  # Macau usage: 登录 → 登入, not 登錄
    assert "经营场所使用证明" not in page
    assert 'id="machine-converted"' in page


def test_traditional_page_prefers_a_provided_translation(client, item_factory, tree):
    item = translated_item(
        item_factory,
        tree.zwfw,
        {
            "zh-hant": {
                "name": "個體戶開業登記",
                "materials": {"premises": {"name": "經營場址證明文件"}},
            }
        },
    )
    page = guide(client, item, "zh-MO")
    assert "個體戶開業登記" in page and "個體工商戶設立登記" not in page
    assert "經營場址證明文件" in page and "經營場所使用證明" not in page
    assert "經營者身份證明" in page  # the rest still converted


def test_portuguese_page_shows_a_provided_portuguese_name(client, item_factory, tree):
    item = translated_item(
        item_factory, tree.zwfw, {"pt": {"name": "Registo de empresário em nome individual"}}
    )
    page = guide(client, item, "pt-MO")
    assert '<html lang="pt"' in page
    assert "Registo de empresário em nome individual" in page
    # Partly translated: the untranslated parts are shown in Chinese and the page says so.
    assert 'id="translation-fallback"' in page
    assert "申请人已取得经营场所" in page


def test_portuguese_page_without_a_translation_shows_chinese_with_a_note(
    client, item_factory, tree
):
    item = translated_item(item_factory, tree.zwfw, {})
    page = guide(client, item, "pt")
    assert 'id="translation-fallback"' in page
    assert "个体工商户设立登记" in page
    assert 'lang="zh-Hans"' in page  # the Chinese body is marked as such for screen readers
    assert 'id="machine-converted"' not in page


def test_english_page_fully_translated_has_no_fallback_note(client, item_factory, tree):
    materials = {
        code: {"name": name}
        for code, name in [
            ("id_proof", "Operator's identity document"),
            ("premises", "Proof of premises"),
            ("health_cert", "Health certificate"),
            ("old_form", "Name pre-approval notice"),
        ]
    }
    item = translated_item(
        item_factory,
        tree.zwfw,
        {
            "en": {
                "name": "Individual business registration",
                "legal_basis": "Regulations, art. 8",
                "implementer_nature": "Statutory authority",
                "review_steps": ["Examination", "Approval"],
                "acceptance_conditions": "The applicant has business premises",
                "materials": materials,
            }
        },
    )
    page = guide(client, item, "en")
    assert "Individual business registration" in page
    assert "Proof of premises" in page
    assert 'id="translation-fallback"' not in page


def test_simplified_page_ignores_translations(client, item_factory, tree):
    item = translated_item(item_factory, tree.zwfw, {"pt": {"name": "Registo"}})
    page = guide(client, item, "zh-CN")
    assert "个体工商户设立登记" in page and "Registo" not in page
    assert 'id="translation-fallback"' not in page


def test_language_switcher_choice_applies_to_the_guide(client, item_factory, tree):
    item = translated_item(item_factory, tree.zwfw, {})
    client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    url = reverse("catalogue:guide", args=[item.implementation_code])
    assert "個體工商戶設立登記" in client.get(url).content.decode()


# --- the localise module itself ----------------------------------------------------------


@pytest.mark.parametrize(
    "code,expected",
    [
        ("zh-hans", "zh-hans"),
        ("zh-hant", "zh-hant"),
        ("zh-hk", "zh-hant"),
        ("zh-MO", "zh-hant"),
        ("pt-br", "pt"),
        ("en-gb", "en"),
        ("fr", "zh-hans"),
        (None, "zh-hans"),
    ],
)
def test_language_codes_map_to_the_four_content_languages(code, expected):
    assert localise.language_of(code) == expected


def test_conversion_uses_macau_terms_and_is_cached():
    localise.to_traditional.cache_clear()
    assert localise.to_traditional("退出登录") == "登出"
    assert localise.to_traditional("统一身份认证登录") == "統一身份認證登入"
    localise.to_traditional("统一身份认证登录")
    assert localise.to_traditional.cache_info().hits >= 1


def test_localised_marks_where_the_text_came_from(item_factory, tree):
    item = item_factory(tree.zwfw)
    version = item.current
    version.translations = {"pt": {"name": "Registo"}}
    name = localise.localised(version, "name", "pt")
    assert name == "Registo" and not name.fallback and not name.machine
    location = localise.localised(version, "legal_basis", "pt")
    assert location == version.legal_basis and location.fallback and not location.machine
    hant = localise.localised(version, "name", "zh-hant")
    assert hant == "個體工商戶設立登記" and hant.machine and not hant.fallback
    steps = localise.localised(version, "review_steps", "zh-hant")
    assert steps == ["審查", "審批"]


def test_an_empty_field_is_not_a_missing_translation(item_factory, tree):
    item = item_factory(tree.zwfw)
    version = item.current
    version.translations = {"en": {"name": "Registration"}}
    assert not localise.localised(version, "short_name", "en").fallback
