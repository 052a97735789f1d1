"""What a citizen types finds what the government calls it — on whichever database runs."""

import pytest

from shuzheng.foundation.search import analysis, querying
from shuzheng.foundation.search.indexing import Source, write_documents
from shuzheng.foundation.search.models import SearchDocument, Synonym

pytestmark = pytest.mark.django_db
LABEL = "tests.servicedoc"

SERVICES = [
    ("社会保障卡申领", "首次申领社会保障卡，需携带居民身份证原件到经办网点办理。"),
    ("住房公积金提取", "职工购买、建造、翻建、大修自住住房的，可以申请提取住房公积金。"),
    ("居民身份证换领", "居民身份证有效期满、证件损坏的，应当换领新证。"),
    ("往来港澳通行证签注", "内地居民前往港澳旅游、探亲，需办理往来港澳通行证及签注。"),
    ("港澳居民来往内地通行证补发", "港澳居民证件遗失的，可申请补发来往内地通行证。"),
    ("失业保险金申领", "参加失业保险的人员失业后，可以申领失业保险金。"),
    ("社会保险费缴纳", "灵活就业人员按月缴纳社会保险费。"),
    ("个体工商户营业执照登记", "个体工商户办理营业执照，须提交经营场所证明。"),
    ("不动产登记资料查询", "权利人可以查询不动产登记资料。"),
    ("机动车驾驶证换证", "驾驶证有效期满前九十日内申请换证。"),
    ("社保关系转移接续", "跨省流动就业人员可以办理社保关系转移。"),
]


@pytest.fixture
def services():
    sources = [
        Source(LABEL, str(i), title, body, boosts={"title": 3, "keywords": 2, "body": 1})
        for i, (title, body) in enumerate(SERVICES, start=1)
    ]
    write_documents(sources)
    querying.forget_synonyms()
    yield
    querying.forget_synonyms()


def titles(text, **kwargs):
    rows, _relaxed = querying.match(text, labels=[LABEL], **kwargs)
    by_id = {d.pk: d.title for d in SearchDocument.objects.filter(model_label=LABEL)}
    return [by_id[row[0]] for row in rows]


def test_colloquial_question_finds_the_official_service_name(services):
    assert titles("怎么办社保卡")[0] == "社会保障卡申领"


def test_pinyin_initials_find_the_word(services):
    assert titles("gjj")[0] == "住房公积金提取"  # 公积金 is in the title
    assert titles("shbzk")[0] == "社会保障卡申领"  # 社会保障 + 卡, read as initials
    assert titles("sbk")[0] == "社会保障卡申领"  # 社保卡, then its synonym 社会保障卡


def test_full_pinyin_finds_the_word(services):
    assert titles("gongjijin")[0] == "住房公积金提取"
    assert titles("shebaoka")[0] == "社会保障卡申领"


def test_traditional_chinese_query_finds_simplified_text(services):
    assert titles("社會保險")[0] == "社会保险费缴纳"
    assert titles("居民身份證")[0] == "居民身份证换领"


def test_full_width_and_upper_case_are_folded():
    assert analysis.fold("ＡＢＣ１２３") == "abc123"


def test_homophone_misspelling_still_finds_the_word(services):
    # 社宝 sounds like 社保 (shebao); 公基金 like 公积金 (gongjijin)
    found = titles("社宝")
    assert found[0] == "社保关系转移接续"  # the homophone itself
    assert "社会保险费缴纳" in found  # and, through it, the synonym 社会保险
    assert titles("公基金")[0] == "住房公积金提取"


def test_synonyms_from_the_table_apply_at_query_time(services):
    assert set(titles("社保")[:2]) == {"社保关系转移接续", "社会保险费缴纳"}  # 社保 ⇄ 社会保险
    assert titles("公积金")[0] == "住房公积金提取"
    assert titles("回乡证") == ["港澳居民来往内地通行证补发"]
    assert "不动产登记资料查询" not in titles("房屋档案")
    Synonym.objects.create(terms="房屋档案，不动产登记资料")
    querying.forget_synonyms()
    assert titles("房屋档案")[0] == "不动产登记资料查询"


def test_title_match_ranks_above_body_match(services):
    found = titles("身份证")
    assert found[0] == "居民身份证换领"  # in the title
    assert "社会保障卡申领" in found[1:]  # only in the body


def test_every_word_must_match_while_some_document_has_them_all(services):
    assert titles("失业保险金 申领") == ["失业保险金申领"]
    rows, relaxed = querying.match("失业 营业执照", labels=[LABEL])
    assert relaxed and len(rows) == 2  # nothing has both: either, best first


def test_unrelated_query_finds_nothing(services):
    assert titles("火星移民") == []
    assert titles("   ") == []
    assert titles('"AND OR NOT *') == []  # query syntax is never passed through


def test_replacing_a_document_leaves_one_entry(services):
    write_documents([Source(LABEL, "1", "社会保障卡挂失", "")])
    assert SearchDocument.objects.filter(model_label=LABEL, object_id="1").count() == 1
    assert "社会保障卡挂失" in titles("挂失")
    assert "社会保障卡申领" not in titles("社保卡")
