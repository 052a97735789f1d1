"""Mounted by config/urls.py as ``path("", include("shuzheng.foundation.events.notifications.urls"))``
before the web include."""

from django.urls import path

from shuzheng.foundation.events.notifications import views

app_name = "notifications"

urlpatterns = [
    path("me/messages/", views.inbox, name="inbox"),
    path("me/messages/<int:pk>/read/", views.read, name="read"),
    path("me/messages/read-all/", views.read_all, name="read-all"),
    path("me/notifications/", views.preferences, name="preferences"),
    path("workbench/messages/", views.workbench_inbox, name="workbench-inbox"),
]
