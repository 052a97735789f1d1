from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from shuzheng.foundation.web.admin_site import restrict_admin_site

restrict_admin_site(admin.site)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("shuzheng.services.catalogue.api_urls")),
    path("api/v1/", include("shuzheng.services.cases.api.urls")),
    path("api/v1/hotline/", include("shuzheng.governance.hotline.api.urls")),
    path("open311/v2/", include("shuzheng.governance.hotline.open311")),
    path("api/v1/data/catalog/", include("shuzheng.data.catalog.api.urls")),
    path("api/v1/data/sharing/", include("shuzheng.data.sharing.api.urls")),
    path("api/v1/data/exchange/", include("shuzheng.data.exchange.api.urls")),
    path("api/v1/data/quality/", include("shuzheng.data.quality.api.urls")),
    path("gateway/v1/", include("shuzheng.data.exchange.gateway.urls")),
    path("api/", include("shuzheng.foundation.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("shuzheng.foundation.identity.login.urls")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("workbench/audit/", include("shuzheng.foundation.trust.urls")),
    path("", include("shuzheng.services.catalogue.urls")),
    path("", include("shuzheng.services.cases.urls")),
    path("", include("shuzheng.governance.hotline.urls")),
    path("", include("shuzheng.governance.grid.urls")),
    path("", include("shuzheng.data.catalog.urls")),
    path("", include("shuzheng.data.sharing.urls")),
    path("", include("shuzheng.data.exchange.urls")),
    path("", include("shuzheng.data.quality.urls")),
    path("", include("shuzheng.foundation.events.notifications.urls")),
    path("", include("shuzheng.foundation.web.urls")),
]

handler404 = "shuzheng.foundation.web.views.handler404"
handler500 = "shuzheng.foundation.web.views.handler500"
handler403 = "shuzheng.foundation.web.views.handler403"
