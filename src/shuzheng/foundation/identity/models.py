"""Who acts on the platform: login accounts, natural persons, enterprises and their agents,
staff, and the organisation tree that every grant of authority hangs on."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation.identity.validators import IdType
from shuzheng.foundation.trust.pii import BlindIndexField, EncryptedField


class OrgKind(models.TextChoices):
    CITY = "city", _("市")
    DEPARTMENT = "department", _("部门")
    DISTRICT = "district", _("区")
    ZONE = "zone", _("功能区 / 合作区")
    STREET = "street", _("街道")
    TOWN = "town", _("镇")
    COMMUNITY = "community", _("社区")
    VILLAGE = "village", _("村")
    UNIT = "unit", _("内设机构 / 事业单位")


class Organisation(models.Model):
    """A node of the government tree: 市 → 部门 / 区 / 功能区 → 街道 / 镇 → 社区 / 村.

    ``path`` is a materialised path ("1/7/52/") so that a whole subtree is one indexed
    prefix match: every grant of authority is "this node and everything below it".
    """

    name = models.CharField(_("机构名称"), max_length=120)
    short_name = models.CharField(_("简称"), max_length=60, blank=True)
    kind = models.CharField(_("机构类型"), max_length=20, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("层级路径"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("层级"), default=0, editable=False)
    division_code = models.CharField(
        _("行政区划代码"),
        max_length=12,
        blank=True,
        help_text=_("6 位县级以上代码或 12 位统计用区划代码"),
    )
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    category = models.CharField(
        _("机构性质"),
        max_length=200,
        blank=True,
        help_text=_("如 政府工作部门、事业单位、垂直管理"),
    )
    alt_names = models.JSONField(_("曾用名 / 别名"), default=list, blank=True)
    note = models.TextField(_("备注"), blank=True)
    sources = models.JSONField(_("资料来源"), default=list, blank=True)
    uncertain = models.BooleanField(_("待核实"), default=False)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("组织机构")
        verbose_name_plural = _("组织机构")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(division_code="") | Q(division_code__regex=r"^(\d{6}|\d{12})$"),
                name="org_division_code_6_or_12_digits",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_within(self, other: "Organisation") -> bool:
        """True when this node is ``other`` or lies below it."""
        return self.path.startswith(other.path)

    def ancestors(self):
        ids = [int(p) for p in self.path.strip("/").split("/")[:-1]]
        return Organisation.objects.filter(pk__in=ids).order_by("depth")


class User(AbstractUser):
    """One login account; what it may do comes from its profiles and role grants."""

    display_name = models.CharField(_("显示名称"), max_length=60, blank=True)
    preferred_language = models.CharField(_("首选语言"), max_length=10, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户账号")
        verbose_name_plural = _("用户账号")
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.display_name or self.username


class NaturalPerson(models.Model):
    """自然人: a citizen, Macau or Hong Kong resident or other person known by a document."""

    user = models.OneToOneField(
        User,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    name = models.CharField(_("姓名"), max_length=60)
    id_type = models.CharField(_("证件类型"), max_length=3, choices=IdType.choices)
    id_number = EncryptedField(_("证件号码"), help_text=_("SM4-GCM 加密存储"))
    id_number_index = BlindIndexField(_("证件号码索引"), source="id_number", kind="id_number")
    mobile = EncryptedField(_("手机号码"), blank=True, help_text=_("E.164 格式，加密存储"))
    mobile_index = BlindIndexField(_("手机号码索引"), source="mobile", kind="mobile", db_index=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("自然人")
        verbose_name_plural = _("自然人")
        constraints = [
            models.UniqueConstraint(
                fields=["id_type", "id_number_index"], name="person_unique_document"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EnterpriseRegistry(models.TextChoices):
    MAINLAND = "mainland", _("内地（统一社会信用代码）")
    MACAU = "macau", _("澳门（商业登记编号）")


class Enterprise(models.Model):
    """法人及其他组织. Mainland ones are known by 统一社会信用代码, Macau ones by their
    commercial registration number; exactly one of the two identifies each."""

    name = models.CharField(_("名称"), max_length=200)
    registry = models.CharField(
        _("登记地"),
        max_length=10,
        choices=EnterpriseRegistry.choices,
        default=EnterpriseRegistry.MAINLAND,
    )
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, null=True, blank=True, unique=True
    )
    macau_registration_no = models.CharField(
        _("澳门商业登记编号"),
        max_length=10,
        null=True,
        blank=True,
        unique=True,
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=60)
    address = models.CharField(_("住所"), max_length=255)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("企业 / 组织")
        verbose_name_plural = _("企业 / 组织")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(registry="mainland", uscc__isnull=False, macau_registration_no__isnull=True)
                    | Q(registry="macau", uscc__isnull=True, macau_registration_no__isnull=False)
                ),
                name="enterprise_identified_by_its_registry",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def registration_number(self) -> str:
        return self.uscc or self.macau_registration_no or ""


class AgentKind(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal", _("法定代表人")
    AGENT = "agent", _("经办人")


class EnterpriseAgent(models.Model):
    """经办人授权: a natural person acting for an enterprise, within named scopes and dates."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="agents"
    )
    person = models.ForeignKey(
        NaturalPerson, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="agencies"
    )
    kind = models.CharField(
        _("身份"), max_length=10, choices=AgentKind.choices, default=AgentKind.AGENT
    )
    scopes = models.JSONField(_("授权范围"), default=list, help_text=_("可委托的权限代码列表"))
    valid_from = models.DateField(_("授权起始日"), default=timezone.localdate)
    valid_until = models.DateField(_("授权截止日"), null=True, blank=True)
    granted_by = models.ForeignKey(
        User,
        verbose_name=_("授权人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("授权时间"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("经办人授权")
        verbose_name_plural = _("经办人授权")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "person"],
                condition=Q(revoked_at__isnull=True),
                name="agent_one_active_authorisation",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="agent_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.enterprise}"


class StaffProfile(models.Model):
    """工作人员: belongs to one organisation; roles are granted separately (access app)."""

    user = models.OneToOneField(
        User, verbose_name=_("登录账号"), on_delete=models.CASCADE, related_name="staff"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("所属机构"), on_delete=models.PROTECT, related_name="staff"
    )
    position = models.CharField(_("职务"), max_length=60, blank=True)
    employee_no = models.CharField(_("工号"), max_length=30, null=True, blank=True, unique=True)
    office_phone = models.CharField(_("办公电话"), max_length=30, blank=True)
    is_active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self) -> str:
        return f"{self.user} ({self.organisation})"
