"""政务服务事项: the 基本目录 (one per item nationwide) and the 实施清单 (one per implementing
body), whose content lives in versions. A published version never changes in place: a new
version is drafted, reviewed and published, and a running case keeps the version it was
applied under. Field names follow the national standard (see shared/domain/services.md)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.signals import m2m_changed
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ItemType(models.TextChoices):
    LICENSING = "licensing", _("行政许可")
    PAYMENT = "payment", _("行政给付")
    REWARD = "reward", _("行政奖励")
    CONFIRMATION = "confirmation", _("行政确认")
    ADJUDICATION = "adjudication", _("行政裁决")
    PENALTY = "penalty", _("行政处罚")
    LEVY = "levy", _("行政征收")
    PUBLIC_SERVICE = "public_service", _("公共服务")
    OTHER = "other", _("其他")


class ExerciseLevel(models.TextChoices):
    NATIONAL = "national", _("国家级")
    PROVINCIAL = "provincial", _("省级")
    MUNICIPAL = "municipal", _("市级")
    DISTRICT = "district", _("县级")
    TOWNSHIP = "township", _("镇（乡、街道）级")


class BasicItem(models.Model):
    """基本目录: the nationwide definition of an item (基本编码, 事项名称, 事项类型, 设定依据)."""

    basic_code = models.CharField(_("基本编码"), max_length=12, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    item_type = models.CharField(_("事项类型"), max_length=20, choices=ItemType.choices)
    legal_basis = models.TextField(_("设定依据"), blank=True)
    exercise_levels = models.JSONField(_("行使层级"), default=list, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)
    version = models.CharField(_("版本"), max_length=20, default="1")
    effective_date = models.DateField(_("生效日期"), null=True, blank=True)
    cancel_date = models.DateField(_("取消日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("基本目录事项")
        verbose_name_plural = _("基本目录事项")
        ordering = ["basic_code"]

    def __str__(self) -> str:
        return f"{self.basic_code} {self.name}"


class Audience(models.TextChoices):
    PERSON = "person", _("自然人")
    LEGAL = "legal", _("法人")
    BOTH = "both", _("自然人、法人")


class ThemeAudience(models.TextChoices):
    PERSON = "person", _("个人办事")
    ENTERPRISE = "enterprise", _("法人办事")


class Theme(models.Model):
    """主题分类: a person's life event (出生, 上学 …) or an enterprise's stage (开办, 注销 …)."""

    code = models.SlugField(_("主题代码"), max_length=40, unique=True)
    name = models.CharField(_("主题名称"), max_length=40)
    audience = models.CharField(_("适用对象"), max_length=12, choices=ThemeAudience.choices)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("主题分类")
        verbose_name_plural = _("主题分类")
        ordering = ["audience", "sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class ServiceItem(models.Model):
    """实施清单 item: one implementing body's item, identified by its 实施编码. Its content is
    in :class:`ItemVersion`; ``current`` is the published version applicants use today."""

    implementation_code = models.CharField(_("实施编码"), max_length=36, unique=True)
    basic = models.ForeignKey(
        BasicItem, verbose_name=_("基本目录事项"), on_delete=models.PROTECT, related_name="items"
    )
    organisation = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("实施主体"),
        on_delete=models.PROTECT,
        related_name="service_items",
    )
    current = models.OneToOneField(
        "ItemVersion",
        verbose_name=_("现行版本"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("实施清单事项")
        verbose_name_plural = _("实施清单事项")
        ordering = ["implementation_code"]

    def __str__(self) -> str:
        name = self.current.name if self.current_id else self.basic.name
        return f"{name}（{self.organisation.name}）"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("待审核")
    PUBLISHED = "published", _("已发布")
    SUPERSEDED = "superseded", _("已被替代")
    WITHDRAWN = "withdrawn", _("已停用")


FROZEN_STATUSES = frozenset(
    {VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED, VersionStatus.WITHDRAWN}
)
# The only changes a frozen version accepts: its status moving on (by the catalogue services).
FROZEN_MOVES = {
    VersionStatus.PUBLISHED: {VersionStatus.SUPERSEDED, VersionStatus.WITHDRAWN},
    VersionStatus.SUPERSEDED: set(),
    VersionStatus.WITHDRAWN: set(),
}


class FrozenVersion(ValidationError):
    """A published (superseded, withdrawn) version is never edited in place: draft a new one."""

    def __init__(self, message=None):
        super().__init__(
            message or _("已发布的事项版本不能直接修改，请起草新版本后审核发布"), code="frozen"
        )


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("工作日")
    NATURAL_DAYS = "natural_days", _("自然日")
    HOURS = "hours", _("小时")
    WORKING_HOURS = "working_hours", _("工作小时")


class CaseKind(models.TextChoices):
    IMMEDIATE = "immediate", _("即办件")
    PROMISED = "promised", _("承诺件")


class OnlineDepth(models.IntegerChoices):
    """在线办理深度 (Guangdong's four levels)."""

    INFO = 1, _("一级：信息公开、办事指南")
    DOWNLOAD = 2, _("二级：表格下载、在线预审")
    ONLINE = 3, _("三级：网上申报、网上受理")
    FULL = 4, _("四级：全程网办")


class HandlingScope(models.TextChoices):
    CITY = "city", _("全市通办")
    PROVINCE = "province", _("全省通办")
    CROSS_PROVINCE = "cross_province", _("跨省通办")
    CROSS_BORDER = "cross_border", _("跨境通办（珠澳）")


class ItemVersion(models.Model):
    """One version of a 实施清单 item: everything its 办事指南 shows and its application form.

    Drafts are edited; ``in_review`` waits for a reviewer; ``published`` is frozen (a save
    of a published version is refused) and superseded when the next one is published."""

    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="versions"
    )
    version = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(
        _("状态"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    name = models.CharField(_("事项名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=60, blank=True)
    item_type = models.CharField(_("事项类型"), max_length=20, choices=ItemType.choices)
    implementer_nature = models.CharField(_("实施主体性质"), max_length=40, default="法定机关")
    entrusted_department = models.CharField(_("委托部门"), max_length=120, blank=True)
    legal_basis = models.TextField(_("设定依据"), blank=True)
    legal_limit = models.PositiveSmallIntegerField(_("法定办结时限"))
    legal_limit_unit = models.CharField(
        _("法定办结时限单位"), max_length=16, choices=LimitUnit.choices, default="working_days"
    )
    promised_limit = models.PositiveSmallIntegerField(_("承诺办结时限"))
    promised_limit_unit = models.CharField(
        _("承诺办结时限单位"), max_length=16, choices=LimitUnit.choices, default="working_days"
    )
    trips = models.PositiveSmallIntegerField(_("到办事现场次数"), default=0)
    acceptance_conditions = models.TextField(_("受理条件"), blank=True)
    process = models.JSONField(_("办理流程"), default=list, blank=True)
    handling_forms = models.JSONField(_("办理形式"), default=list, blank=True)
    case_kind = models.CharField(_("办件类型"), max_length=12, choices=CaseKind.choices)
    audience = models.CharField(_("服务对象"), max_length=8, choices=Audience.choices)
    location = models.TextField(_("办理地点"), blank=True)
    office_hours = models.TextField(_("办理时间"), blank=True)
    consult_phone = models.CharField(_("咨询电话"), max_length=120, blank=True)
    complaint_phone = models.CharField(_("监督投诉电话"), max_length=120, blank=True)
    charged = models.BooleanField(_("是否收费"), default=False)
    online_depth = models.PositiveSmallIntegerField(
        _("在线办理深度"), choices=OnlineDepth.choices, default=OnlineDepth.ONLINE
    )
    appointment = models.BooleanField(_("支持预约办理"), default=False)
    express = models.BooleanField(_("支持物流快递"), default=False)
    online_payment = models.BooleanField(_("支持网上支付"), default=False)
    scope = models.CharField(
        _("通办范围"), max_length=16, choices=HandlingScope.choices, default=HandlingScope.CITY
    )
    result_type = models.CharField(_("审批结果类型"), max_length=40, blank=True)
    result_name = models.CharField(_("审批结果名称"), max_length=120, blank=True)
    result_sample = models.ForeignKey(
        "files.StoredFile",
        verbose_name=_("审批结果样本"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    commitment = models.BooleanField(
        _("告知承诺制"), default=False, help_text=_("申请人书面承诺后可免交部分证明材料")
    )
    review_steps = models.JSONField(
        _("审查环节"),
        default=list,
        blank=True,
        help_text=_('受理后依次经过的审查环节名称，如 ["审查", "审核", "审批"]'),
    )
    themes = models.ManyToManyField(Theme, verbose_name=_("主题分类"), blank=True)
    keywords = models.JSONField(_("检索关键词"), default=list, blank=True)
    form_schema = models.JSONField(_("申请表单（JSON Schema）"), default=dict, blank=True)
    form_ui = models.JSONField(_("表单界面提示"), default=dict, blank=True)
    translations = models.JSONField(
        _("译文"),
        default=dict,
        blank=True,
        help_text=_('按语言提供的字段译文，如 {"pt": {"name": "…"}}'),
    )
    change_note = models.TextField(_("修订说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("起草人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交审核时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_opinion = models.TextField(_("审核意见"), blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("事项版本")
        verbose_name_plural = _("事项版本")
        ordering = ["item", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="item_version_unique"),
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status__in=["draft", "in_review"]),
                name="item_one_open_draft",
            ),
        ]
        indexes = [models.Index(fields=["status", "item"])]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def save(self, *args, **kwargs):
        if self._state.adding:
            # A version inserted already published (a fixture, a data migration) may receive
            # its materials through this same object right after; loaded again, it is frozen.
            self._assembling = self.status in FROZEN_STATUSES
        else:
            self._refuse_in_place_change(kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def _refuse_in_place_change(self, update_fields) -> None:
        fields = [
            f
            for f in self._meta.concrete_fields
            if not f.primary_key and (update_fields is None or f.name in update_fields)
        ]
        stored = (
            type(self)
            ._default_manager.filter(pk=self.pk)
            .values(*{"status", *[f.attname for f in fields]})
        )
        stored = stored.first()
        if stored is None or stored["status"] not in FROZEN_STATUSES:
            return
        changed = {f.name for f in fields if getattr(self, f.attname) != stored[f.attname]}
        moved = self.status != stored["status"]
        if changed - {"status"} or (moved and self.status not in FROZEN_MOVES[stored["status"]]):
            raise FrozenVersion()

    def delete(self, *args, **kwargs):
        stored = type(self)._default_manager.filter(pk=self.pk).values_list("status", flat=True)
        if stored.first() in FROZEN_STATUSES:
            raise FrozenVersion(_("已发布的事项版本不能删除"))
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES

    @property
    def promised_limit_text(self) -> str:
        """The SLA limit the workflow reads (``subject.promised_limit_text`` via the case)."""
        return f"{self.promised_limit} {self.promised_limit_unit}"

    @property
    def legal_limit_text(self) -> str:
        return f"{self.legal_limit} {self.legal_limit_unit}"


def _refuse_if_frozen(version_id, version=None, *, adding: bool) -> None:
    """Materials, fees and questions of a frozen version are part of it: never changed."""
    if adding and version is not None and getattr(version, "_assembling", False):
        return
    status = ItemVersion._default_manager.filter(pk=version_id).values_list("status", flat=True)
    if status.first() in FROZEN_STATUSES:
        raise FrozenVersion()


class VersionPart(models.Model):
    """A row that belongs to one version's content (申请材料, 收费项目, 常见问题)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        adding = self._state.adding
        _refuse_if_frozen(self.version_id, self._state.fields_cache.get("version"), adding=adding)
        if not adding:
            old = type(self)._default_manager.filter(pk=self.pk).values_list("version", flat=True)
            old_version = old.first()
            if old_version is not None and old_version != self.version_id:
                _refuse_if_frozen(old_version, adding=False)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_if_frozen(self.version_id, adding=False)
        return super().delete(*args, **kwargs)


class MaterialKind(models.TextChoices):
    ORIGINAL = "original", _("原件")
    COPY = "copy", _("复印件")
    ELECTRONIC = "electronic", _("电子材料")


class Necessity(models.TextChoices):
    REQUIRED = "required", _("必要")
    OPTIONAL = "optional", _("非必要")
    DEFERRABLE = "deferrable", _("容缺")


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", _("申请人自备")
    GOVERNMENT = "government", _("政府部门核发")


class RemovalRule(models.TextChoices):
    """ "五个一律取消": why a former material is no longer asked for."""

    NO_LEGAL_BASIS = "no_legal_basis", _("无法律法规依据的一律取消")
    E_LICENCE = "e_licence", _("能通过电子证照查验的一律取消")
    COMMITMENT = "commitment", _("能通过个人承诺解决的一律取消")
    COVERED = "covered", _("能被其他材料涵盖的一律取消")
    ONLINE_CHECK = "online_check", _("能通过网络核验的一律取消")


class Material(VersionPart):
    """申请材料 of one item version. ``removed_rule`` set = a former material that the named
    "五个一律取消" rule removed; the guide shows it struck through, the form never asks."""

    version = models.ForeignKey(
        ItemVersion, verbose_name=_("事项版本"), on_delete=models.CASCADE, related_name="materials"
    )
    code = models.SlugField(_("材料代码"), max_length=40)
    name = models.CharField(_("材料名称"), max_length=200)
    kind = models.CharField(_("材料类型"), max_length=12, choices=MaterialKind.choices)
    necessity = models.CharField(_("必要性"), max_length=12, choices=Necessity.choices)
    source = models.CharField(
        _("来源渠道"), max_length=12, choices=MaterialSource.choices, default="applicant"
    )
    issuing_department = models.CharField(_("核发部门"), max_length=120, blank=True)
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    acceptance_standard = models.TextField(_("受理标准"), blank=True)
    blank_form = models.ForeignKey(
        "files.StoredFile",
        verbose_name=_("空白表格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sample = models.ForeignKey(
        "files.StoredFile",
        verbose_name=_("示例样表"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(_("填报须知"), blank=True)
    basis = models.TextField(_("依据"), blank=True)
    removed_rule = models.CharField(
        _("取消依据（五个一律取消）"),
        max_length=16,
        choices=RemovalRule.choices,
        blank=True,
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["version", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="material_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_removed(self) -> bool:
        return bool(self.removed_rule)


class Fee(VersionPart):
    """收费项目: 收费标准 and 收费依据 (only when the item is charged)."""

    version = models.ForeignKey(
        ItemVersion, verbose_name=_("事项版本"), on_delete=models.CASCADE, related_name="fees"
    )
    name = models.CharField(_("收费项目名称"), max_length=200)
    standard = models.TextField(_("收费标准"))
    basis = models.TextField(_("收费依据"), blank=True)
    reducible = models.BooleanField(_("是否允许减免"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("收费项目")
        verbose_name_plural = _("收费项目")
        ordering = ["version", "sort_order", "pk"]

    def __str__(self) -> str:
        return self.name


class Question(VersionPart):
    """常见问题 (Q&A) of one item version."""

    version = models.ForeignKey(
        ItemVersion, verbose_name=_("事项版本"), on_delete=models.CASCADE, related_name="questions"
    )
    question = models.TextField(_("问题"))
    answer = models.TextField(_("解答"))
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("常见问题")
        verbose_name_plural = _("常见问题")
        ordering = ["version", "sort_order", "pk"]

    def __str__(self) -> str:
        return self.question[:40]


def _themes_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """主题分类 of a frozen version are part of its content too."""
    if action not in ("pre_add", "pre_remove", "pre_clear"):
        return
    if not reverse:
        if instance.pk and not getattr(instance, "_assembling", False):
            _refuse_if_frozen(instance.pk, adding=False)
        return
    versions = ItemVersion._default_manager.filter(status__in=FROZEN_STATUSES)
    if action == "pre_clear":
        versions = versions.filter(themes=instance)
    else:
        versions = versions.filter(pk__in=pk_set or ())
    if versions.exists():
        raise FrozenVersion()


m2m_changed.connect(
    _themes_changed, sender=ItemVersion.themes.through, dispatch_uid="catalogue_frozen_themes"
)
