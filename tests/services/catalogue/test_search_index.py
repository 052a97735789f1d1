"""The catalogue in the search index: which items are documents, what a document holds,
and that publishing, withdrawing and renaming reach the index after commit.

Also the small, realistic catalogue the other search tests use (``build``): Zhuhai
departments, themes and published items written the way the government writes them,
indexed through the real after-commit path, with the catalogue's synonym groups loaded."""

import itertools
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.models import OrgKind
from shuzheng.foundation.search import querying
from shuzheng.foundation.search.models import SearchDocument, Synonym
from shuzheng.services.catalogue import search as catalogue_search
from shuzheng.services.catalogue.models import (
    BasicItem,
    ItemVersion,
    Material,
    Question,
    ServiceItem,
    Theme,
    VersionStatus,
)

_seq = itertools.count(1)


@dataclass
class Spec:
    name: str
    dept: str
    themes: tuple = ()
    keywords: tuple = ()
    audience: str = "person"
    depth: int = 4
    scope: str = "city"
    trips: int = 0
    conditions: str = ""
    materials: tuple = ()
    questions: tuple = ()
    result_name: str = ""
    extra: dict = field(default_factory=dict)


CATALOGUE = [
    Spec(
        "出生医学证明签发",
        "卫生健康局",
        themes=("birth",),
        keywords=("出生证",),
        conditions="在本市助产机构出生的新生儿，由父母申请签发出生医学证明。",
        materials=("父母双方居民身份证", "分娩记录"),
    ),
    Spec(
        "新生儿入户登记",
        "公安局",
        themes=("birth",),
        conditions="新生儿父母一方为本市户籍的，可在出生后一个月内申报户口。",
        materials=("出生医学证明", "父母户口簿", "父母结婚证"),
        trips=1,
        depth=3,
    ),
    Spec(
        "生育津贴申领",
        "医疗保障局",
        themes=("birth",),
        conditions="参加生育保险的职工按规定享受产假的，可以申领生育津贴。",
        materials=("居民身份证", "社会保障卡"),
        scope="province",
    ),
    Spec(
        "住房公积金提取",
        "住房公积金管理中心",
        themes=("housing",),
        conditions="职工购买、建造、翻建、大修自住住房，或者离休、退休的，可以提取住房公积金。",
        materials=("居民身份证", "购房合同"),
        questions=(("退休后公积金怎么取？", "凭身份证到任一网点或在网上办理销户提取。"),),
        scope="cross_province",
    ),
    Spec(
        "住房公积金个人住房贷款",
        "住房公积金管理中心",
        themes=("housing",),
        conditions="连续足额缴存住房公积金六个月以上的职工，购买自住住房时可以申请。",
        materials=("居民身份证", "婚姻状况证明", "购房合同"),
        depth=3,
        trips=1,
    ),
    Spec(
        "食品经营许可",
        "市场监督管理局",
        themes=("kaiban",),
        keywords=("餐饮服务",),
        audience="legal",
        conditions="从事食品销售和餐饮服务活动的，应当依法取得食品经营许可。",
        materials=("营业执照", "食品安全管理制度", "经营场所平面图"),
        result_name="食品经营许可证",
    ),
    Spec(
        "个体工商户设立登记",
        "市场监督管理局",
        themes=("kaiban",),
        audience="both",
        conditions="有经营能力的公民，可以申请登记为个体工商户。",
        materials=("经营者身份证明", "经营场所使用证明"),
        result_name="营业执照",
        scope="province",
    ),
    Spec(
        "营业执照遗失补领",
        "市场监督管理局",
        themes=("biangeng",),
        audience="legal",
        conditions="营业执照遗失或者毁损的，应当申请补领。",
        materials=("补领申请书",),
        result_name="营业执照",
    ),
    Spec(
        "居住证申领",
        "公安局",
        themes=("settle",),
        conditions="离开常住户口所在地，到本市居住半年以上，有合法稳定就业、合法稳定住所的。",
        materials=("居民身份证", "居住登记凭证"),
        trips=1,
        depth=3,
    ),
    Spec(
        "企业职工基本养老保险待遇申领",
        "社会保险基金管理局",
        themes=("retire",),
        conditions="达到法定退休年龄且累计缴费满十五年的，按月领取基本养老金。",
        materials=("居民身份证", "社会保障卡"),
        questions=(("办理退休要本人去吗？", "可在网上申报，无需到现场。"),),
        scope="province",
    ),
    Spec(
        "社会保障卡申领",
        "社会保险基金管理局",
        themes=("work",),
        conditions="参加本市社会保险的人员可以申领社会保障卡。",
        materials=("居民身份证", "近期免冠照片"),
    ),
    Spec(
        "失业保险金申领",
        "社会保险基金管理局",
        themes=("work",),
        conditions="非因本人意愿中断就业，已办理失业登记并有求职要求的，可以申领失业保险金。",
        materials=("居民身份证",),
    ),
    Spec(
        "机动车驾驶证换证",
        "公安局",
        themes=("travel",),
        conditions="机动车驾驶证有效期满前九十日内，申请人应当申请换证。",
        materials=("居民身份证", "身体条件证明"),
        trips=1,
        depth=3,
        scope="cross_province",
    ),
    Spec(
        "内地居民婚姻登记",
        "民政局",
        themes=("marry",),
        conditions="男女双方自愿结婚，到婚姻登记机关申请结婚登记。",
        materials=("居民身份证", "户口簿"),
        trips=1,
        depth=2,
    ),
    Spec(
        "最低生活保障申请",
        "民政局",
        themes=("help",),
        conditions="家庭人均收入低于本市最低生活保障标准的，可以申请最低生活保障。",
        materials=("家庭收入声明",),
        depth=3,
    ),
    Spec(
        "公共场所卫生许可",
        "卫生健康局",
        themes=("kaiban",),
        audience="legal",
        conditions="开办宾馆、美容美发、游泳场所等公共场所的，应当取得卫生许可证。",
        materials=("营业执照",),
        result_name="卫生许可证",
    ),
    Spec(
        "往来港澳通行证签注",
        "公安局",
        themes=("travel",),
        conditions="内地居民前往港澳旅游、探亲，需办理往来港澳通行证及签注。",
        materials=("居民身份证",),
        scope="cross_border",
    ),
]

