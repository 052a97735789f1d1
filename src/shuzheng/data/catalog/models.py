"""政务信息资源目录 — the government data catalogue (shared/domain/data.md).

An entry (``CatalogueEntry``) is one information resource of a department with the field set
of GB/T 21063 and the 2017 编制指南; its 信息项 (``DataItem``) are the columns. Every entry and
item carries a GB/T 43697 level (``Grade``); 就高从严: the entry is never below its highest item
nor below the highest of the entries it is derived from (``sources``). Changes to a level are
proposed and reviewed (``GradingRecord``, append-only history).

The working copy is what the owner edits; what others read is the last reviewed publication
(``published`` — a snapshot, also kept per version in ``EntryVersion``). ``DatasetRecord`` is the
platform's own store: the rows of entries whose data the platform holds, encrypted at rest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation.trust.models import AppendOnlyModel
from shuzheng.foundation.trust.pii import BlindIndexField, EncryptedField, EncryptedJSONField


class Grade(models.TextChoices):
    """数据级别 (GB/T 43697-2024): 核心 > 重要 > 一般 (一般 subdivided 1–4, 4 the highest)."""

    GENERAL_1 = "general_1", _("一般数据（1级）")
    GENERAL_2 = "general_2", _("一般数据（2级）")
    GENERAL_3 = "general_3", _("一般数据（3级）")
    GENERAL_4 = "general_4", _("一般数据（4级）")
    IMPORTANT = "important", _("重要数据")
    CORE = "core", _("核心数据")


GRADE_RANK = {g.value: i for i, g in enumerate(Grade, start=1)}


def highest(*grades: str | None) -> str:
    """就高从严: the highest of ``grades`` (empty → 一般 1 级)."""
    present = [g for g in grades if g]
    return max(present, key=GRADE_RANK.__getitem__) if present else Grade.GENERAL_1


class ImpactObject(models.TextChoices):
    """影响对象."""

    NATIONAL_SECURITY = "national_security", _("国家安全")
    ECONOMY = "economy", _("经济运行")
    SOCIAL_ORDER = "social_order", _("社会秩序")
    PUBLIC_INTEREST = "public_interest", _("公共利益")
    ORGANISATION = "organisation", _("组织权益")
    PERSONAL = "personal", _("个人权益")


class ImpactDegree(models.TextChoices):
    """影响程度."""

    EXTREME = "extreme", _("特别严重")
    SERIOUS = "serious", _("严重")
    GENERAL = "general", _("一般")


class CatalogueKind(models.TextChoices):
    """目录类别."""

    BASE = "base", _("基础信息资源")
    THEME = "theme", _("主题信息资源")
    DEPARTMENT = "department", _("部门信息资源")


class ShareType(models.TextChoices):
    """共享类型."""

    UNCONDITIONAL = "unconditional", _("无条件共享")
    CONDITIONAL = "conditional", _("有条件共享")
    NONE = "none", _("不予共享")


class ShareMethod(models.TextChoices):
    """共享方式."""

    API = "api", _("接口")
    FILE = "file", _("文件")
    DATABASE = "database", _("库表")


class OpenType(models.TextChoices):
    """开放类型."""

    UNCONDITIONAL = "unconditional", _("无条件开放")
    CONDITIONAL = "conditional", _("有条件开放")
    NONE = "none", _("不予开放")


class UpdateCycle(models.TextChoices):
    """更新周期 (days in ``UPDATE_CYCLE_DAYS``, used by the timeliness rule)."""

    REALTIME = "realtime", _("实时")
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    HALF_YEARLY = "half_yearly", _("每半年")
    YEARLY = "yearly", _("每年")
    IRREGULAR = "irregular", _("不定期")


UPDATE_CYCLE_DAYS = {
    "realtime": 1,
    "daily": 1,
    "weekly": 7,
    "monthly": 31,
    "quarterly": 92,
    "half_yearly": 183,
    "yearly": 366,
    "irregular": None,
}


class ResourceFormat(models.TextChoices):
    """信息资源格式 (编制指南: 电子文件 / 电子表格 / 数据库 / 图形图像 / 流媒体 / 自描述格式)."""

    DATABASE = "database", _("数据库")
    SPREADSHEET = "spreadsheet", _("电子表格")
    DOCUMENT = "document", _("电子文件")
    IMAGE = "image", _("图形图像")
    STREAM = "stream", _("流媒体")
    SELF_DESCRIBING = "self_describing", _("自描述格式（JSON/XML）")
    API = "api", _("接口")


class DataType(models.TextChoices):
    """信息项数据类型 (GB/T 21063 letters)."""

    CHAR = "C", _("字符型")
    NUMBER = "N", _("数值型")
    INTEGER = "I", _("整型")
    MONEY = "Y", _("货币型")
    DATE = "D", _("日期型")
    DATETIME = "T", _("日期时间型")
    BOOLEAN = "L", _("逻辑型")
    TEXT = "M", _("备注型")
    BINARY = "G", _("通用型（二进制）")


class MaskRule(models.TextChoices):
    """脱敏方式 applied by the gateway and every export when an item is delivered masked."""

    NONE = "none", _("不脱敏")
    ID_NUMBER = "id_number", _("证件号码（保留前6后4位）")
    PHONE = "phone", _("电话号码（保留前3后4位）")
    NAME = "name", _("姓名（保留姓）")
    ADDRESS = "address", _("地址（保留到街道/镇）")
    DATE_YEAR = "date_year", _("日期（泛化到年）")
    PARTIAL = "partial", _("部分遮盖（保留首尾）")
    SUPPRESS = "suppress", _("整项屏蔽")
    PSEUDONYM = "pseudonym", _("假名化（HMAC-SM3）")


class EntryStatus(models.TextChoices):
    """目录状态: edited as 草稿, 待审核 by the data authority, 已发布; a published entry is
    revised in 修订中 while its last publication stays readable; 已下线 withdrawn."""

    DRAFT = "draft", _("草稿")
    REVIEWING = "reviewing", _("待审核")
    PUBLISHED = "published", _("已发布")
    REVISING = "revising", _("修订中")
    WITHDRAWN = "withdrawn", _("已下线")


# an entry others can read, request and call (its last publication)
VISIBLE_STATES = (EntryStatus.PUBLISHED, EntryStatus.REVISING)


class Classification(models.Model):
    """信息资源分类: 类 (1 digit) / 项 (2) / 目 (3) / 细目 (3). ``code`` is the full code
    of the node (e.g. ``1`` → ``101`` → ``101001``); an entry's 信息资源代码 is its
    classification's code, "/", and a six-digit 顺序码 within it."""

    code = models.CharField(_("分类码"), max_length=9, unique=True)
    name = models.CharField(_("分类名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(_("目录类别"), max_length=12, choices=CatalogueKind.choices)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("信息资源分类")
        verbose_name_plural = _("信息资源分类")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def level(self) -> int:
        """1 类, 2 项, 3 目, 4 细目."""
        return {1: 1, 3: 2, 6: 3, 9: 4}[len(self.code)]


class CatalogueEntry(models.Model):
    classification = models.ForeignKey(
        Classification,
        verbose_name=_("信息资源分类"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    code = models.CharField(
        _("信息资源代码"),
        max_length=20,
        unique=True,
        help_text=_("分类码/顺序码，发布前由系统生成"),
    )
    name = models.CharField(_("信息资源名称"), max_length=200)
    provider = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("信息资源提供方"),
        on_delete=models.PROTECT,
        related_name="catalogue_entries",
    )
    provider_code = models.CharField(
        _("提供方代码"), max_length=18, blank=True, help_text=_("提供方的统一社会信用代码")
    )
    maintainer = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("元数据维护方"),
        on_delete=models.PROTECT,
        related_name="maintained_entries",
    )
    kind = models.CharField(_("目录类别"), max_length=12, choices=CatalogueKind.choices)
    theme = models.CharField(_("主题"), max_length=40, blank=True)
    summary = models.TextField(_("信息资源摘要"))
    resource_format = models.CharField(
        _("信息资源格式"), max_length=20, choices=ResourceFormat.choices
    )
    keywords = models.JSONField(_("关键字"), default=list, blank=True)
    update_cycle = models.CharField(_("更新周期"), max_length=12, choices=UpdateCycle.choices)
    share_type = models.CharField(_("共享类型"), max_length=14, choices=ShareType.choices)
    share_condition = models.TextField(_("共享条件"), blank=True)
    share_method = models.CharField(_("共享方式"), max_length=10, choices=ShareMethod.choices)
    not_shared_basis = models.TextField(
        _("不予共享依据"), blank=True, help_text=_("不予共享时必须写明法律、行政法规或政策依据")
    )
    open_type = models.CharField(_("开放类型"), max_length=14, choices=OpenType.choices)
    open_condition = models.TextField(_("开放条件"), blank=True)
    on_platform = models.BooleanField(
        _("已汇聚到共享平台"),
        default=True,
        help_text=_("决定有条件共享的答复时限：已汇聚 5 个工作日，未汇聚 10 个工作日"),
    )
    related = models.ManyToManyField(
        "self", verbose_name=_("关联资源"), blank=True, symmetrical=False, related_name="+"
    )
    sources = models.ManyToManyField(
        "self",
        verbose_name=_("来源资源（派生数据）"),
        blank=True,
        symmetrical=False,
        related_name="derived",
    )
    # 分级 (GB/T 43697): the effective level, always ≥ every item and every source
    grade = models.CharField(_("数据级别"), max_length=12, choices=Grade.choices)
    impact_object = models.CharField(
        _("影响对象"), max_length=20, choices=ImpactObject.choices, blank=True
    )
    impact_degree = models.CharField(
        _("影响程度"), max_length=10, choices=ImpactDegree.choices, blank=True
    )
    grade_basis = models.TextField(_("定级依据"), blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("定级审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    graded_at = models.DateTimeField(_("定级日期"), null=True, blank=True)
    # lifecycle
    status = models.CharField(
        _("状态"), max_length=10, choices=EntryStatus.choices, default=EntryStatus.DRAFT
    )
    version = models.PositiveIntegerField(_("已发布版本"), default=0)
    published = models.JSONField(
        _("已发布内容"), default=dict, blank=True, help_text=_("最近一次审核发布的快照")
    )
    published_at = models.DateTimeField(_("发布日期"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)
    revision = models.PositiveIntegerField(_("修订号"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    data_updated_at = models.DateTimeField(
        _("数据最近更新时间"), null=True, blank=True, help_text=_("平台库中数据最近一次更新")
    )

    class Meta:
        verbose_name = _("目录条目")
        verbose_name_plural = _("目录条目")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["provider", "status"], name="entry_provider_status"),
            models.Index(fields=["status", "share_type"], name="entry_status_share"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_visible(self) -> bool:
        return self.status in VISIBLE_STATES

    @property
    def decision_limit_text(self) -> str:
        """有条件共享: the provider answers within 5 working days when the data is already on the
        platform, 10 when it is not (《政务数据共享条例》)."""
        days = 5 if self.on_platform else 10
        return f"{days} working_days"


class DataItem(models.Model):
    """信息项: one field of an entry (working copy; ``CatalogueEntry.published`` holds the
    published copy)."""

    entry = models.ForeignKey(
        CatalogueEntry, verbose_name=_("目录条目"), on_delete=models.CASCADE, related_name="items"
    )
    code = models.SlugField(
        _("信息项标识"),
        max_length=60,
        help_text=_("英文标识，接口与文件中的字段名，如 id_number"),
    )
    name = models.CharField(_("信息项名称"), max_length=100)
    data_type = models.CharField(_("数据类型"), max_length=1, choices=DataType.choices)
    length = models.PositiveIntegerField(_("数据长度"), null=True, blank=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    is_key = models.BooleanField(
        _("查询主键"), default=False, help_text=_("按此项查询平台库中的记录；每个条目最多一项")
    )
    personal = models.BooleanField(_("个人信息"), default=False)
    sensitive_personal = models.BooleanField(_("敏感个人信息"), default=False)
    mask = models.CharField(
        _("脱敏方式"), max_length=12, choices=MaskRule.choices, default=MaskRule.NONE
    )
    grade = models.CharField(_("数据级别"), max_length=12, choices=Grade.choices)
    impact_object = models.CharField(
        _("影响对象"), max_length=20, choices=ImpactObject.choices, blank=True
    )
    impact_degree = models.CharField(
        _("影响程度"), max_length=10, choices=ImpactDegree.choices, blank=True
    )
    grade_basis = models.TextField(_("定级依据"), blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("定级审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    graded_at = models.DateTimeField(_("定级日期"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("信息项")
        verbose_name_plural = _("信息项")
        ordering = ["entry", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "code"], name="item_code_unique"),
            models.UniqueConstraint(
                fields=["entry"], condition=Q(is_key=True), name="item_one_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class EntryVersion(AppendOnlyModel):
    """One publication of an entry: who reviewed it and exactly what was published."""

    entry = models.ForeignKey(
        CatalogueEntry,
        verbose_name=_("目录条目"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    version = models.PositiveIntegerField(_("版本"))
    snapshot = models.JSONField(_("发布内容"))
    change_note = models.TextField(_("变更说明"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)

    class Meta:
        verbose_name = _("目录版本")
        verbose_name_plural = _("目录版本")
        ordering = ["entry", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "version"], name="entry_version_unique")
        ]


class GradingStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")


class GradingRecord(models.Model):
    """A proposed (re-)grading of an entry or of one of its items, and its review.
    Approved records are the re-grading history; nothing is deleted."""

    entry = models.ForeignKey(
        CatalogueEntry,
        verbose_name=_("目录条目"),
        on_delete=models.PROTECT,
        related_name="gradings",
    )
    item = models.ForeignKey(
        DataItem,
        verbose_name=_("信息项"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="gradings",
        help_text=_("为空表示对整个条目定级"),
    )
    item_code = models.CharField(_("信息项标识"), max_length=60, blank=True)
    from_grade = models.CharField(_("原级别"), max_length=12, choices=Grade.choices, blank=True)
    to_grade = models.CharField(_("拟定级别"), max_length=12, choices=Grade.choices)
    impact_object = models.CharField(_("影响对象"), max_length=20, choices=ImpactObject.choices)
    impact_degree = models.CharField(_("影响程度"), max_length=10, choices=ImpactDegree.choices)
    factors = models.JSONField(
        _("定级要素"),
        default=list,
        blank=True,
        help_text=_("领域、群体、区域、精度、规模、深度、覆盖度、重要性"),
    )
    basis = models.TextField(_("定级依据"))
    status = models.CharField(
        _("状态"), max_length=10, choices=GradingStatus.choices, default=GradingStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_opinion = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("定级记录")
        verbose_name_plural = _("定级记录")
        ordering = ["-proposed_at", "-pk"]
        indexes = [models.Index(fields=["status", "proposed_at"], name="grading_status")]

    def __str__(self) -> str:
        return f"{self.entry.code} {self.item_code or '*'} → {self.to_grade}"


class DatasetRecord(models.Model):
    """One row of an entry's data held in the platform's own store. The row is SM4-GCM
    ciphertext (it holds ID and phone numbers); ``key_index`` is the keyed blind index of the
    key item's value, so a lookup by key never decrypts the table."""

    entry = models.ForeignKey(
        CatalogueEntry, verbose_name=_("目录条目"), on_delete=models.CASCADE, related_name="records"
    )
    key_value = EncryptedField(_("主键值"), blank=True)
    key_index = BlindIndexField(source="key_value", kind="data.record_key", db_index=False)
    data = EncryptedJSONField(_("记录内容"))
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("平台库记录")
        verbose_name_plural = _("平台库记录")
        ordering = ["entry", "pk"]
        indexes = [models.Index(fields=["entry", "key_index"], name="record_entry_key")]

    def __str__(self) -> str:
        return f"{self.entry_id}#{self.pk}"
