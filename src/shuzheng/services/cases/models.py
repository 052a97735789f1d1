"""办件: one application for one item version, from 草稿 to 办结 and 送达.

The state lives in the workflow engine's instance (``workflow``); ``state``, ``due_at`` and
``sla_state`` are copied onto the case in the same transaction as every transition so that
the workbench queues of a million cases are one indexed query. ``item_version`` pins the
guide and form the applicant applied under (a later version never changes a running case).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation.trust.pii import EncryptedField, EncryptedJSONField


class CaseState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已申报")
    CORRECTION = "correction", _("补齐补正")
    REJECTED = "rejected", _("不予受理")
    ACCEPTED = "accepted", _("已受理")
    REVIEW = "review", _("审查")
    SPECIAL = "special", _("特别程序")
    APPROVED = "approved", _("准予")
    DENIED = "denied", _("不予准予")
    CONCLUDED = "concluded", _("办结")
    DELIVERED = "delivered", _("已送达")
    WITHDRAWN = "withdrawn", _("撤件")


OPEN_STATES = ("submitted", "correction", "accepted", "review", "special", "approved", "denied")
FINAL_STATES = ("rejected", "concluded", "delivered", "withdrawn")


class ApplicantType(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人")


class Channel(models.TextChoices):
    WEB = "web", _("网上办事大厅")
    MOBILE = "mobile", _("移动端")
    WINDOW = "window", _("窗口")
    KIOSK = "kiosk", _("自助终端")
    API = "api", _("接口")


class Result(models.TextChoices):
    GRANTED = "granted", _("准予")
    REFUSED = "refused", _("不予")


class DeliveryMethod(models.TextChoices):
    ONLINE = "online", _("网上送达（电子证照）")
    WINDOW = "window", _("窗口领取")
    EXPRESS = "express", _("邮政快递")


class Case(models.Model):
    number = models.CharField(_("办件编号"), max_length=32, unique=True, null=True, blank=True)
    item = models.ForeignKey(
        "catalogue.ServiceItem", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+"
    )
    item_version = models.ForeignKey(
        "catalogue.ItemVersion",
        verbose_name=_("事项版本"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    organisation = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("受理部门"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    # 申请人
    applicant_type = models.CharField(_("申请人类型"), max_length=12, choices=ApplicantType.choices)
    person = models.ForeignKey(
        "identity.NaturalPerson",
        verbose_name=_("申请人（自然人）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    enterprise = models.ForeignKey(
        "identity.Enterprise",
        verbose_name=_("申请人（法人）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    applicant_name = models.CharField(_("申请人名称"), max_length=200)
    applicant_id_type = models.CharField(_("申请人证件类型"), max_length=3)
    applicant_id_number = EncryptedField(_("申请人证件号码"))
    legal_representative = models.CharField(_("法定代表人"), max_length=60, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = EncryptedField(_("联系电话"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        help_text=_("在“我的办件”中看到此办件的账号"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    on_behalf = models.BooleanField(_("代办"), default=False)
    agent_note = models.CharField(_("代办说明"), max_length=200, blank=True)
    channel = models.CharField(_("申请渠道"), max_length=8, choices=Channel.choices)
    form_data = EncryptedJSONField(
        _("申请表内容"), default=dict, blank=True, help_text=_("SM4-GCM 加密存储")
    )
    commitment_signed = models.BooleanField(_("已签署告知承诺书"), default=False)
    # 流程
    workflow = models.OneToOneField(
        "workflow.WorkflowInstance",
        verbose_name=_("流程实例"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("办件状态"), max_length=12, choices=CaseState.choices, default=CaseState.DRAFT
    )
    review_step = models.PositiveSmallIntegerField(_("当前审查环节"), default=0)
    sla_state = models.CharField(_("计时状态"), max_length=10, blank=True)
    due_at = models.DateTimeField(_("承诺办结时间"), null=True, blank=True)
    legal_due_at = models.DateTimeField(_("法定办结时间"), null=True, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("当前经办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # 受理
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    submitted_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acceptance_doc_no = models.CharField(_("受理文书编号"), max_length=40, blank=True)
    correction_reasons = models.JSONField(_("补正事项"), default=list, blank=True)
    correction_due = models.DateField(_("补正期限"), null=True, blank=True)
    corrections = models.PositiveSmallIntegerField(_("补正次数"), default=0)
    # 结果
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    result = models.CharField(_("办结结果"), max_length=8, choices=Result.choices, blank=True)
    result_description = models.TextField(_("结果描述"), blank=True)
    decision_basis = models.TextField(_("决定依据"), blank=True)
    licence_name = models.CharField(_("结果证照名称"), max_length=120, blank=True)
    licence_number = models.CharField(_("结果证照编号"), max_length=60, blank=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    delivery_method = models.CharField(
        _("送达方式"), max_length=8, choices=DeliveryMethod.choices, blank=True
    )
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    overdue = models.BooleanField(_("超期办结"), default=False)
    working_days_used = models.PositiveSmallIntegerField(
        _("实际用时（工作日）"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        constraints = [
            models.CheckConstraint(
                condition=(Q(applicant_type="person") & Q(enterprise__isnull=True))
                | (Q(applicant_type="enterprise") & Q(enterprise__isnull=False)),
                name="case_applicant_matches_type",
            ),
        ]
        indexes = [
            # workbench queues: an organisation's cases in one state, newest first (keyset)
            models.Index(fields=["organisation", "state", "-id"], name="case_queue"),
            models.Index(fields=["state", "due_at"], name="case_due"),
            models.Index(fields=["owner", "-id"], name="case_owner"),
            models.Index(fields=["item", "state"], name="case_item_state"),
            # 电子监察 counts a period's received and concluded cases (bench: 2.7 s → 0.25 s)
            models.Index(fields=["submitted_at"], name="case_submitted"),
            models.Index(fields=["concluded_at"], name="case_concluded"),
        ]

    def __str__(self) -> str:
        return self.number or _("草稿 #%(pk)s") % {"pk": self.pk}

    @property
    def promised_limit_text(self) -> str:
        """The workflow's SLA limit for this case: the pinned version's 承诺办结时限."""
        return self.item_version.promised_limit_text

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


class CaseMaterial(models.Model):
    """One material supplied for a case: a stored file, an e-licence reference, or a
    commitment (告知承诺) in place of a proof."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="materials"
    )
    material = models.ForeignKey(
        "catalogue.Material", verbose_name=_("申请材料"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.ForeignKey(
        "files.StoredFile",
        verbose_name=_("文件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    by_commitment = models.BooleanField(_("以承诺代替"), default=False)
    deferred = models.BooleanField(_("容缺后补"), default=False)
    added_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        ordering = ["case", "material__sort_order", "pk"]

    def __str__(self) -> str:
        return str(self.material)


class SpecialKind(models.TextChoices):
    INSPECTION = "inspection", _("检验")
    TESTING = "testing", _("检测")
    APPRAISAL = "appraisal", _("鉴定")
    EXPERT_REVIEW = "expert_review", _("专家评审")
    HEARING = "hearing", _("听证")
    PUBLICITY = "publicity", _("公示")
    ON_SITE = "on_site", _("现场勘验")


class SpecialProcedure(models.Model):
    """特别程序: the SLA clock is paused from ``started_at`` to ``ended_at``."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="special_procedures"
    )
    kind = models.CharField(_("特别程序种类"), max_length=16, choices=SpecialKind.choices)
    reason = models.TextField(_("启动理由"))
    planned_days = models.PositiveSmallIntegerField(_("预计时长（工作日）"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("启动人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    result = models.TextField(_("特别程序结果"), blank=True)

    class Meta:
        verbose_name = _("特别程序")
        verbose_name_plural = _("特别程序")
        ordering = ["case", "started_at"]

    def __str__(self) -> str:
        return self.get_kind_display()
