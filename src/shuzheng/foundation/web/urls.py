from django.contrib.auth import views as auth_views
from django.urls import path

from shuzheng.foundation.web import views

app_name = "web"

urlpatterns = [
    path("", views.portal, name="portal"),
    path("orgs/<int:pk>/", views.organisation_detail, name="organisation"),
    path("me/", views.me, name="me"),
    path("care-mode/", views.toggle_care_mode, name="care-mode"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/after-login/", views.after_login, name="after-login"),
    path("workbench/", views.workbench, name="workbench"),
    path("workbench/staff/", views.staff_list, name="staff-list"),
    path("workbench/staff/<int:pk>/", views.staff_detail, name="staff-detail"),
    path("workbench/organisations/", views.org_tree, name="org-tree"),
    path("workbench/grants/", views.grant_list, name="grant-list"),
    path("workbench/grants/<int:pk>/revoke/", views.grant_revoke, name="grant-revoke"),
    path("ops/", views.ops, name="ops"),
    path("healthz", views.healthz, name="healthz"),
]
