"""Shared bits of the catalogue pages: the page decorator, the 信息资源代码 path converter,
the mapping of a service's errors onto a form, and small helpers.

信息资源代码 in URLs: the code keeps its "/" (``101/000012`` → ``/workbench/data/catalog/
101/000012/``). The ``entrycode`` converter matches exactly ``<分类码>/<6 位顺序码>``, so a
code can never swallow the rest of a path (``…/101/000012/edit/``) and ``reverse`` takes the
code as it is: ``reverse("datacatalog:entry", args=[entry.code])``."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import register_converter
from django.utils.translation import gettext_lazy

from shuzheng.foundation import access

VIEW = "datacatalog.view"
EDIT = "datacatalog.edit"
REVIEW = "datacatalog.review"
REVIEW_GRADING = "datacatalog.review_grading"
CONFLICT = gettext_lazy("该目录已被他人修改，请刷新后重试（您填写的内容未保存）")
GRADING_CONFLICT = gettext_lazy("该定级建议已被他人审核，请刷新后查看")


class EntryCode:
    """``<分类码>/<6 位顺序码>``: 1–9 digits, "/", 6 digits."""

    regex = r"[0-9]{1,9}/[0-9]{6}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        if not re.fullmatch(self.regex, str(value)):
            raise ValueError(value)
        return str(value)


register_converter(EntryCode, "entrycode")


def staff_page(perm: str):
    """Workbench page decorator: signed in, may use the workbench, and holds ``perm``
    somewhere (the rows themselves are then reached through scoped selectors)."""

    def decorate(view):
        @login_required
        def wrapper(request, *args, **kwargs):
            access.require(request.user, "web.use_workbench")
            access.require(request.user, perm)
            return view(request, *args, **kwargs)

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return wrapper

    return decorate


def int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def may(user, obj, perm: str) -> bool:
    try:
        access.check(user, obj, perm)
    except PermissionDenied:
        return False
    return True


def apply_errors(form, exc: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """A service's ValidationError onto ``form``: the fields it names under those fields
    (``aliases`` rename service fields), the rest as the form's own errors."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            target = (aliases or {}).get(name, name)
            for message in messages:
                form.add_error(target if target in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)
