"""12345 工单: one citizen demand from intake to 办结归档 (shared/domain/governance.md).

The state lives in the workflow engine's instance (``workflow``); ``state``, ``due_at`` and
``sla_state`` are copied onto the order in the same transaction as every transition, so the
queues of a million orders are one indexed query. ``unit`` is the unit that holds the order
now — the 12345 centre until it is dispatched, then the district, street or department —
and is what the access policy scopes on: a street officer sees the orders his street holds.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation.trust.pii import BlindIndexField, EncryptedField


class RequestType(models.TextChoices):
    """诉求类型."""

    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")
    PRAISE = "praise", _("表扬")


class Urgency(models.TextChoices):
    """紧急程度."""

    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    EMERGENCY = "emergency", _("特急")


class Channel(models.TextChoices):
    """受理渠道."""

    PHONE = "phone", _("电话")
    WEB = "web", _("网站")
    WECHAT = "wechat", _("微信")
    APP = "app", _("移动应用")
    GRID = "grid", _("网格员")
    SENSOR = "sensor", _("传感器")
    MAILBOX = "mailbox", _("领导信箱")
    RATING = "rating", _("政务服务差评")
    OPEN311 = "open311", _("Open311 接口")


class OrderState(models.TextChoices):
    REGISTERED = "registered", _("已受理")
    DISPATCHED = "dispatched", _("已派单")
    HANDLING = "handling", _("办理中")
    EXTENSION = "extension", _("延期审批中")
    REPLIED = "replied", _("已回复待审核")
    CALLBACK = "callback", _("待回访")
    RETURNED = "returned", _("已退单")
    CLOSED = "closed", _("办结归档")
    MERGED = "merged", _("已合并")


OPEN_STATES = (
    "registered",
    "dispatched",
    "handling",
    "extension",
    "replied",
    "callback",
    "returned",
)
# states in which the handling unit's clock runs and 催办 / 督办 apply
TIMED_STATES = ("dispatched", "handling", "extension")
FINAL_STATES = ("closed", "merged")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")
    UNREACHABLE = "unreachable", _("无法联系")


class Category(models.Model):
    """诉求分类: a three-level tree with 6-digit codes (two digits per level: ``01`` →
    ``0103`` → ``010302``). Time limits are set per 诉求类型 on any level and inherited by
    the levels below (``limit_for``)."""

    code = models.CharField(_("分类编码"), max_length=6, unique=True)
    name = models.CharField(_("分类名称"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    level = models.PositiveSmallIntegerField(_("层级"), default=1)
    description = models.TextField(_("说明"), blank=True)
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    needs_location = models.BooleanField(
        _("须填写地点"), default=False, help_text=_("如道路破损、占道经营：没有地点无法处置")
    )
    limits = models.JSONField(
        _("办结时限"),
        default=dict,
        blank=True,
        help_text=_('按诉求类型，例如 {"complaint": "13 working_days"}；未设置的沿用上级'),
    )
    sign_limit = models.CharField(
        _("签收时限"), max_length=24, blank=True, help_text=_("例如“2 working_hours”；空则沿用上级")
    )
    default_unit = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("主管单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    open311 = models.BooleanField(_("开放 Open311 上报"), default=False)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("诉求分类")
        verbose_name_plural = _("诉求分类")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class WorkOrder(models.Model):
    """工单."""

    number = models.CharField(_("工单编号"), max_length=20, unique=True)
    token = models.UUIDField(_("公开查询令牌"), default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("受理渠道"), max_length=8, choices=Channel.choices)
    request_type = models.CharField(_("诉求类型"), max_length=10, choices=RequestType.choices)
    urgency = models.CharField(
        _("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("诉求分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    title = models.CharField(_("诉求标题"), max_length=120)
    content = models.TextField(_("诉求内容"))
    # 地点
    address = models.CharField(_("地址"), max_length=200, blank=True)
    latitude = models.FloatField(_("纬度"), null=True, blank=True)
    longitude = models.FloatField(_("经度"), null=True, blank=True)
    grid = models.ForeignKey(
        "grid.GridCell",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    district = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("所属区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # 诉求人 (encrypted; shown masked)
    caller_name = EncryptedField(_("诉求人姓名"), blank=True)
    caller_phone = EncryptedField(_("联系电话"), blank=True)
    caller_phone_index = BlindIndexField(
        _("联系电话索引"), source="caller_phone", kind="mobile", db_index=True
    )
    anonymous = models.BooleanField(_("匿名"), default=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_orders",
        help_text=_("在“我的诉求”中看到此工单的账号（市民、网格员）"),
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # 承办
    unit = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("当前承办单位"),
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    dispatched_by = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("派单单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("退单退回此单位改派"),
    )
    co_units = models.ManyToManyField(
        "identity.Organisation", verbose_name=_("协办单位"), blank=True, related_name="+"
    )
    # 流程与时限
    workflow = models.OneToOneField(
        "workflow.WorkflowInstance",
        verbose_name=_("流程实例"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("工单状态"), max_length=12, choices=OrderState.choices, default=OrderState.REGISTERED
    )
    sla_state = models.CharField(_("计时状态"), max_length=10, blank=True)
    sign_due_at = models.DateTimeField(_("签收时限"), null=True, blank=True)
    due_at = models.DateTimeField(_("办结时限"), null=True, blank=True)
    urge_at = models.DateTimeField(
        _("催办时间"), null=True, blank=True, help_text=_("办结时限前的催办时点")
    )
    urged = models.BooleanField(_("已催办"), default=False)
    supervised = models.BooleanField(_("已督办"), default=False)
    # 分类与派单建议
    suggestion = models.JSONField(
        _("智能分类建议"),
        default=dict,
        blank=True,
        help_text=_("模型版本、建议分类与承办单位、置信度、依据"),
    )
    category_confirmed = models.BooleanField(
        _("分类已确认"), default=False, help_text=_("人工确认或更正后的分类用作训练数据")
    )
    # 重复工单
    master = models.ForeignKey(
        "self",
        verbose_name=_("主工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followers",
    )
    callers_count = models.PositiveIntegerField(_("诉求人数"), default=1)
    # 办理结果
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField(_("申请延期（工作日）"), default=0)
    extension_reason = models.CharField(_("延期理由"), max_length=500, blank=True)
    reply = models.TextField(_("办理结果（回复）"), blank=True)
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    satisfaction = models.CharField(
        _("回访结果"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    callback_score = models.PositiveSmallIntegerField(_("满意度评分"), null=True, blank=True)
    callback_comment = models.CharField(_("回访意见"), max_length=500, blank=True)
    callback_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    callback_due = models.DateField(_("应回访日期"), null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    return_count = models.PositiveSmallIntegerField(_("退单次数"), default=0)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    on_time = models.BooleanField(_("按时办结"), null=True, blank=True)
    # 关联
    related_case = models.CharField(_("关联办件编号"), max_length=32, blank=True)
    source_ref = models.CharField(
        _("来源标识"), max_length=64, blank=True, help_text=_("来源模块的事件或记录编号")
    )
    created_at = models.DateTimeField(_("受理时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="order_coordinates_valid",
            ),
            models.UniqueConstraint(
                fields=["source_ref"], condition=~Q(source_ref=""), name="order_source_once"
            ),
        ]
        indexes = [
            # queues: a unit's orders in one state, newest first (keyset)
            models.Index(fields=["unit", "state", "-id"], name="order_queue"),
            models.Index(fields=["unit", "-id"], name="order_unit"),
            models.Index(fields=["state", "due_at"], name="order_due"),
            # 即将超期 / 已超期 tabs of one unit: its running clocks by deadline
            # (bench: a district's overdue tab at 1M orders, p95 248 → 42 ms on PostgreSQL)
            models.Index(
                fields=["unit", "due_at"],
                condition=Q(sla_state="running", state__in=TIMED_STATES),
                name="order_running_due",
            ),
            models.Index(fields=["reporter", "-id"], name="order_reporter"),
            # duplicates: same category within T hours, then a box around the point
            models.Index(fields=["category", "created_at"], name="order_category_time"),
            models.Index(fields=["created_at"], name="order_created"),
            models.Index(fields=["district", "created_at"], name="order_district_time"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def limit_text(self) -> str:
        """The 办结时限 of this order's category and 诉求类型 ("<n> <unit>"), read by the
        workflow engine when the clock starts."""
        from shuzheng.governance.hotline.services.limits import limit_for

        return limit_for(self.category, self.request_type, self.urgency)

    @property
    def rework_limit_text(self) -> str:
        from shuzheng.governance.hotline.services.limits import rework_limit

        return rework_limit(self.category, self.urgency)


class UrgeKind(models.TextChoices):
    URGE = "urge", _("催办")
    SUPERVISE = "supervise", _("督办")


class Urge(models.Model):
    """催办 (before a deadline) and 督办 (after it): automatic or by hand."""

    order = models.ForeignKey(
        WorkOrder, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="urges"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=UrgeKind.choices)
    deadline = models.CharField(
        _("针对时限"),
        max_length=8,
        choices=[("sign", _("签收时限")), ("finish", _("办结时限"))],
        default="finish",
    )
    due = models.DateTimeField(
        _("所针对的时限"),
        null=True,
        blank=True,
        help_text=_("延期、重办或再次派单后的新时限会再次催办督办"),
    )
    automatic = models.BooleanField(_("系统自动"), default=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("督办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unit = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("被督办单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("督办意见"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("催办督办记录")
        verbose_name_plural = _("催办督办记录")
        ordering = ["-at"]
        constraints = [
            # the automatic sweep fires each kind once per deadline, unit and deadline moment
            models.UniqueConstraint(
                fields=["order", "kind", "deadline", "unit", "due"],
                condition=Q(automatic=True),
                name="urge_automatic_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.order_id}"


class RoutingRule(models.Model):
    """派单规则: category (and optionally district or grid) → handling unit. Applied when
    the classifier is confident enough; the most specific matching rule wins."""

    category = models.ForeignKey(
        Category, verbose_name=_("诉求分类"), on_delete=models.CASCADE, related_name="rules"
    )
    district = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("区"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    grid = models.ForeignKey(
        "grid.GridCell",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    unit = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("承办单位"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("“按属地派单”时留空：派给地点所在的区"),
        null=True,
        blank=True,
    )
    by_location = models.BooleanField(
        _("按属地派单"), default=False, help_text=_("派给地点所在的区（三级派单）")
    )
    min_confidence = models.FloatField(_("最低置信度"), default=0.8)
    priority = models.PositiveSmallIntegerField(_("优先级"), default=100)
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(by_location=True) | Q(unit__isnull=False), name="rule_has_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} → {self.unit or self.get_by_location_label()}"

    @staticmethod
    def get_by_location_label() -> str:
        return str(_("按属地"))


class ClassifierModel(models.Model):
    """A trained classifier version: category and unit models in one compressed NumPy
    archive (arrays only — never a pickle), with its held-out metrics."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    archive = models.BinaryField(_("模型参数（npz）"))
    metrics = models.JSONField(_("评估指标"), default=dict, blank=True)
    trained_on = models.PositiveIntegerField(_("训练样本数"), default=0)
    active = models.BooleanField(_("当前使用"), default=False)
    trained_by = models.CharField(_("训练人"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("训练时间"), default=timezone.now)

    class Meta:
        verbose_name = _("分类模型")
        verbose_name_plural = _("分类模型")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_model"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已下架")


