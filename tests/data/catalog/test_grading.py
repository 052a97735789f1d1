"""分级 (GB/T 43697) and 就高从严: proposals, review, the history, derived datasets, and a
regrading of a published entry taking effect on its publication (what the gateway masks by)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzheng.data.catalog import masking, selectors, services, snapshot
from shuzheng.data.catalog.models import CatalogueEntry, GradingRecord
from shuzheng.foundation import workflow
from tests.data.catalog.conftest import ITEMS

pytestmark = pytest.mark.django_db

WHY = dict(impact_object="personal", impact_degree="serious", basis="汇聚后可识别特定个人")


def fresh(entry):
    return CatalogueEntry.objects.get(pk=entry.pk)


def published_item(entry, code):
    return next(i for i in snapshot.items_of(fresh(entry)) if i["code"] == code)


@pytest.fixture
def derived(dm, published, entry_kwargs, publish_entry):
    """B derived from the published A (``published``), C derived from B — both published."""
    one_item = [dict(ITEMS[2])]  # 性别, 一般 2 级
    b = services.create_entry(
        dm.ga_admin,
        **entry_kwargs(name="人口性别统计", items=one_item, sources=[published.code]),
    )
    b = publish_entry(b)
    c = services.create_entry(
        dm.ga_admin, **entry_kwargs(name="人口专题库", items=one_item, sources=[b])
    )
    c = publish_entry(c)
    return b, c


def approve(dm, record, opinion="同意"):
    return services.review_grading(dm.authority, record, approve=True, opinion=opinion)


def test_an_entry_is_never_proposed_below_its_highest_item(dm, published):
    with pytest.raises(ValidationError) as caught:
        services.propose_grading(dm.ga_admin, published, to_grade="general_3", **WHY)
    message = caught.value.message_dict["to_grade"][0]
    assert "就高从严" in message and "一般数据（4级）" in message
    assert not GradingRecord.objects.filter(entry=published, status="proposed").exists()


def test_a_derived_entry_starts_at_the_highest_level_of_its_sources(derived):
    b, c = derived
    assert b.grade == "general_4" and b.published["grade"] == "general_4"
    assert c.grade == "general_4"
    with pytest.raises(ValidationError) as caught:
        services.propose_grading(derived[0].created_by, b, to_grade="general_2", **WHY)
    assert "一般数据（4级）" in caught.value.message_dict["to_grade"][0]


def test_an_approved_item_regrade_applies_to_the_publication_at_once(dm, published):
    before = masking.plan(snapshot.items_of(published), ["name"], ["name"])
    assert before == {"name": "clear"}  # 一般 3 级, clear delivery granted
    record = services.propose_grading(
        dm.ga_admin, published, to_grade="important", item_code="name", factors=["规模"], **WHY
    )
    assert record.from_grade == "general_3" and record.status == "proposed"
    assert fresh(published).grade == "general_4"  # nothing changes before the review
    approve(dm, record)
    entry = fresh(published)
    assert entry.items.get(code="name").grade == "important"
    assert entry.items.get(code="name").graded_by == dm.authority
    assert published_item(entry, "name")["grade"] == "important"
    assert entry.grade == "important" and entry.published["grade"] == "important"
    assert entry.status == "published"
    # the gateway reads the publication: masked from the next call, whatever the grant says
    assert masking.plan(snapshot.items_of(entry), ["name"], ["name"]) == {"name": "masked"}
    history = GradingRecord.objects.filter(entry=entry, status="approved", item_code="name")
    assert history.filter(to_grade="important", reviewed_by=dm.authority).exists()
    # and the entry's own change, by rule
    raised = GradingRecord.objects.get(entry=entry, item_code="", to_grade="important")
    assert raised.from_grade == "general_4" and services.is_automatic(raised)


def test_raising_an_item_raises_every_derived_entry_transitively(dm, published, derived):
    b, c = derived
    record = services.propose_grading(
        dm.ga_admin, published, to_grade="important", item_code="id_number", **WHY
    )
    approve(dm, record)
    for entry in (published, b, c):
        entry = fresh(entry)
        assert entry.grade == "important" and entry.published["grade"] == "important"
    # the derived entries' history says why
    automatic = GradingRecord.objects.get(entry=c, to_grade="important")
    assert automatic.status == "approved" and b.code in automatic.basis
    assert services.is_automatic(automatic)


def test_a_regrade_to_core_is_refused_while_a_derived_entry_is_shared_unconditionally(
    dm, published, entry_kwargs, publish_entry
):
    shared = services.create_entry(
        dm.ga_admin,
        **entry_kwargs(
            name="人口数量统计",
            items=[dict(ITEMS[2])],
            sources=[published],
            share_type="unconditional",
            share_condition="",
        ),
    )
    publish_entry(shared)
    record = services.propose_grading(
        dm.ga_admin, published, to_grade="core", item_code="id_number", **WHY
    )
    with pytest.raises(ValidationError) as caught:
        approve(dm, record)
    assert shared.code in caught.value.message_dict["to_grade"][0]
    assert fresh(published).grade == "general_4"
    assert GradingRecord.objects.get(pk=record.pk).status == "proposed"


def test_an_entry_level_grade_is_a_floor_the_items_cannot_lower(dm, published):
    record = services.propose_grading(dm.ga_admin, published, to_grade="important", **WHY)
    approve(dm, record)
    entry = fresh(published)
    assert entry.grade == "important" and entry.impact_object == "personal"
    entry = services.revise(dm.ga_admin, entry, revision=entry.revision)
    lowered = [dict(ITEMS[2])]
    entry = services.set_items(dm.ga_admin, entry, lowered, revision=entry.revision)
    assert entry.grade == "important"


def test_an_item_regrade_must_still_suit_the_item(dm, published):
    with pytest.raises(ValidationError) as caught:  # 性别 has no mask
        services.propose_grading(
            dm.ga_admin, published, to_grade="general_3", item_code="sex", **WHY
        )
    assert "脱敏方式" in caught.value.message_dict["to_grade"][0]
    with pytest.raises(ValidationError) as caught:
        services.propose_grading(
            dm.ga_admin, published, to_grade="general_1", item_code="name", **WHY
        )
    assert "个人信息" in caught.value.message_dict["to_grade"][0]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"to_grade": "secret"}, "to_grade"),
        ({"impact_object": ""}, "impact_object"),
        ({"impact_degree": "mild"}, "impact_degree"),
        ({"basis": " "}, "basis"),
        ({"factors": ["天气"]}, "factors"),
        ({"item_code": "nope"}, "item_code"),
    ],
)
def test_bad_proposals_name_the_field(dm, published, changes, field):
    kwargs = {"to_grade": "important", **WHY, **changes}
    with pytest.raises(ValidationError) as caught:
        services.propose_grading(dm.ga_admin, published, **kwargs)
    assert field in caught.value.message_dict


def test_a_rejection_needs_an_opinion_and_changes_nothing(dm, published):
    record = services.propose_grading(dm.ga_admin, published, to_grade="important", **WHY)
    with pytest.raises(ValidationError) as caught:
        services.review_grading(dm.authority, record, approve=False)
    assert "opinion" in caught.value.message_dict
    done = services.review_grading(dm.authority, record, approve=False, opinion="依据不足")
    assert done.status == "rejected" and done.review_opinion == "依据不足"
    assert fresh(published).grade == "general_4"
    with pytest.raises(workflow.Conflict):  # reviewed once only
        approve(dm, record)


def test_one_pending_proposal_per_target(dm, published):
    services.propose_grading(dm.ga_admin, published, to_grade="important", **WHY)
    with pytest.raises(ValidationError):
        services.propose_grading(dm.ga_admin, published, to_grade="core", **WHY)


def test_who_proposes_and_who_reviews(dm, published):
    for user in (dm.wj_admin, dm.wj_user, dm.authority, dm.outsider):
        with pytest.raises(PermissionDenied):
            services.propose_grading(user, published, to_grade="important", **WHY)
    record = services.propose_grading(dm.ga_admin, published, to_grade="important", **WHY)
    for user in (dm.ga_admin, dm.wj_admin, dm.outsider):
        with pytest.raises(PermissionDenied):
            services.review_grading(user, record, approve=True)
    assert list(selectors.grading_queue(dm.authority)) == [record]
    assert not selectors.grading_queue(dm.ga_admin).exists()
    assert list(selectors.gradings(dm.ga_admin, published).filter(status="proposed")) == [record]
    assert not selectors.gradings(dm.wj_admin, published).exists()


def test_an_item_dropped_in_a_revision_is_still_graded_where_it_is_published(dm, published):
    entry = services.revise(dm.ga_admin, published, revision=published.revision)
    entry = services.set_items(dm.ga_admin, entry, ITEMS[:2], revision=entry.revision)
    with pytest.raises(ValidationError):  # 性别 has no mask: not 一般 3 级
        services.propose_grading(dm.ga_admin, entry, to_grade="general_3", item_code="sex", **WHY)
    record = services.propose_grading(
        dm.ga_admin, entry, to_grade="general_1", item_code="sex", **WHY
    )
    assert record.from_grade == "general_2" and record.item is None
    approve(dm, record)
    assert published_item(entry, "sex")["grade"] == "general_1"
    assert not fresh(entry).items.filter(code="sex").exists()


def test_an_entry_may_once_confirm_the_level_it_was_given_with_its_basis(dm, published):
    level = fresh(published).grade
    record = services.propose_grading(dm.ga_admin, published, to_grade=level, **WHY)
    approve(dm, record)
    entry = fresh(published)
    assert entry.grade == level and entry.grade_basis == WHY["basis"]
    with pytest.raises(ValidationError) as caught:
        services.propose_grading(dm.ga_admin, entry, to_grade=level, **WHY)
    assert "to_grade" in caught.value.message_dict


def test_an_item_proposal_must_change_its_level(dm, published):
    item = published_item(published, "name")
    with pytest.raises(ValidationError) as caught:
        services.propose_grading(
            dm.ga_admin, published, item_code="name", to_grade=item["grade"], **WHY
        )
    assert "to_grade" in caught.value.message_dict
