"""Audit administrator's pages; mounted at /workbench/audit/ by config/urls.py."""

from django.urls import path

from shuzheng.foundation.trust import views

app_name = "trust"

urlpatterns = [
    path("", views.audit_list, name="audit"),
    path("verify/", views.audit_verify, name="audit-verify"),
    path("export/", views.audit_export, name="audit-export"),
]
