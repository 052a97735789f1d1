"""What a citizen types finds what the government calls it — on whichever database runs."""

import pytest

from shuzheng.foundation.search import analysis, backends, querying
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


def test_relaxed_query_puts_documents_with_more_of_the_words_first(services):
    # nothing has all three; 个体工商户营业执照登记 has two of them, the rest one at most
    rows, relaxed = querying.match("营业执照 登记 失业", labels=[LABEL])
    assert relaxed
    by_id = {d.pk: d.title for d in SearchDocument.objects.filter(model_label=LABEL)}
    found = [by_id[row[0]] for row in rows]
    assert found[0] == "个体工商户营业执照登记"
    assert {"失业保险金申领", "不动产登记资料查询"} <= set(found[1:])


def test_a_long_relaxed_query_still_puts_the_most_words_first(services):
    text = "个体工商户 营业执照 登记 火星 月球"
    assert len(analysis.parse_query(text).terms) > querying.PER_WORD
    rows, relaxed = querying.match(text, labels=[LABEL])
    assert relaxed
    by_id = {d.pk: d.title for d in SearchDocument.objects.filter(model_label=LABEL)}
    found = [by_id[row[0]] for row in rows]
    assert found[0] == "个体工商户营业执照登记"
    assert "不动产登记资料查询" in found  # one word only, still found


def test_relaxed_query_keeps_a_rare_words_match_among_a_common_words_many(monkeypatch):
    """Any one word: each word is looked up on its own, so the one document with the rare
    word is not lost behind the newest of the common word's many (only the newest
    RANK_CANDIDATES of a word's matches are ranked)."""
    monkeypatch.setattr(backends, "RANK_CANDIDATES", 5)
    write_documents([Source(LABEL, "rare", "公积金提取", "", boosts={"title": 3})])
    write_documents(
        [
            Source(LABEL, f"c{i}", f"档案查询{i}", "", boosts={"title": 3})
            for i in range(querying.RERANK_WINDOW + 10)
        ]
    )
    querying.forget_synonyms()
    assert len(querying.expression(analysis.parse_query("公积金 查询")).groups) == 2
    found = titles("公积金 查询")
    assert "公积金提取" in found
    assert len(found) == 20


def test_relaxed_pages_continue_one_another(monkeypatch):
    """Past the re-ranked head a page is fetched on its own: it must continue the longer
    fetch exactly (no row twice, none skipped), across levels and words."""
    monkeypatch.setattr(backends, "RANK_CANDIDATES", 7)
    sources = [Source(LABEL, f"a{i}", f"档案查询{i}", "", boosts={"title": 3}) for i in range(40)]
    sources += [
        Source(LABEL, f"b{i}", f"渔船检验{i}", "查询", boosts={"title": 3}) for i in range(30)
    ]
    sources += [Source(LABEL, f"c{i}", f"户籍迁移{i}", "", boosts={"title": 3}) for i in range(20)]
    write_documents(sources)
    querying.forget_synonyms()
    text = "渔船检验 户籍迁移 查询"
    whole, relaxed = querying.match(text, labels=[LABEL], limit=80)
    assert relaxed and len(whole) == 80
    assert len({row[0] for row in whole}) == 80
    for offset in (50, 60, 70):
        page, _relaxed = querying.match(text, labels=[LABEL], limit=10, offset=offset)
        assert page == whole[offset : offset + 10]


def test_body_only_matches_come_newest_first(monkeypatch):
    monkeypatch.setattr(backends, "RECENT_WINDOW", 2)  # PostgreSQL: past the recent rows too
    monkeypatch.setattr(backends, "SPARSE_ROWS", 0)
    write_documents(
        [
            Source(LABEL, f"m{i}", f"事项{i}", "办理时需要签注", boosts={"title": 3})
            for i in range(6)
        ]
    )
    write_documents(
        [Source(LABEL, f"x{i}", f"事项x{i}", "无关", boosts={"title": 3}) for i in range(4)]
    )
    rows, _relaxed = querying.match("签注", labels=[LABEL])
    assert [row[2] for row in rows] == [f"m{i}" for i in range(5, -1, -1)]
