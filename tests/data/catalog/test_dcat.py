"""DCAT-AP: the open catalogue's shape (context, types, the required properties of Catalog,
Dataset, Distribution, DataService), the vocabulary mappings, and that nothing of a
non-open, unpublished or withdrawn entry — nor a working copy — ever appears."""

import json

import pytest
from django.test import RequestFactory
from django.urls import reverse

from shuzheng.data.catalog import dcat, services
from shuzheng.data.catalog.models import EntryStatus

pytestmark = pytest.mark.django_db

LIGHT = [("code", "代码", "C", 18, "general_2", "none", False, False, True)]


@pytest.fixture
def open_world(dm, make_entry):
    """dm.population is 不予开放; add an unconditionally open, a conditionally open, a
    draft that says open, and a withdrawn open entry."""
    dm.open = make_entry(
        dm.gongan,
        dm.ga_admin,
        name="机动车保有量统计",
        items=LIGHT,
        open_type="unconditional",
        share_type="unconditional",
        update_cycle="monthly",
        resource_format="spreadsheet",
        keywords=["机动车", "统计"],
    )
    dm.conditional = make_entry(
        dm.weijian,
        dm.wj_admin,
        name="医疗机构名录",
        items=LIGHT,
        open_type="conditional",
        open_condition="注册后申请",
        update_cycle="half_yearly",
        resource_format="api",
    )
    dm.draft = make_entry(
        dm.gongan,
        dm.ga_admin,
        name="未发布的开放草稿",
        items=LIGHT,
        open_type="unconditional",
        publish=False,
    )
    dm.withdrawn = make_entry(
        dm.gongan, dm.ga_admin, name="已下线的开放数据", items=LIGHT, open_type="unconditional"
    )
    dm.withdrawn.status = EntryStatus.WITHDRAWN
    dm.withdrawn.save()
    return dm


def catalog_doc():
    request = RequestFactory().get("/open/catalog.jsonld")
    return dcat.catalog(request)


def test_the_catalog_has_the_dcat_ap_shape(open_world):
    doc = catalog_doc()
    ctx = doc["@context"]
    assert ctx["dcat"] == "http://www.w3.org/ns/dcat#"
    assert ctx["dct"] == "http://purl.org/dc/terms/"
    assert ctx["foaf"] == "http://xmlns.com/foaf/0.1/"
    assert doc["@type"] == "dcat:Catalog"
    assert doc["@id"] == "http://testserver/open/catalog.jsonld"
    for key in ("dct:title", "dct:description", "dct:publisher", "dcat:dataset"):
        assert key in doc
    assert doc["dct:publisher"]["@type"] == "foaf:Organization"
    for dataset in doc["dcat:dataset"]:
        assert dataset["@type"] == "dcat:Dataset"
        for key in (
            "dct:identifier",
            "dct:title",
            "dct:description",
            "dct:publisher",
            "dct:accrualPeriodicity",
            "dct:accessRights",
            "dct:issued",
            "dct:modified",
            "dcat:theme",
            "dcat:distribution",
            "dcat:landingPage",
        ):
            assert key in dataset, key
        assert dataset["dct:title"]["@language"] == "zh-Hans"
        assert dataset["dct:issued"]["@type"] == "xsd:dateTime"
        for distribution in dataset["dcat:distribution"]:
            assert distribution["@type"] == "dcat:Distribution"
            assert distribution["dcat:accessURL"]["@id"].startswith("http://testserver/")
            assert distribution["dct:format"]["@id"].startswith(
                "http://publications.europa.eu/resource/authority/file-type/"
            )
            assert distribution["dcat:mediaType"]["@id"].startswith(
                "http://www.iana.org/assignments/media-types/"
            )
    json.dumps(doc)  # serialisable as is


def test_only_published_open_entries_appear(open_world):
    doc = catalog_doc()
    ids = {d["dct:identifier"] for d in doc["dcat:dataset"]}
    assert ids == {open_world.open.code, open_world.conditional.code}
    text = json.dumps(doc, ensure_ascii=False)
    for hidden in ("人口基础信息", "未发布的开放草稿", "已下线的开放数据"):
        assert hidden not in text
    assert "id_number" not in text  # nor any item of a non-open entry


def test_the_mappings_follow_the_eu_vocabularies(open_world):
    by_id = {d["dct:identifier"]: d for d in catalog_doc()["dcat:dataset"]}
    car = by_id[open_world.open.code]
    eu = "http://publications.europa.eu/resource/authority/"
    assert car["dct:accrualPeriodicity"]["@id"] == eu + "frequency/MONTHLY"
    assert car["dct:accessRights"]["@id"] == eu + "access-right/PUBLIC"
    assert [k["@value"] for k in car["dcat:keyword"]] == ["机动车", "统计"]
    assert car["dct:publisher"]["foaf:name"]["@value"] == "珠海市公安局"
    assert {d["dct:format"]["@id"].rsplit("/", 1)[1] for d in car["dcat:distribution"]} == {
        "XLSX",
        "CSV",
    }
    clinics = by_id[open_world.conditional.code]
    assert clinics["dct:accrualPeriodicity"]["@id"] == eu + "frequency/ANNUAL_2"
    assert clinics["dct:accessRights"]["@id"] == eu + "access-right/RESTRICTED"
    assert clinics["dct:rights"]["rdfs:label"]["@value"] == "注册后申请"


def test_a_revision_in_progress_shows_its_publication_not_the_working_copy(open_world):
    entry = open_world.open
    entry = services.revise(open_world.ga_admin, entry, revision=entry.revision)
    services.update_entry(
        open_world.ga_admin,
        entry,
        revision=entry.revision,
        name="改名中的草稿名称",
        open_type="none",
    )
    doc = catalog_doc()
    titles = {d["dct:title"]["@value"] for d in doc["dcat:dataset"]}
    assert "机动车保有量统计" in titles and "改名中的草稿名称" not in titles


def test_a_running_gateway_service_is_a_data_service(open_world):
    from shuzheng.data.exchange.models import DataService

    DataService.objects.create(
        code="clinics",
        name="医疗机构名录查询",
        provider=open_world.weijian,
        entry=open_world.conditional,
        kind="store",
        created_by=open_world.wj_admin,
    )
    doc = catalog_doc()
    [service] = doc["dcat:service"]
    assert service["@type"] == "dcat:DataService"
    assert service["dcat:endpointURL"]["@id"].endswith("/gateway/v1/services/clinics/v1/records")
    dataset = next(
        d
        for d in doc["dcat:dataset"]
        if d["@id"] in {s["@id"] for s in service["dcat:servesDataset"]}
    )
    assert dataset["dct:identifier"] == open_world.conditional.code
    assert dataset["dcat:distribution"][0]["dcat:accessService"] == [{"@id": service["@id"]}]


def test_the_public_urls_serve_json_ld_and_turtle_to_anyone(client, open_world):
    response = client.get(reverse("datacatalog:open-jsonld"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    assert response.json()["@type"] == "dcat:Catalog"
    response = client.get(reverse("datacatalog:open-ttl"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/turtle")
    text = response.content.decode()
    assert "@prefix dcat: <http://www.w3.org/ns/dcat#> ." in text
    assert "a dcat:Catalog" in text and "a dcat:Dataset" in text
    assert '"机动车保有量统计"@zh-Hans' in text
    assert "人口基础信息" not in text
    assert text.count("a skos:Concept") == 1  # one subject block per IRI
