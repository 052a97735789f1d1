"""Included by the project under ``accounts/`` (before the web pages)."""

from django.urls import path

from shuzheng.foundation.identity.login import views

app_name = "login"

urlpatterns = [
    path("second-factor/", views.second_factor, name="second-factor"),
    path("second-factor/enrol/", views.enrol, name="enrol"),
    path("password/", views.password_change, name="password-change"),
]