THEMES = [
    ("birth", "出生", "person"),
    ("housing", "住房", "person"),
    ("settle", "居住", "person"),
    ("retire", "退休", "person"),
    ("work", "就业", "person"),
    ("travel", "出行", "person"),
    ("marry", "婚育", "person"),
    ("help", "救助", "person"),
    ("kaiban", "开办", "enterprise"),
    ("biangeng", "变更", "enterprise"),
]
DEPARTMENTS = [
    "卫生健康局",
    "公安局",
    "医疗保障局",
    "住房公积金管理中心",
    "市场监督管理局",
    "社会保险基金管理局",
    "民政局",
]


class Catalogue:
    """The items above, by name; ``depts`` by short name; ``themes`` by code."""

    def __init__(self, tree):
        self.tree = tree
        self.depts = {
            short: identity.create_organisation(
                access.SYSTEM, parent=tree.city, name=f"珠海市{short}", kind=OrgKind.DEPARTMENT
            )
            for short in DEPARTMENTS
        }
        self.themes = {
            code: Theme.objects.create(code=code, name=name, audience=audience, sort_order=n)
            for n, (code, name, audience) in enumerate(THEMES)
        }
        self.items = {spec.name: self.publish(spec) for spec in CATALOGUE}

    def publish(self, spec: Spec, *, org=None, status=VersionStatus.PUBLISHED) -> ServiceItem:
        n = next(_seq)
        basic = BasicItem.objects.create(
            basic_code=f"9{n:011d}", name=spec.name, item_type="public_service"
        )
        item = ServiceItem.objects.create(
            implementation_code=f"11440400SEARCH{n:022d}",
            basic=basic,
            organisation=org or self.depts[spec.dept],
        )
        self.version(item, spec, status=status, number=1)
        return item

    def version(self, item, spec: Spec, *, status=VersionStatus.PUBLISHED, number=None):
        number = number or (item.versions.count() + 1)
        version = ItemVersion.objects.create(
            item=item,
            version=number,
            status=status,
            name=spec.name,
            item_type="public_service",
            legal_limit=20,
            promised_limit=5,
            case_kind="promised",
            audience=spec.audience,
            trips=spec.trips,
            online_depth=spec.depth,
            scope=spec.scope,
            acceptance_conditions=spec.conditions,
            keywords=list(spec.keywords),
            result_name=spec.result_name,
            published_at=timezone.now() if status == VersionStatus.PUBLISHED else None,
            **spec.extra,
        )
        version.themes.set([self.themes[code] for code in spec.themes])
        for i, name in enumerate(spec.materials):
            Material.objects.create(
                version=version,
                code=f"m{i}",
                name=name,
                kind="electronic",
                necessity="required",
                sort_order=i,
            )
        for i, (question, answer) in enumerate(spec.questions):
            Question.objects.create(version=version, question=question, answer=answer, sort_order=i)
        if status == VersionStatus.PUBLISHED:
            if item.current_id:
                ItemVersion.objects.filter(pk=item.current_id).update(
                    status=VersionStatus.SUPERSEDED
                )
            item.current = version
            item.save(update_fields=["current"])
        return version


