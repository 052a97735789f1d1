"""A startup warning while the login pages are not wired into the URL configuration."""

from django.core import checks
from django.urls import NoReverseMatch, reverse


@checks.register(checks.Tags.urls)
def login_pages_are_routed(app_configs=None, **kwargs):
    try:
        reverse("login:second-factor")
    except NoReverseMatch:
        return [
            checks.Warning(
                "The second-factor pages are not routed, so staff cannot finish signing in.",
                hint='Add path("accounts/", include("shuzheng.foundation.identity.login.urls")) '
                "to shuzheng/config/urls.py before the web pages.",
                id="login.W001",
            )
        ]
    return []
