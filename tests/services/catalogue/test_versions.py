"""事项版本: drafted, reviewed by someone else, published; a published version never changes
in place (not through the services, not through a model save, not through the admin), and a
running case keeps the version it was applied under."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404

from shuzheng.foundation import access
from shuzheng.foundation.events.models import OutboxEvent
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.services.catalogue import selectors, services
from shuzheng.services.catalogue.models import (
    Fee,
    FrozenVersion,
    ItemVersion,
    Material,
    Question,
    ServiceItem,
    Theme,
)
from tests.services.catalogue.builders import (  # noqa: F401  (fixtures)
    basic_item,
    content,
    create,
    implementation_code,
    kaiban_fixture,
    publish,
    simplified_chinese_fixture,
    staff_fixture,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(tree, staff, kaiban):
    return publish(
        staff.editor,
        staff.head,
        tree.zwfw,
        charged=True,
        fees=[{"name": "工本费", "standard": "免收", "basis": "粤发改价格〔2017〕1号"}],
    )


def snapshot(version: ItemVersion) -> dict:
    version = ItemVersion.objects.get(pk=version.pk)
    return {
        "row": {f.attname: getattr(version, f.attname) for f in version._meta.concrete_fields},
        "materials": list(version.materials.values()),
        "fees": list(version.fees.values()),
        "questions": list(version.questions.values()),
        "themes": list(version.themes.values_list("code", flat=True)),
    }


# --- the life of a version ---------------------------------------------------------------


def test_a_new_item_is_a_draft_that_nobody_outside_sees(tree, staff, kaiban):
    item = create(staff.editor, tree.zwfw)
    version = item.versions.get()
    assert (version.version, version.status, version.created_by) == (1, "draft", staff.editor)
    assert item.current is None
    assert not selectors.published_items().filter(pk=item.pk).exists()
    with pytest.raises(Http404):
        selectors.item_by_code(item.implementation_code)
    assert [m.code for m in version.materials.all()] == [
        "id_proof",
        "premises",
        "health_cert",
        "old_form",
    ]
    assert AuditRecord.objects.filter(action="catalogue.item.create").count() == 1


def test_publishing_lists_the_item_and_announces_it(tree, staff, kaiban):
    item = publish(staff.editor, staff.head, tree.zwfw)
    assert item.current.status == "published" and item.current.published_at
    assert item.current.reviewed_by == staff.head
    assert selectors.item_by_code(item.implementation_code) == item
    event = OutboxEvent.objects.get(type="catalogue.item.published")
    assert event.payload == {"code": item.implementation_code, "version": 1}


def test_a_new_draft_copies_the_published_version_with_its_parts(item, staff):
    draft = services.new_draft(staff.editor, item)
    published = item.current
    assert (draft.version, draft.status) == (2, "draft")
    for name in services.CONTENT_FIELDS:
        if name != "change_note":
            assert getattr(draft, name) == getattr(published, name), name
    assert services.parts_of(draft) == services.parts_of(published)
    assert draft.materials.get(code="old_form").removed_rule == "online_check"
    assert list(draft.themes.values_list("code", flat=True)) == ["kaiban"]


def test_a_second_open_draft_is_refused_with_a_clear_message(item, staff):
    services.new_draft(staff.editor, item)
    with pytest.raises(services.OpenDraftExists, match="第 2 版"):
        services.new_draft(staff.head, item)
    assert item.versions.count() == 2


def test_publishing_a_new_version_supersedes_the_old_one(item, staff):
    first = item.current
    draft = services.new_draft(staff.editor, item)
    services.update_draft(
        staff.editor, draft, fields={"promised_limit": 3, "change_note": "压缩承诺时限"}
    )
    services.submit_for_review(staff.editor, draft)
    services.review(staff.head, draft, approve=True, opinion="同意")
    item.refresh_from_db()
    first.refresh_from_db()
    assert item.current == draft and item.current.promised_limit == 3
    assert first.status == "superseded"
    assert selectors.version_for_guide(item.implementation_code).version == 2
    assert selectors.version_for_guide(item.implementation_code, 1).promised_limit == 5
    assert [
        e.payload["version"]
        for e in OutboxEvent.objects.filter(type="catalogue.item.published").order_by("created_at")
    ] == [1, 2]


def test_a_draft_is_never_shown_as_a_guide_version(item, staff):
    services.new_draft(staff.editor, item)
    with pytest.raises(Http404):
        selectors.version_for_guide(item.implementation_code, 2)


def test_a_running_case_keeps_its_version_when_a_new_one_is_published(
    tree, item_factory, case_factory, citizen, staff
):
    item = item_factory(tree.zwfw)
    applied_under = item.current
    before = snapshot(applied_under)
    case = case_factory(item, citizen, state="accepted")
    draft = services.new_draft(staff.editor, item)
    services.update_draft(
        staff.editor,
        draft,
        fields={"promised_limit": 2},
        materials=[
            {"code": "id_proof", "name": "身份证明", "kind": "electronic", "necessity": "required"}
        ],
    )
    services.submit_for_review(staff.editor, draft)
    services.review(staff.head, draft, approve=True, opinion="同意")
    case.refresh_from_db()
    item.refresh_from_db()
    assert item.current.version == 2
    assert case.item_version_id == applied_under.pk
    after = snapshot(applied_under)
    assert after["row"].pop("status") == "superseded"
    before["row"].pop("status")
    assert after == before


def test_returning_a_version_needs_an_opinion_and_makes_it_a_draft_again(tree, staff, kaiban):
    item = create(staff.editor, tree.zwfw)
    version = services.submit_for_review(staff.editor, item.versions.get())
    with pytest.raises(ValidationError) as refused:
        services.review(staff.head, version, approve=False, opinion="  ")
    assert "opinion" in refused.value.message_dict
    returned = services.review(staff.head, version, approve=False, opinion="受理条件不完整")
    assert (returned.status, returned.review_opinion) == ("draft", "受理条件不完整")
    services.update_draft(staff.editor, returned, fields={"acceptance_conditions": "具备经营场所"})
    assert not OutboxEvent.objects.filter(type="catalogue.item.published").exists()


def test_only_a_version_in_review_can_be_reviewed(tree, staff, kaiban):
    item = create(staff.editor, tree.zwfw)
    with pytest.raises(ValidationError):
        services.review(staff.head, item.versions.get(), approve=True, opinion="")
    assert item.versions.get().status == "draft"


def test_withdrawing_an_item_takes_it_off_the_catalogue(item, staff, case_factory, citizen):
    case = case_factory(item, citizen)
    version = item.current
    with pytest.raises(ValidationError):
        services.withdraw_item(staff.head, item, reason="")
    services.withdraw_item(staff.head, item, reason="事项已取消")
    version.refresh_from_db()
    assert version.status == "withdrawn"
    assert not selectors.published_items().filter(pk=item.pk).exists()
    with pytest.raises(Http404):
        selectors.version_for_guide(item.implementation_code, 1)
    case.refresh_from_db()
    assert case.item_version_id == version.pk
    assert OutboxEvent.objects.filter(type="catalogue.item.withdrawn").count() == 1


def test_a_withdrawn_item_can_be_listed_again_through_a_new_version(item, staff):
    services.withdraw_item(staff.head, item, reason="暂停办理")
    draft = services.new_draft(staff.editor, item)
    services.submit_for_review(staff.editor, draft)
    services.review(staff.head, draft, approve=True, opinion="恢复办理")
    assert selectors.item_by_code(item.implementation_code).current.version == 2


# --- a published version never changes in place -----------------------------------------


def test_the_services_refuse_to_edit_a_published_version(item, staff):
    before = snapshot(item.current)
    with pytest.raises(ValidationError, match="只有草稿可以修改"):
        services.update_draft(staff.editor, item.current, fields={"name": "改名"})
    with pytest.raises(ValidationError):
        services.submit_for_review(staff.editor, item.current)
    assert snapshot(item.current) == before


def test_a_version_in_review_is_not_edited_either(tree, staff, kaiban):
    item = create(staff.editor, tree.zwfw)
    version = services.submit_for_review(staff.editor, item.versions.get())
    with pytest.raises(ValidationError):
        services.update_draft(staff.editor, version, fields={"name": "改名"})
    assert ItemVersion.objects.get(pk=version.pk).name == "个体工商户设立登记"


def test_a_model_save_of_a_published_version_is_refused(item):
    before = snapshot(item.current)
    version = ItemVersion.objects.get(pk=item.current.pk)
    version.name = "改名"
    with pytest.raises(FrozenVersion):
        version.save()
    version = ItemVersion.objects.get(pk=item.current.pk)
    version.form_schema = {}
    with pytest.raises(FrozenVersion):
        version.save(update_fields=["form_schema"])
    version = ItemVersion.objects.get(pk=item.current.pk)
    version.status = "draft"
    with pytest.raises(FrozenVersion):
        version.save()
    with pytest.raises(FrozenVersion):
        version.delete()
    assert snapshot(item.current) == before


def test_the_parts_of_a_published_version_are_frozen_too(item):
    version = ItemVersion.objects.get(pk=item.current.pk)
    before = snapshot(version)
    material = version.materials.first()
    material.name = "改名"
    with pytest.raises(FrozenVersion):
        material.save()
    with pytest.raises(FrozenVersion):
        material.delete()
    with pytest.raises(FrozenVersion):
        Material.objects.create(
            version=version, code="extra", name="新增材料", kind="copy", necessity="required"
        )
    fee = Fee.objects.get(version=version)
    fee.standard = "100 元"
    with pytest.raises(FrozenVersion):
        fee.save()
    with pytest.raises(FrozenVersion):
        Question.objects.create(version=version, question="？", answer="！")
    other = Theme.objects.create(code="x", name="X", audience="person")
    # m2m changes run in their own atomic block without a savepoint: give them one here.
    with pytest.raises(FrozenVersion), transaction.atomic():
        version.themes.add(other)
    with pytest.raises(FrozenVersion), transaction.atomic():
        version.themes.clear()
    with pytest.raises(FrozenVersion), transaction.atomic():
        Theme.objects.get(code="kaiban").itemversion_set.clear()
    assert snapshot(version) == before


def test_a_material_cannot_be_moved_out_of_a_published_version(item, staff):
    draft = services.new_draft(staff.editor, item)
    material = Material.objects.filter(version=item.current).first()
    material.version = draft
    with pytest.raises(FrozenVersion):
        material.save()


def test_the_admin_cannot_change_a_published_version(client, tree, make_staff, item):
    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    before = snapshot(item.current)
    url = f"/admin/catalogue/itemversion/{item.current.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and b'name="name"' not in page.content
    response = client.post(url, {"name": "改名", "legal_limit": 1, "promised_limit": 1})
    assert response.status_code == 403
    material = item.current.materials.first()
    client.post(f"/admin/catalogue/material/{material.pk}/change/", {"name": "改名"})
    assert snapshot(item.current) == before


def test_the_admin_edits_a_draft_through_the_service_rules(client, tree, make_staff, staff, item):
    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    admin.is_staff = True
    admin.save()
    from shuzheng.foundation.access import services as access_services
    from shuzheng.foundation.access.models import Role

    access_services.grant_role(
        access.SYSTEM,
        user=admin,
        role=Role.objects.get(code="catalogue-editor"),
        organisation=tree.zwfw,
    )
    draft = services.new_draft(staff.editor, item)
    client.force_login(admin)
    url = f"/admin/catalogue/itemversion/{draft.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(_inline_management(page))
    for key in (
        "process",
        "handling_forms",
        "review_steps",
        "keywords",
        "form_schema",
        "form_ui",
        "translations",
    ):
        data[key] = form[key].value()
    data["themes"] = [t.pk for t in draft.themes.all()]
    data["promised_limit"] = 99
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the rule's message
    assert "承诺办结时限" in response.content.decode()
    assert ItemVersion.objects.get(pk=draft.pk).promised_limit == 5
    data["promised_limit"] = 4
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert ItemVersion.objects.get(pk=draft.pk).promised_limit == 4
    assert AuditRecord.objects.filter(action="catalogue.version.update").exists()


def _inline_management(page) -> dict:
    data = {}
    for formset in page.context["inline_admin_formsets"]:
        fs = formset.formset
        prefix = fs.prefix
        data[f"{prefix}-TOTAL_FORMS"] = len(fs.initial_forms)
        data[f"{prefix}-INITIAL_FORMS"] = len(fs.initial_forms)
        for i, form in enumerate(fs.initial_forms):
            for name in form.fields:
                value = form[name].value()
                if value is not None and value is not False:
                    data[f"{prefix}-{i}-{name}"] = value
    return data


# --- who may ------------------------------------------------------------------------------


def test_an_editor_of_another_department_cannot_draft_or_see_drafts(item, staff):
    with pytest.raises(PermissionDenied):
        services.new_draft(staff.other_editor, item)
    draft = services.new_draft(staff.editor, item)
    with pytest.raises(PermissionDenied):
        services.update_draft(staff.other_editor, draft, fields={"name": "改名"})
    assert not selectors.open_drafts(staff.other_editor).exists()
    assert not selectors.items_for_editor(staff.other_editor).exists()
    assert list(selectors.open_drafts(staff.editor)) == [draft]
    assert ItemVersion.objects.get(pk=draft.pk).name == "个体工商户设立登记"


def test_an_editor_cannot_create_an_item_for_another_department(tree, staff, kaiban):
    with pytest.raises(PermissionDenied):
        create(staff.other_editor, tree.zwfw)
    assert not ServiceItem.objects.exists()


def test_a_citizen_cannot_draft(item, citizen):
    with pytest.raises(PermissionDenied):
        services.new_draft(citizen, item)
    assert not selectors.open_drafts(citizen).exists()
    assert not selectors.items_for_editor(citizen).exists()


def test_an_editor_cannot_publish(tree, staff, kaiban):
    item = create(staff.editor, tree.zwfw)
    version = services.submit_for_review(staff.editor, item.versions.get())
    with pytest.raises(PermissionDenied):
        services.review(staff.editor, version, approve=True, opinion="")
    with pytest.raises(PermissionDenied):
        services.review(staff.other_head, version, approve=True, opinion="")
    assert ItemVersion.objects.get(pk=version.pk).status == "in_review"


def test_a_reviewer_cannot_review_a_draft_they_wrote_or_submitted(tree, staff, kaiban):
    item = create(staff.head, tree.zwfw)
    version = services.submit_for_review(staff.head, item.versions.get())
    with pytest.raises(PermissionDenied, match="职责分离"):
        services.review(staff.head, version, approve=True, opinion="")
    returned = services.review(make_second_head(tree), version, approve=False, opinion="请补充")
    services.update_draft(staff.editor, returned, fields={"short_name": "个体户登记"})
    again = services.submit_for_review(staff.editor, returned)
    with pytest.raises(PermissionDenied):  # drafted by the head, though submitted by another
        services.review(staff.head, again, approve=True, opinion="")
    assert ItemVersion.objects.get(pk=version.pk).status == "in_review"


def make_second_head(tree):
    from shuzheng.foundation.access import services as access_services
    from shuzheng.foundation.access.models import Role
    from shuzheng.foundation.identity import services as identity

    profile = identity.create_staff(
        access.SYSTEM,
        organisation=tree.zwfw,
        username="head2",
        display_name="副局长",
        password="Zhuhai@2026x",
        position="副局长",
    )
    access_services.grant_role(
        access.SYSTEM,
        user=profile.user,
        role=Role.objects.get(code="department-head"),
        organisation=tree.zwfw,
    )
    return profile.user


def test_the_installation_may_publish_what_it_drafted(tree, kaiban):
    item = create(access.SYSTEM, tree.zwfw)
    version = services.submit_for_review(access.SYSTEM, item.versions.get())
    services.review(access.SYSTEM, version, approve=True, opinion="")
    assert selectors.item_by_code(item.implementation_code).current.created_by is None


def test_an_editor_cannot_withdraw_an_item(item, staff):
    with pytest.raises(PermissionDenied):
        services.withdraw_item(staff.editor, item, reason="取消")
    assert selectors.published_items().filter(pk=item.pk).exists()


# --- bad input: field-level messages, nothing written -------------------------------------


def bad(staff, item, **kw):
    draft = ItemVersion.objects.filter(item=item, status="draft").first() or services.new_draft(
        staff.editor, item
    )
    before = snapshot(draft)
    with pytest.raises(ValidationError) as refused:
        services.update_draft(staff.editor, draft, **kw)
    assert snapshot(draft) == before, "nothing is written"
    return refused.value.message_dict


def test_promised_limit_over_the_legal_one_is_refused(item, staff):
    errors = bad(staff, item, fields={"promised_limit": 30, "name": "新名称"})
    assert list(errors) == ["promised_limit"]
    assert "不能超过法定办结时限" in errors["promised_limit"][0]


def test_limits_must_be_positive(item, staff):
    errors = bad(staff, item, fields={"legal_limit": 0, "promised_limit": 0})
    assert set(errors) == {"legal_limit", "promised_limit"}


def test_different_units_are_not_compared(item, staff):
    draft = services.new_draft(staff.editor, item)
    services.update_draft(
        staff.editor,
        draft,
        fields={"legal_limit": 20, "promised_limit": 48, "promised_limit_unit": "hours"},
    )


def test_an_invalid_json_schema_is_refused(item, staff):
    errors = bad(staff, item, fields={"form_schema": {"type": "object", "properties": 3}})
    assert "不是有效的 JSON Schema" in errors["form_schema"][0]


@pytest.mark.parametrize(
    "schema, message",
    [
        ({"type": "array"}, "type 应为 object"),
        ({"type": "object", "properties": {}}, "additionalProperties"),
        (
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {"a": {"type": "array", "title": "A"}},
            },
            "string、integer",
        ),
        (
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {"a": {"type": "string"}},
            },
            "缺少标题",
        ),
        (
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["b"],
                "properties": {"a": {"type": "string", "title": "A"}},
            },
            "必填字段 b",
        ),
    ],
)
def test_the_form_schema_must_be_the_shared_subset(item, staff, schema, message):
    errors = bad(staff, item, fields={"form_schema": schema, "form_ui": {}})
    assert any(message in m for m in errors["form_schema"]), errors


def test_form_ui_names_only_schema_properties_and_known_prefill_sources(item, staff):
    ui = {
        "order": ["business_name", "nope"],
        "widgets": {"note": "slider"},
        "prefill": {"business_name": "applicant.password"},
        "colour": "red",
    }
    errors = bad(staff, item, fields={"form_ui": ui})
    text = " ".join(errors["form_ui"])
    assert "nope" in text and "slider" in text and "applicant.password" in text
    assert "colour" in text


def test_an_unknown_material_rule_and_a_duplicate_code_are_reported_per_row(item, staff):
    materials = [
        {"code": "a", "name": "甲", "kind": "copy", "necessity": "required"},
        {"code": "a", "name": "乙", "kind": "copy", "necessity": "required"},
        {
            "code": "c",
            "name": "丙",
            "kind": "copy",
            "necessity": "required",
            "removed_rule": "too_old",
        },
        {"code": "d", "name": "", "kind": "scan", "necessity": "required"},
    ]
    errors = bad(staff, item, fields={}, materials=materials)
    assert "重复" in errors["materials[1].code"][0]
    assert "未知的取消依据" in errors["materials[2].removed_rule"][0]
    assert set(errors) == {
        "materials[1].code",
        "materials[2].removed_rule",
        "materials[3].name",
        "materials[3].kind",
    }


def test_translations_only_for_known_languages_and_fields(item, staff):
    errors = bad(
        staff,
        item,
        fields={"translations": {"fr": {"name": "x"}, "en": {"name": "x", "colour": "y"}}},
    )
    text = " ".join(errors["translations"])
    assert "fr" in text and "colour" in text


def test_translations_take_the_guide_layout_and_refuse_a_wrong_shape(item, staff):
    good = {
        "pt": {
            "name": "Registo",
            "process": ["Pedido", "Decisão"],
            "materials": {"id_proof": {"name": "Documento de identificação"}},
            "questions": [{"question": "Quanto tempo?", "answer": "Cinco dias úteis."}],
        }
    }
    version = services.new_draft(staff.editor, item)
    services.update_draft(staff.editor, version, fields={"translations": good})
    assert ItemVersion.objects.get(pk=version.pk).translations == good
    errors = bad(
        staff,
        item,
        fields={
            "translations": {
                "en": {"process": "not a list", "materials": [{"name": "by position"}]}
            }
        },
    )
    text = " ".join(errors["translations"])
    assert "process" in text and "materials" in text


def test_unknown_fields_and_themes_are_refused(item, staff):
    errors = bad(staff, item, fields={"colour": "red"}, themes=["nope"])
    assert set(errors) == {"colour"}
    errors = bad(staff, item, fields={}, themes=["nope"])
    assert "nope" in errors["themes"][0]


def test_a_charged_item_lists_its_fees(item, staff):
    errors = bad(staff, item, fields={"charged": True}, fees=[])
    assert "收费项目" in errors["fees"][0]


def test_a_bad_new_item_writes_nothing(tree, staff, kaiban):
    with pytest.raises(ValidationError) as refused:
        services.create_item(
            staff.editor,
            basic=basic_item(),
            organisation=tree.zwfw,
            implementation_code="short",
            **content(promised_limit=40),
        )
    assert set(refused.value.message_dict) == {"implementation_code", "promised_limit"}
    assert not ServiceItem.objects.exists() and not ItemVersion.objects.exists()


def test_an_implementation_code_is_unique(tree, staff, kaiban):
    code = implementation_code()
    services.create_item(
        staff.editor,
        basic=basic_item(),
        organisation=tree.zwfw,
        implementation_code=code,
        **content(),
    )
    with pytest.raises(ValidationError) as refused:
        services.create_item(
            staff.editor,
            basic=basic_item(),
            organisation=tree.zwfw,
            implementation_code=code,
            **content(),
        )
    assert "implementation_code" in refused.value.message_dict


# --- races ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_editors_drafting_at_once_get_one_draft(tree, make_staff):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are exercised on PostgreSQL")
    Theme.objects.create(code="kaiban", name="开办", audience="enterprise")
    editor = make_staff(tree.zwfw, "catalogue-editor")
    head = make_staff(tree.zwfw, "department-head")
    item = publish(editor, head, tree.zwfw)
    barrier = threading.Barrier(4)
    outcomes = []

    def draft():
        from django.db import connections

        barrier.wait()
        try:
            services.new_draft(editor, ServiceItem.objects.get(pk=item.pk))
            outcomes.append("drafted")
        except services.OpenDraftExists:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=draft) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["drafted", "refused", "refused", "refused"]
    assert item.versions.filter(status="draft").count() == 1