def build(tree, capture) -> Catalogue:
    """The catalogue, indexed after commit, with the catalogue's synonym groups."""
    with capture(execute=True):
        catalogue = Catalogue(tree)
        catalogue_search.load_synonyms()
    querying.forget_synonyms()
    return catalogue


@pytest.fixture
def cat(tree, django_capture_on_commit_callbacks):
    yield build(tree, django_capture_on_commit_callbacks)
    querying.forget_synonyms()  # the table rolls back with the test; the cache must too


def names(text, user=None, **kwargs):
    found = catalogue_search.search_items(user or AnonymousUser(), text, **kwargs)
    return [hit.version.name for hit in found]


def document(item):
    return SearchDocument.objects.get(model_label="catalogue.serviceitem", object_id=str(item.pk))


LABEL = "catalogue.serviceitem"
pytestmark = pytest.mark.django_db


# --- what a document holds --------------------------------------------------------------


def test_every_published_item_is_one_document(cat):
    assert SearchDocument.objects.filter(model_label=LABEL).count() == len(CATALOGUE)


def test_title_keywords_and_body_carry_what_citizens_search_for(cat):
    item = cat.items["生育津贴申领"]
    doc = document(item)
    assert doc.title == "生育津贴申领"
    assert "出生" in doc.keywords  # theme name
    assert "珠海市医疗保障局" in doc.keywords  # department
    assert "参加生育保险的职工" in doc.body  # 受理条件
    assert "社会保障卡" in doc.body  # material names
    assert doc.access_hint == "public"


def test_short_name_result_name_and_questions_are_searchable(cat):
    spec = Spec(
        "城乡居民基本养老保险参保登记",
        "社会保险基金管理局",
        questions=(("灵活就业可以参加吗？", "可以，按年缴费。"),),
        result_name="参保凭证",
        extra={"short_name": "居民养老参保"},
    )
    item = cat.publish(spec)
    catalogue_search_index_now(item)
    doc = document(item)
    assert doc.title == "城乡居民基本养老保险参保登记 居民养老参保"
    assert "参保凭证" in doc.keywords
    assert "灵活就业可以参加吗" in doc.body
    assert names("灵活就业")[0] == "城乡居民基本养老保险参保登记"


def test_a_material_removed_by_the_five_rules_is_not_in_the_body(cat):
    spec = Spec(
        "药品零售企业许可", "市场监督管理局", audience="legal", materials=("执业药师注册证",)
    )
    item = cat.publish(spec, status=VersionStatus.DRAFT)
    version = item.versions.get()
    Material.objects.create(
        version=version,
        code="old",
        name="无犯罪记录证明",
        kind="original",
        necessity="required",
        removed_rule="no_legal_basis",
    )
    publish_draft(item, version)
    doc = document(item)
    assert "执业药师注册证" in doc.body
    assert "无犯罪记录证明" not in doc.body


# --- what is never found ----------------------------------------------------------------


