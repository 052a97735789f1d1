"""Every hit says which words matched and how; corrections, suggestions, ``within``, the
re-ranking by match quality, and loading synonym files."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from shuzheng.foundation import access, search
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.search import analysis, querying, services
from shuzheng.foundation.search.indexing import Source, write_documents
from shuzheng.foundation.search.models import Synonym
from shuzheng.foundation.trust.models import AuditRecord

pytestmark = pytest.mark.django_db
LABEL = "tests.explaindoc"
BOOSTS = {"title": 3, "keywords": 2, "body": 1}


def doc(object_id, title, body="", keywords=""):
    return Source(LABEL, object_id, title, body, keywords=keywords, boosts=BOOSTS)


@pytest.fixture(autouse=True)
def fresh_synonyms():
    querying.forget_synonyms()
    yield
    querying.forget_synonyms()


@pytest.fixture
def indexed_tree(tree, django_capture_on_commit_callbacks):
    from shuzheng.foundation.search import indexing
    from shuzheng.foundation.search.registry import SPECS

    indexing.rebuild(SPECS[Organisation])
    return tree


def matches(results, pk):
    hit = next(h for h in results if h.pk == pk)
    return [(m.query, m.kind, m.word) for m in hit.matches]


def test_a_word_found_as_typed_is_an_exact_match(indexed_tree):
    found = search.query(AnonymousUser(), "斗门", models=[Organisation])
    assert matches(found, indexed_tree.doumen.pk) == [("斗门", "exact", "斗门")]
    assert str(found[0].matches[0]) == "斗门"


def test_pinyin_and_initials_say_which_word_they_read(indexed_tree):
    found = search.query(AnonymousUser(), "xiangzhou", models=[Organisation])
    assert matches(found, indexed_tree.xiangzhou.pk) == [("xiangzhou", "pinyin", "香洲")]
    found = search.query(AnonymousUser(), "xzq", models=[Organisation])
    assert matches(found, indexed_tree.xiangzhou.pk) == [("xzq", "initials", "香洲区")]
    assert str(found[0].matches[0]) == "xzq → 拼音首字母 香洲区"


def test_traditional_characters_are_named_as_such(indexed_tree):
    found = search.query(AnonymousUser(), "斗門", models=[Organisation])
    assert matches(found, indexed_tree.doumen.pk) == [("斗門", "traditional", "斗门")]
    assert str(found[0].matches[0]) == "斗門 → 繁体 斗门"


def test_a_homophone_is_named_with_the_word_it_sounds_like(indexed_tree):
    found = search.query(AnonymousUser(), "香州", models=[Organisation])
    assert matches(found, indexed_tree.xiangzhou.pk) == [("香州", "homophone", "香洲")]


def test_a_synonym_is_named_with_the_word_the_document_has(db):
    write_documents([doc("1", "社会保障卡申领")])
    parsed = analysis.parse_query("社保卡", querying.synonyms())
    document = _document("1")
    located = querying._locations(parsed, [document.pk], body=True)[document.pk]
    assert [str(m) for m in querying.explain_match(parsed, document, located)] == [
        "社保卡 → 同义词 社会保障卡"
    ]


@pytest.mark.parametrize("listed", [500, 0], ids=["as-id-list", "as-exists"])
def test_within_keeps_candidates_to_a_queryset(indexed_tree, monkeypatch, listed):
    monkeypatch.setattr(querying, "WITHIN_LIST", listed)  # a selective or a broad filter
    tree = indexed_tree
    everywhere = {h.pk for h in search.query(AnonymousUser(), "区", models=[Organisation])}
    assert {tree.xiangzhou.pk, tree.doumen.pk} <= everywhere
    inside = search.query(
        AnonymousUser(),
        "区",
        models=[Organisation],
        within=Organisation.objects.filter(path__startswith=tree.doumen.path),
    )
    assert [h.pk for h in inside] == [tree.doumen.pk]
    assert search.ids(AnonymousUser(), Organisation, "区", within=Organisation.objects.none()) == []


def test_has_more_says_whether_a_next_page_exists(indexed_tree):
    first = search.query(AnonymousUser(), "区", models=[Organisation], limit=1)
    assert len(first) == 1 and first.has_more
    last = search.query(AnonymousUser(), "区", models=[Organisation], limit=1, offset=1)
    assert len(last) == 1 and not last.has_more


def test_a_title_match_outranks_a_rarer_synonym_piece_elsewhere(db):
    """bm25 alone put the second document first: 工商 (from the synonym 工商执照) is rare."""
    write_documents(
        [
            doc("3", "公共场所卫生许可", "申请材料：营业执照。"),
            doc("2", "个体工商户设立登记", "有经营能力的公民。", keywords="营业执照"),
            doc("1", "营业执照遗失补领", "营业执照遗失的，应当补领。", keywords="营业执照"),
        ]
    )
    rows, _relaxed = querying.match("营业执照", labels=[LABEL])
    assert [row[2] for row in rows] == ["1", "2", "3"]
    rows, _relaxed = querying.match("营业执照", labels=[LABEL], limit=1, offset=1)
    assert [row[2] for row in rows] == ["2"]  # pages follow the same re-ranked order


def test_facets_filter_inside_the_index_query(db):
    write_documents(
        [
            Source(LABEL, "1", "营业执照补领", "", boosts=BOOSTS, facets=["depth:3", "aud:legal"]),
            Source(LABEL, "2", "营业执照换领", "", boosts=BOOSTS, facets=["depth:4", "aud:both"]),
            Source(LABEL, "3", "营业执照注销", "", boosts=BOOSTS, facets=["depth:4"]),
        ]
    )

    def found(**kwargs):
        return sorted(row[2] for row in querying.match("营业执照", labels=[LABEL], **kwargs)[0])

    assert found() == ["1", "2", "3"]
    assert found(facets=[["depth:4"]]) == ["2", "3"]
    assert found(facets=[["depth:4"], ["aud:legal", "aud:both"]]) == ["2"]  # AND of ORs
    assert found(facets=[["depth:9"]]) == []
    relaxed, is_relaxed = querying.match("营业执照 火星", labels=[LABEL], facets=[["depth:3"]])
    assert is_relaxed and [row[2] for row in relaxed] == ["1"]  # also when any word may do


def test_a_word_typed_in_pinyin_never_matches_a_facet(db):
    token = analysis.facet_token("depth:4")
    assert token[0].isdigit() and token.isalnum()
    write_documents([Source(LABEL, "1", "营业执照", "", boosts=BOOSTS, facets=["depth:4"])])
    assert querying.match(token[:2], labels=[LABEL])[0] == []
    assert querying.match("0", labels=[LABEL])[0] == []


# --- corrections ----------------------------------------------------------------------------


def test_a_look_alike_character_in_a_known_word_is_corrected():
    known = {"居住证": {"暂住证"}, "暂住证": {"居住证"}}
    assert analysis.typos("居往证", known) == ["居住证"]
    assert analysis.typos("居住证", known) == []  # known words are not corrected
    assert analysis.typos("居民证", known) == []  # 民 is no look-alike of 住
    term = analysis.parse_query("居往证", known).terms[0]
    assert ("typo", "居住证", "") in term.reasons
    assert ("typo", "暂住证", "居住证") in term.reasons  # its synonym, through the correction


def test_a_filler_word_is_never_corrected_into_a_known_word():
    known = {"开奶茶店": set()}
    words = [t.word for t in analysis.parse_query("我想开个奶茶店", known).terms]
    assert "个奶茶店" not in words


def test_typed_text_and_reasons_are_kept_per_word():
    term = analysis.parse_query("公積金", {"公积金": {"住房公积金"}}).terms[0]
    assert (term.word, term.typed) == ("公积金", "公積金")
    assert term.reasons[0] == ("traditional", "公积金", "")
    assert ("synonym", "住房公积金", "") in term.reasons


def test_suggestions_are_known_words_close_to_what_was_typed(db):
    Synonym.objects.create(terms="居住证，暂住证")
    Synonym.objects.create(terms="公积金，住房公积金")
    querying.forget_synonyms()
    assert "居住证" in search.suggest("居住登记证")
    assert "公积金" in search.suggest("gongji")  # the start of its pinyin
    assert "公积金" not in search.suggest("gjj")  # gjj already searched for 公积金
    assert search.suggest("火星") == []
    assert "暂住证" not in search.suggest("居住证")  # already searched as a synonym


# --- loading synonyms -----------------------------------------------------------------------


def test_load_synonyms_adds_missing_groups_once_and_audits(db):
    before = Synonym.objects.count()
    created = search.load_synonyms(
        access.SYSTEM, [["坐月子", "产假"], {"terms": ["奶茶店", "饮品店"], "note": "开店"}]
    )
    assert [s.terms for s in created] == ["坐月子，产假", "奶茶店，饮品店"]
    assert Synonym.objects.count() == before + 2
    assert search.load_synonyms(access.SYSTEM, [["产假", "坐月子"]]) == []  # any order
    record = AuditRecord.objects.filter(action="search.synonyms.load").order_by("-seq").first()
    assert record.details["created"] == 0 and record.details["skipped"] == 1


def test_loaded_synonyms_apply_to_the_next_query(db, django_capture_on_commit_callbacks):
    write_documents([doc("1", "生育津贴申领")])
    assert querying.match("坐月子", labels=[LABEL])[0] == []
    with django_capture_on_commit_callbacks(execute=True):
        search.load_synonyms(access.SYSTEM, [["坐月子", "生育津贴"]])
    assert [row[2] for row in querying.match("坐月子", labels=[LABEL])[0]] == ["1"]


def test_only_a_system_configurator_may_load_synonyms(db, tree, make_staff):
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    with pytest.raises(PermissionDenied):
        search.load_synonyms(clerk, [["坐月子", "产假"]])
    assert not Synonym.objects.filter(terms__contains="坐月子").exists()


@pytest.mark.parametrize("bad", [[[]], [["", " "]], [["社保，医保"]], [[1, 2]], [{"x": 1}]])
def test_a_malformed_group_adds_nothing(db, bad):
    before = Synonym.objects.count()
    with pytest.raises(ValidationError):
        search.load_synonyms(access.SYSTEM, [["坐月子", "产假"], *bad])
    assert Synonym.objects.count() == before


def test_the_command_loads_a_file(db, tmp_path):
    path = tmp_path / "groups.json"
    path.write_text(
        json.dumps(
            {"format": "shuzheng.synonyms/1", "groups": [{"terms": ["坐月子", "产假"]}]},
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    out = _Out()
    call_command("search", "synonyms", str(path), stdout=out)
    assert "1 synonym groups added" in out.text
    assert Synonym.objects.filter(terms="坐月子，产假").exists()


def test_the_command_refuses_a_file_of_another_format(db, tmp_path):
    path = tmp_path / "groups.json"
    path.write_text(json.dumps({"groups": []}), encoding="utf-8")
    with pytest.raises(CommandError, match="shuzheng.synonyms/1"):
        call_command("search", "synonyms", str(path), stdout=_Out())


def test_the_command_loads_every_declared_file(db, tmp_path, monkeypatch):
    path = tmp_path / "groups.json"
    path.write_text(
        json.dumps({"format": "shuzheng.synonyms/1", "groups": [["产假", "坐月子"]]}),
        encoding="utf-8",
    )
    monkeypatch.setattr(services, "_FILES", {"tests": path})
    out = _Out()
    call_command("search", "synonyms", stdout=out)
    assert "tests: 1 synonym groups added" in out.text


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def _document(object_id):
    from shuzheng.foundation.search.models import SearchDocument

    return SearchDocument.objects.get(model_label=LABEL, object_id=object_id)
