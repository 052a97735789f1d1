"""Stored uploads. The row is the file's identity and record; the bytes live in the
``files`` storage under a random name that says nothing about the file."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StoredFile(models.Model):
    """An upload that passed the checks of its use (申请材料, 公文附件, 取证照片…)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="stored_files",
    )
    purpose = models.CharField(_("用途"), max_length=64, db_index=True)
    name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sm3 = models.CharField(_("SM3 摘要"), max_length=64, db_index=True)
    storage_name = models.CharField(_("存储名"), max_length=255, unique=True, editable=False)
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now, db_index=True)
    retain_until = models.DateTimeField(_("保存期限"), db_index=True)
    deleted_at = models.DateTimeField(_("删除时间"), null=True, blank=True)
    purged_at = models.DateTimeField(
        _("清除时间"),
        null=True,
        blank=True,
        help_text=_("文件内容已从存储中清除；记录保留备查"),
    )

    class Meta:
        verbose_name = _("文件")
        verbose_name_plural = _("文件")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="files_owner_recent")]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gte=0), name="files_size_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def available(self) -> bool:
        return self.deleted_at is None and self.purged_at is None
