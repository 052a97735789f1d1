"""Read queries for identity; each one starts from access.scope()."""

import contextlib

from django.core.exceptions import ValidationError
from django.db.models import Q

from shuzheng.foundation import access, search
from shuzheng.foundation.identity import validators
from shuzheng.foundation.identity.models import (
    Enterprise,
    EnterpriseAgent,
    NaturalPerson,
    Organisation,
    StaffProfile,
)
from shuzheng.foundation.trust import pii


def organisations(user, *, parent=None, kind=None, q=None):
    orgs = access.scope(
        user, Organisation.objects.filter(is_active=True), "identity.view_organisation"
    )
    if parent is not None:
        orgs = orgs.filter(parent=parent)
    if kind:
        orgs = orgs.filter(kind=kind)
    if q:
        orgs = orgs.filter(
            Q(name__icontains=q) | Q(short_name__icontains=q) | Q(division_code__startswith=q)
        )
    return orgs.order_by("path")


def organisations_where(user, perm: str):
    """The organisations on which ``user`` may use ``perm`` (e.g. to offer them in a form)."""
    return access.scope(user, Organisation.objects.filter(is_active=True), perm).order_by("path")


def organisation(user, pk):
    return organisations(user).get(pk=pk)


def staff(user, *, q=None, organisation=None):
    """通讯录: the staff the user may see, optionally searched by name, position or unit."""
    rows = access.scope(user, StaffProfile.objects.filter(is_active=True), "identity.view_staff")
    if organisation is not None:
        rows = rows.filter(organisation__path__startswith=organisation.path)
    if q:
        # The search index adds pinyin (zhangsan, zs), Traditional characters and homophone
        # misspellings; icontains keeps rows findable before they are indexed. Both paths
        # stay inside ``rows``, which access.scope has already narrowed.
        rows = rows.filter(
            Q(pk__in=search.ids(user, StaffProfile, q))
            | Q(user__display_name__icontains=q)
            | Q(user__username__icontains=q)
            | Q(position__icontains=q)
            | Q(organisation__name__icontains=q)
        )
    return rows.select_related("user", "organisation").order_by("-pk")


def staff_member(user, pk):
    return staff(user).get(pk=pk)


def persons(user, *, q=None):
    """自然人 by name, or by an exact ID or mobile number (through their blind indexes)."""
    rows = access.scope(user, NaturalPerson.objects.all(), "identity.view_person")
    if q:
        q = q.strip()
        match = Q(name__icontains=q) | pii.lookup(NaturalPerson, "id_number", q.upper())
        with contextlib.suppress(ValidationError):  # not a phone number: name and ID only
            match |= pii.lookup(NaturalPerson, "mobile", validators.normalize_mobile(q))
        rows = rows.filter(match)
    return rows.order_by("-pk")


def person(user, pk):
    return persons(user).get(pk=pk)


def enterprises(user, *, q=None):
    rows = access.scope(user, Enterprise.objects.all(), "identity.view_enterprise")
    if q:
        code = q.strip().upper()
        rows = rows.filter(Q(name__icontains=q) | Q(uscc=code) | Q(macau_registration_no=code))
    return rows.order_by("-pk")


def enterprise(user, pk):
    return enterprises(user).get(pk=pk)


def agents(user, enterprise_obj):
    rows = access.scope(
        user, EnterpriseAgent.objects.filter(enterprise=enterprise_obj), "identity.view_enterprise"
    )
    return rows.select_related("person").order_by("-pk")


def my_agencies(user):
    """The enterprises a person may act for now (for the portal's 我的企业)."""
    rows = access.scope(
        user, EnterpriseAgent.objects.filter(revoked_at__isnull=True), "access.view_grants"
    )
    return rows.filter(person__user=user).select_related("enterprise")
