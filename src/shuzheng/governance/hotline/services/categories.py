"""诉求分类: loading the three-level category tree from ``data/categories.json`` (or another
file of the same shape) — by code, so loading twice changes nothing and a corrected file
updates the rows in place."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.trust import audit
from shuzheng.foundation.workflow.spec import UNITS
from shuzheng.governance.hotline.models import Category, RequestType

DATA = Path(__file__).resolve().parent.parent / "data" / "categories.json"
_CODE = re.compile(r"^\d{2}(\d{2}){0,2}$")
_LIMIT = re.compile(r"^\d{1,4} (" + "|".join(UNITS) + r")$")


def _nodes(tree: list, parent_code: str = ""):
    """(node, parent_code) depth-first, parents before children."""
    for node in tree:
        yield node, parent_code
        yield from _nodes(node.get("children") or [], node.get("code", ""))


def _check(node: dict, parent_code: str) -> None:
    code = str(node.get("code", ""))
    where = code or "?"
    if (
        not _CODE.match(code)
        or not code.startswith(parent_code)
        or len(code) != len(parent_code) + 2
    ):
        raise ValidationError(
            {"file": _("分类编码 %(code)s 不符合三级六位编码（每级两位）") % {"code": where}}
        )
    if not str(node.get("name", "")).strip():
        raise ValidationError({"file": _("分类 %(code)s 缺少名称") % {"code": where}})
    limits = node.get("limits") or {}
    if not isinstance(limits, dict):
        raise ValidationError({"file": _("分类 %(code)s 的办结时限格式不正确") % {"code": where}})
    for kind, value in limits.items():
        if kind not in RequestType.values or not _LIMIT.match(str(value)):
            raise ValidationError(
                {
                    "file": _("分类 %(code)s 的办结时限“%(value)s”不正确")
                    % {"code": where, "value": f"{kind}: {value}"}
                }
            )
    sign = node.get("sign_limit") or ""
    if sign and not _LIMIT.match(sign):
        raise ValidationError(
            {
                "file": _("分类 %(code)s 的签收时限“%(value)s”不正确")
                % {"code": where, "value": sign}
            }
        )


def read(path=None) -> dict:
    """The category file as a dict (``note``, ``categories``)."""
    return json.loads(Path(path or DATA).read_text(encoding="utf-8"))


@transaction.atomic
def load_categories(actor, path=None) -> int:
    """Create or update every category of the file (by code) and return how many the file
    holds. ``default_unit`` names an organisation (a municipal department); an unknown name
    leaves the category without one. Needs ``hotline.manage`` unless run by the system."""
    if actor is not access.SYSTEM:
        access.require(actor, "hotline.manage")
    doc = read(path)
    tree = doc.get("categories") or []
    nodes = list(_nodes(tree))
    for node, parent_code in nodes:
        _check(node, parent_code)
    codes = [n["code"] for n, _p in nodes]
    if len(codes) != len(set(codes)):
        raise ValidationError({"file": _("分类编码重复")})
    names = {n.get("default_unit") for n, _p in nodes if n.get("default_unit")}
    units: dict[str, Organisation] = {}
    for org in Organisation.objects.filter(name__in=names, is_active=True).order_by("depth", "pk"):
        units.setdefault(org.name, org)
    existing = {c.code: c for c in Category.objects.filter(code__in=codes)}
    saved: dict[str, Category] = {}
    created = 0
    for order, (node, parent_code) in enumerate(nodes):
        fields = {
            "name": node["name"].strip(),
            "parent": saved.get(parent_code) if parent_code else None,
            "level": len(node["code"]) // 2,
            "description": node.get("description", ""),
            "keywords": list(node.get("keywords") or []),
            "needs_location": bool(node.get("needs_location", False)),
            "limits": dict(node.get("limits") or {}),
            "sign_limit": node.get("sign_limit") or "",
            "default_unit": units.get(node.get("default_unit") or ""),
            "open311": bool(node.get("open311", False)),
            "sort_order": order,
        }
        category = existing.get(node["code"])
        if category is None:
            category = Category.objects.create(code=node["code"], **fields)
            created += 1
        else:
            changed = [k for k, v in fields.items() if getattr(category, k) != v]
            if changed:
                for k in changed:
                    setattr(category, k, fields[k])
                category.save(update_fields=changed)
        saved[node["code"]] = category
    audit.record(
        actor,
        "hotline.categories.load",
        "hotline.category",
        details={
            "file": Path(path or DATA).name,
            "categories": len(nodes),
            "created": created,
            "units_missing": sorted(names - set(units)),
        },
    )
    return len(nodes)


def local_codes(path=None) -> set[str]:
    """Codes of the leaves handled where they happen (``local``: the street or town of the
    place; by default the leaves that need a location)."""
    return {
        node["code"]
        for node, _p in _nodes(read(path).get("categories") or [])
        if not node.get("children") and node.get("local", node.get("needs_location"))
    }
