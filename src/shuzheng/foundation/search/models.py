"""The search index (one row per indexed object) and the editable synonym table.

The backend part of the index lives beside ``SearchDocument`` and is created by migration
0002: on SQLite the FTS5 table ``search_fts`` (rowid = document id), on PostgreSQL the
``search_vector`` tsvector column of this table with its GIN index.
"""

import re

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchDocument(models.Model):
    model_label = models.CharField(_("对象类型"), max_length=100)
    object_id = models.CharField(_("对象主键"), max_length=64)
    title = models.CharField(_("标题"), max_length=500)
    body = models.TextField(_("正文"), blank=True)
    keywords = models.TextField(_("关键词"), blank=True)
    boosts = models.JSONField(_("字段权重"), default=dict, blank=True)
    language = models.CharField(_("语言"), max_length=10, blank=True)
    access_hint = models.CharField(
        _("访问提示"),
        max_length=255,
        blank=True,
        help_text=_("public 或所属机构层级路径；仅作预筛选，结果仍逐条经访问控制过滤"),
    )
    updated_at = models.DateTimeField(_("索引时间"), auto_now=True)

    class Meta:
        verbose_name = _("检索文档")
        verbose_name_plural = _("检索文档")
        constraints = [
            models.UniqueConstraint(
                fields=["model_label", "object_id"], name="search_one_document_per_object"
            ),
        ]
        indexes = [models.Index(fields=["model_label", "access_hint"], name="search_doc_hint")]

    def __str__(self) -> str:
        return f"{self.model_label}:{self.object_id} {self.title}"


_SEPARATORS = re.compile(r"[,，、;；\s/|⇄=]+")


class Synonym(models.Model):
    """同义词组: words that mean the same thing to a user (社保 ⇄ 社会保险). A query for any
    of them also finds documents that use another; applied at query time only, so an edit
    takes effect without re-indexing."""

    terms = models.CharField(
        _("同义词"), max_length=500, help_text=_("用逗号、顿号或空格分隔，如：社保，社会保险")
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("同义词组")
        verbose_name_plural = _("同义词组")
        ordering = ["pk"]

    def __str__(self) -> str:
        return " ⇄ ".join(self.words())

    def words(self) -> list[str]:
        return [w for w in _SEPARATORS.split(self.terms) if w]