class KnowledgeArticle(models.Model):
    """知识库条目: an answer operators read out and citizens find, valid for a period."""

    title = models.CharField(_("标题"), max_length=120)
    question = models.CharField(_("常见问法"), max_length=300, blank=True)
    answer = models.TextField(_("答复口径"))
    category = models.ForeignKey(
        Category,
        verbose_name=_("诉求分类"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("提供单位"),
        on_delete=models.PROTECT,
        related_name="knowledge_articles",
    )
    basis = models.CharField(_("政策依据"), max_length=300, blank=True)
    public = models.BooleanField(_("向市民公开"), default=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("失效日期"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    uses = models.PositiveIntegerField(_("引用次数"), default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("更新人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("知识库条目")
        verbose_name_plural = _("知识库条目")
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="article_validity_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Open311Client(models.Model):
    """An application allowed to POST service requests through Open311 (its ``api_key``).
    Only the key's SM3 digest is stored; the key is shown once when issued."""

    name = models.CharField(_("应用名称"), max_length=100)
    contact = models.CharField(_("联系人/邮箱"), max_length=120, blank=True)
    key_prefix = models.CharField(_("密钥前缀"), max_length=8)
    key_digest = models.CharField(_("密钥摘要（SM3）"), max_length=64, unique=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    requests = models.PositiveIntegerField(_("提交数"), default=0)

    class Meta:
        verbose_name = _("Open311 应用")
        verbose_name_plural = _("Open311 应用")

    def __str__(self) -> str:
        return self.name


class OrderPhoto(models.Model):
    """A photo attached at intake (portal 我要反映, grid officer, Open311 media)."""

    order = models.ForeignKey(
        WorkOrder, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="photos"
    )
    file = models.ForeignKey(
        "files.StoredFile", verbose_name=_("文件"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("工单照片")
        verbose_name_plural = _("工单照片")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.file_id}"