def test_drafts_and_versions_in_review_are_never_found(cat, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cat.publish(Spec("殡葬补贴申领", "民政局"), status=VersionStatus.DRAFT)
        cat.publish(Spec("骨灰海葬补贴申领", "民政局"), status=VersionStatus.IN_REVIEW)
    assert names("殡葬补贴") == []
    assert names("骨灰海葬") == []
    assert not SearchDocument.objects.filter(title__contains="殡葬").exists()


def test_a_withdrawn_item_leaves_the_index(cat, django_capture_on_commit_callbacks):
    item = cat.items["最低生活保障申请"]
    assert names("低保") == ["最低生活保障申请"]
    with django_capture_on_commit_callbacks(execute=True):
        version = item.current
        version.status = VersionStatus.WITHDRAWN
        version.save(update_fields=["status"])
    assert names("低保") == []
    assert names("最低生活保障") == []
    assert not SearchDocument.objects.filter(model_label=LABEL, object_id=str(item.pk)).exists()


def test_an_item_without_a_current_version_is_not_found(cat, django_capture_on_commit_callbacks):
    item = cat.items["失业保险金申领"]
    with django_capture_on_commit_callbacks(execute=True):
        item.current = None
        item.save(update_fields=["current"])
    assert "失业保险金申领" not in names("失业金")


def test_a_new_published_version_is_found_by_its_new_name_only(
    cat, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item = cat.publish(Spec("台湾居民定居证明核发", "公安局", conditions="台湾居民申请。"))
        item.basic.name = "台湾居民定居审批"
        item.basic.save()
    assert names("定居证明") == ["台湾居民定居证明核发"]
    with django_capture_on_commit_callbacks(execute=True):
        cat.version(item, Spec("台湾居民定居审批", "公安局", conditions="台湾居民申请。"))
    assert names("定居审批") == ["台湾居民定居审批"]
    old = catalogue_search.search_items(AnonymousUser(), "定居证明")
    assert old.relaxed  # no item has both words any more: the old name is gone
    assert not SearchDocument.objects.filter(title__contains="定居证明").exists()
    assert document(item).title == "台湾居民定居审批"
    assert SearchDocument.objects.filter(model_label=LABEL, object_id=str(item.pk)).count() == 1


def test_renaming_a_theme_reindexes_its_items(cat, django_capture_on_commit_callbacks):
    theme = cat.themes["birth"]
    with django_capture_on_commit_callbacks(execute=True):
        theme.name = "生育服务"
        theme.save()
    assert "生育服务" in document(cat.items["出生医学证明签发"]).keywords


def test_renaming_a_department_reindexes_its_items(cat, django_capture_on_commit_callbacks):
    dept = cat.depts["医疗保障局"]
    with django_capture_on_commit_callbacks(execute=True):
        dept.name = "珠海市医疗保障事务中心"
        dept.save()
    assert "珠海市医疗保障事务中心" in document(cat.items["生育津贴申领"]).keywords


def test_rebuild_recreates_the_catalogues_documents(cat):
    from django.core.management import call_command

    SearchDocument.objects.filter(model_label=LABEL).delete()
    call_command(
        "search", "rebuild", "--model", "catalogue.ServiceItem", stdout=_Null(), stderr=_Null()
    )
    assert SearchDocument.objects.filter(model_label=LABEL).count() == len(CATALOGUE)
    assert names("公积金提取")[0] == "住房公积金提取"


# --- synonyms ---------------------------------------------------------------------------


def test_the_catalogue_ships_at_least_80_synonym_groups(db):
    groups = catalogue_search.search_services.read_synonym_file(catalogue_search.SYNONYMS_FILE)
    assert len(groups) >= 80
    words = [w for g in groups for w in g["terms"]]
    assert len(words) == len(set(words))  # every word in one group only


def test_loading_synonyms_twice_adds_nothing_the_second_time(db):
    first = catalogue_search.load_synonyms()
    count = Synonym.objects.count()
    assert first and catalogue_search.load_synonyms() == []
    assert Synonym.objects.count() == count


def test_reloading_keeps_an_administrators_additions_and_switched_off_groups(db):
    catalogue_search.load_synonyms()
    grown = Synonym.objects.get(terms__startswith="生孩子")
    grown.terms += "，坐月子"
    grown.save()
    Synonym.objects.filter(terms__startswith="开饭店").update(is_active=False)
    assert catalogue_search.load_synonyms() == []
    assert Synonym.objects.get(pk=grown.pk).terms.endswith("坐月子")
    assert Synonym.objects.filter(terms__startswith="开饭店").get().is_active is False


class _Null:
    def write(self, _text):
        pass

    def flush(self):
        pass


def catalogue_search_index_now(item):
    from shuzheng.foundation import search

    search.reindex(item)


def publish_draft(item, version):
    from shuzheng.foundation import search

    ItemVersion.objects.filter(pk=version.pk).update(
        status=VersionStatus.PUBLISHED, published_at=timezone.now()
    )
    item.current = version
    item.save(update_fields=["current"])
    search.reindex(item)
