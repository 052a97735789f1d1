from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from shuzheng.foundation.access.api import GrantViewSet, RoleViewSet
from shuzheng.foundation.events.notifications.api import MessageViewSet
from shuzheng.foundation.identity.api import (
    EnterpriseViewSet,
    MeView,
    OrganisationViewSet,
    PersonViewSet,
    StaffViewSet,
)
from shuzheng.foundation.identity.login.api import ObtainTokenView
from shuzheng.foundation.workflow.api import InstanceViewSet

router = DefaultRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("staff", StaffViewSet, basename="staff")
router.register("persons", PersonViewSet, basename="person")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("roles", RoleViewSet, basename="role")
router.register("role-grants", GrantViewSet, basename="role-grant")
router.register("me", MeView, basename="me")
router.register("workflow/instances", InstanceViewSet, basename="workflow-instance")
router.register("messages", MessageViewSet, basename="message")

urlpatterns = [
    path("v1/files/", include("shuzheng.foundation.files.urls")),
    path("v1/", include(router.urls)),
    path("v1/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
