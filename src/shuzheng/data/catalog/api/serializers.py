"""Serializers of the catalogue API. Input serializers only shape the request (types);
the rules and their field-level messages are the services'. Output is built from the
publication (``CatalogueEntry.published``) for everyone and, for the provider's data
administrators and the reviewers, from the working copy as well."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from shuzheng.data.catalog import selectors, snapshot
from shuzheng.data.catalog.models import (
    VISIBLE_STATES,
    CatalogueEntry,
    Classification,
    EntryVersion,
    GradingRecord,
    MaskRule,
)

ITEM_HELP = gettext_lazy(
    "信息项：code（英文标识）、name、data_type（C/N/I/Y/D/T/L/M/G）、length（字符型必填）、"
    "description、is_key、personal、sensitive_personal、mask、grade、impact_object、"
    "impact_degree、grade_basis"
)


# --------------------------------------------------------------------------- input


class CatalogItemSerializer(serializers.Serializer):
    """One 信息项 as sent (the service checks the rules)."""

    code = serializers.CharField(allow_blank=True)
    name = serializers.CharField(allow_blank=True)
    data_type = serializers.CharField(allow_blank=True)
    length = serializers.IntegerField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    is_key = serializers.BooleanField(required=False, default=False)
    personal = serializers.BooleanField(required=False, default=False)
    sensitive_personal = serializers.BooleanField(required=False, default=False)
    mask = serializers.CharField(required=False, allow_blank=True, default=MaskRule.NONE)
    grade = serializers.CharField(allow_blank=True)
    impact_object = serializers.CharField(required=False, allow_blank=True, default="")
    impact_degree = serializers.CharField(required=False, allow_blank=True, default="")
    grade_basis = serializers.CharField(required=False, allow_blank=True, default="")


class CatalogEntryFieldsSerializer(serializers.Serializer):
    """The editable fields of an entry (all optional here: ``update`` sends only changes)."""

    name = serializers.CharField(required=False, allow_blank=True)
    summary = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.CharField(required=False, allow_blank=True)
    theme = serializers.CharField(required=False, allow_blank=True)
    resource_format = serializers.CharField(required=False, allow_blank=True)
    keywords = serializers.ListField(child=serializers.CharField(), required=False)
    update_cycle = serializers.CharField(required=False, allow_blank=True)
    share_type = serializers.CharField(required=False, allow_blank=True)
    share_condition = serializers.CharField(required=False, allow_blank=True)
    share_method = serializers.CharField(required=False, allow_blank=True)
    not_shared_basis = serializers.CharField(required=False, allow_blank=True)
    open_type = serializers.CharField(required=False, allow_blank=True)
    open_condition = serializers.CharField(required=False, allow_blank=True)
    on_platform = serializers.BooleanField(required=False)
    maintainer = serializers.IntegerField(
        required=False, help_text=gettext_lazy("元数据维护方（机构 id），默认为提供方")
    )
    sources = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=gettext_lazy("来源资源（派生数据）的信息资源代码"),
    )
    related = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=gettext_lazy("关联资源代码")
    )


REQUIRED_ON_CREATE = (
    "name",
    "summary",
    "kind",
    "resource_format",
    "update_cycle",
    "share_type",
    "share_method",
    "open_type",
)


class CatalogEntryCreateSerializer(CatalogEntryFieldsSerializer):
    provider = serializers.IntegerField(
        required=False,
        help_text=gettext_lazy("提供方（机构 id）；只在一个部门编目时可省略"),
    )
    classification = serializers.CharField(help_text=gettext_lazy("信息资源分类码，如 101"))
    items = CatalogItemSerializer(many=True, required=False, help_text=ITEM_HELP)

    def get_fields(self):
        fields = super().get_fields()
        for name in REQUIRED_ON_CREATE:
            fields[name].required = True
        return fields


class CatalogEntryUpdateSerializer(CatalogEntryFieldsSerializer):
    revision = serializers.IntegerField(
        required=False, min_value=0, help_text=gettext_lazy("读取时的修订号（或 If-Match）")
    )
    items = CatalogItemSerializer(many=True, required=False, help_text=ITEM_HELP)


class CatalogItemsReplaceSerializer(serializers.Serializer):
    revision = serializers.IntegerField(required=False, min_value=0)
    items = CatalogItemSerializer(many=True, help_text=ITEM_HELP)


class CatalogActSerializer(serializers.Serializer):
    revision = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=gettext_lazy("读取时的修订号（也可用 If-Match 请求头）；已变化则返回 409"),
    )
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=gettext_lazy("变更说明/审核意见")
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=gettext_lazy("退回或下线理由")
    )


class CatalogGradingProposalSerializer(serializers.Serializer):
    to_grade = serializers.CharField(allow_blank=True)
    impact_object = serializers.CharField(allow_blank=True)
    impact_degree = serializers.CharField(allow_blank=True)
    basis = serializers.CharField(allow_blank=True)
    item_code = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=gettext_lazy("为空表示条目定级")
    )
    factors = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class CatalogGradingReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    opinion = serializers.CharField(required=False, allow_blank=True, default="")


# --------------------------------------------------------------------------- output


def working_copy(entry: CatalogueEntry) -> dict:
    """The working copy in the shape of a publication (``snapshot``), without version."""
    data = {key: getattr(entry, key) for key in snapshot.ENTRY_KEYS}
    data.update(
        classification=entry.classification.code,
        classification_name=entry.classification.name,
        provider=entry.provider_id,
        provider_name=entry.provider.name,
        maintainer=entry.maintainer_id,
        maintainer_name=entry.maintainer.name,
        related=sorted(entry.related.values_list("code", flat=True)),
        sources=sorted(entry.sources.values_list("code", flat=True)),
        items=[snapshot.item_dict(item) for item in entry.items.order_by("sort_order", "pk")],
    )
    return data


def list_row(entry: CatalogueEntry) -> dict:
    """One row of a list: the publication's values when there is one to read, else (own
    drafts) the working copy's."""
    shown = entry.published if (entry.status in VISIBLE_STATES and entry.published) else None
    get = (lambda k: shown.get(k)) if shown else (lambda k: getattr(entry, k))  # noqa: E731
    return {
        "id": entry.pk,
        "code": entry.code,
        "name": get("name"),
        "provider": {"id": entry.provider_id, "name": entry.provider.name},
        "classification": entry.classification.code,
        "kind": get("kind"),
        "share_type": get("share_type"),
        "open_type": get("open_type"),
        "grade": get("grade"),
        "update_cycle": get("update_cycle"),
        "status": entry.status,
        "status_label": str(entry.get_status_display()),
        "version": entry.version,
        "published_at": entry.published_at,
    }


class CatalogEntryRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text=gettext_lazy("信息资源代码"))
    name = serializers.CharField()
    provider = serializers.DictField()
    classification = serializers.CharField()
    kind = serializers.CharField()
    share_type = serializers.CharField()
    open_type = serializers.CharField()
    grade = serializers.CharField()
    update_cycle = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField(allow_null=True)


class CatalogEntryPageSerializer(serializers.Serializer):
    results = CatalogEntryRowSerializer(many=True)
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    next_offset = serializers.IntegerField(allow_null=True)
    relaxed = serializers.BooleanField(required=False)


class CatalogEntryDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    version = serializers.IntegerField(help_text=gettext_lazy("已发布版本（0 为从未发布）"))
    revision = serializers.IntegerField(help_text=gettext_lazy("修订号：修改时原样带回"))
    provider = serializers.DictField()
    published_at = serializers.DateTimeField(allow_null=True)
    published = serializers.DictField(
        allow_null=True, help_text=gettext_lazy("最近一次发布的内容（所有人可见）")
    )
    working = serializers.DictField(
        allow_null=True, help_text=gettext_lazy("工作稿（仅提供方与审核人可见）")
    )
    review_note = serializers.CharField(allow_blank=True)
    actions = serializers.ListField(child=serializers.CharField())


def detail(user, entry: CatalogueEntry, actions: list[str]) -> dict:
    owner = selectors.sees_working_copy(user, entry)
    return {
        "id": entry.pk,
        "code": entry.code,
        "status": entry.status,
        "status_label": str(entry.get_status_display()),
        "version": entry.version,
        "revision": entry.revision,
        "provider": {"id": entry.provider_id, "name": entry.provider.name},
        "published_at": entry.published_at,
        "published": selectors.published_form(entry),
        "working": working_copy(entry) if owner else None,
        "review_note": entry.review_note if owner else "",
        "actions": actions,
    }


class CatalogClassificationSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    parent = serializers.CharField(source="parent.code", default=None, read_only=True)
    level = serializers.IntegerField(read_only=True)

    class Meta:
        model = Classification
        fields = ["code", "name", "kind", "parent", "level"]
        read_only_fields = fields


class CatalogVersionSerializer(serializers.ModelSerializer):
    reviewed_by = serializers.CharField(source="reviewed_by.__str__", read_only=True)

    class Meta:
        model = EntryVersion
        fields = ["version", "published_at", "change_note", "reviewed_by", "snapshot"]
        read_only_fields = fields


class CatalogGradingSerializer(serializers.ModelSerializer):
    entry = serializers.CharField(source="entry.code", read_only=True)
    entry_name = serializers.CharField(source="entry.name", read_only=True)
    proposed_by = serializers.CharField(source="proposed_by.__str__", read_only=True)
    reviewed_by = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    from_grade = serializers.CharField(read_only=True)
    to_grade = serializers.CharField(read_only=True)
    impact_object = serializers.CharField(read_only=True)
    impact_degree = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = GradingRecord
        fields = [
            "id",
            "entry",
            "entry_name",
            "item_code",
            "from_grade",
            "to_grade",
            "impact_object",
            "impact_degree",
            "factors",
            "basis",
            "status",
            "status_label",
            "proposed_by",
            "proposed_at",
            "reviewed_by",
            "reviewed_at",
            "review_opinion",
        ]
        read_only_fields = fields

    def get_reviewed_by(self, record) -> str:
        return str(record.reviewed_by) if record.reviewed_by_id else ""
