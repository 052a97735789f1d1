"""What a citizen types finds what the government calls it, and says why it matched."""

import pytest
from django.contrib.auth.models import AnonymousUser

from shuzheng.services.catalogue import search as catalogue_search
from tests.services.catalogue.test_search_index import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def cat(tree, django_capture_on_commit_callbacks):
    from shuzheng.foundation.search import querying

    yield build(tree, django_capture_on_commit_callbacks)
    querying.forget_synonyms()


def search(text, **kwargs):
    return catalogue_search.search_items(AnonymousUser(), text, **kwargs)


def top(text, n=3):
    return [hit.version.name for hit in search(text)][:n]


def why(text, name):
    """The explanation line of the hit called ``name``."""
    for hit in search(text):
        if hit.version.name == name:
            return hit.explanation
    raise AssertionError(f"{name} not found for {text!r}: {top(text, 10)}")


def test_having_a_baby_finds_the_birth_items(cat):
    found = top("生孩子要办什么")
    assert set(found) == {"出生医学证明签发", "新生儿入户登记", "生育津贴申领"}
    assert why("生孩子要办什么", "出生医学证明签发") == "生孩子 → 同义词 出生"
    assert why("生孩子要办什么", "生育津贴申领") == "生孩子 → 同义词 生育"


def test_opening_a_restaurant_finds_the_food_business_licence(cat):
    assert top("开饭店要什么证")[0] == "食品经营许可"
    assert why("开饭店要什么证", "食品经营许可") == "开饭店 → 同义词 食品经营许可"


def test_retiring_finds_the_pension_claim(cat):
    assert top("退休了怎么领养老金")[0] == "企业职工基本养老保险待遇申领"
    line = why("退休了怎么领养老金", "企业职工基本养老保险待遇申领")
    assert "领养老金 → 同义词 养老保险待遇申领" in line


def test_pinyin_initials_find_the_housing_fund_withdrawal(cat):
    assert top("gjj tq")[0] == "住房公积金提取"
    assert why("gjj tq", "住房公积金提取") == "gjj → 拼音首字母 公积金；tq → 拼音首字母 提取"


def test_full_pinyin_finds_the_housing_fund(cat):
    assert set(top("gongjijin", 2)) == {"住房公积金提取", "住房公积金个人住房贷款"}
    assert why("gongjijin", "住房公积金提取") == "gongjijin → 拼音 公积金"


def test_traditional_characters_find_simplified_names(cat):
    assert top("公積金提取")[0] == "住房公积金提取"
    assert why("公積金提取", "住房公积金提取") == "公積金提取 → 繁体 公积金提取"


def test_a_homophone_misspelling_finds_the_right_word(cat):
    assert top("公基金")[0].startswith("住房公积金")
    assert why("公基金", "住房公积金提取") == "公基金 → 同音 公积金"
    assert top("营业执找")[0] == "营业执照遗失补领"
    assert why("营业执找", "营业执照遗失补领") == "营业执找 → 同音 营业执照"


def test_a_look_alike_character_is_corrected(cat):
    assert top("居往证")[0] == "居住证申领"
    assert why("居往证", "居住证申领") == "居往证 → 错字纠正 居住证"


def test_a_correction_followed_by_a_synonym_says_both_steps(cat):
    assert top("sbk")[0] == "社会保障卡申领"
    assert why("sbk", "社会保障卡申领") == "sbk → 拼音首字母 社保卡 → 同义词 社会保障卡"


def test_matches_are_highlighted_in_the_name_and_the_snippet(cat):
    hit = search("生孩子")[0]
    assert "<mark>" in hit.name
    found = {h.version.name: h for h in search("公基金")}
    assert str(found["住房公积金提取"].name) == "<mark>住房公积金</mark>提取"
    assert "<mark>" in found["住房公积金提取"].snippet


def test_filler_words_are_dropped_but_not_when_they_are_the_whole_query(cat):
    assert top("请问怎么办社保卡")[0] == "社会保障卡申领"
    assert top("要")  # 要 alone is kept: a Q&A says 办理退休要本人去吗
    assert top("要")[0] == "企业职工基本养老保险待遇申领"


def test_a_query_about_nothing_we_offer_finds_nothing(cat):
    assert search("火星移民").hits == []
    assert search("").browsing


def test_nothing_found_suggests_known_words_that_do_find_items(cat):
    results = search("身份证丢了")  # no 身份证 item in this catalogue
    assert results.hits == []
    assert "身份证" in results.suggestions
    for word in results.suggestions:
        assert search(word).hits, word


def test_each_hit_lists_matches_with_their_kind(cat):
    hit = search("gjj tq")[0]
    assert [(m.query, m.kind, m.word) for m in hit.matches] == [
        ("gjj", "initials", "公积金"),
        ("tq", "initials", "提取"),
    ]
    assert hit.explained == hit.matches
    plain = search("失业保险金")[0]
    assert [m.kind for m in plain.matches] == ["exact"]
    assert plain.explained == []


def test_a_word_found_as_typed_outside_the_name_says_where(cat, django_capture_on_commit_callbacks):
    from tests.services.catalogue.test_search_index import Spec

    with django_capture_on_commit_callbacks(execute=True):
        cat.publish(
            Spec(
                "生育医疗费用报销",
                "医疗保障局",
                keywords=("剖腹产",),
                extra={"short_name": "顺产报销"},
            )
        )
    hit = {h.version.name: h for h in search("顺产报销")}["生育医疗费用报销"]
    assert [str(m) for m in hit.explained] == ["顺产 → 简称"]  # 报销 is in the name
    hit = {h.version.name: h for h in search("剖腹产")}["生育医疗费用报销"]
    assert [str(m) for m in hit.explained] == ["剖腹产 → 关键词"]
    hit = {h.version.name: h for h in search("生育医疗费用")}["生育医疗费用报销"]
    assert hit.explained == []  # the highlighted name shows it
