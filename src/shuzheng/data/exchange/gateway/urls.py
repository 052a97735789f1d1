"""The gateway under /gateway/v1/ through Django (test client, runserver, any deployment
that does not mount the lean WSGI application of ``wsgi``): the same ``core.handle``."""

from django.http import HttpResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from shuzheng.data.exchange.gateway import core


@csrf_exempt  # no cookies are read: the client authenticates with its bearer credentials
def gateway(request, **_route):
    status, headers, body = core.handle(
        request.method,
        request.path_info,
        request.META.get("QUERY_STRING", ""),
        request.headers,
        request.META.get("REMOTE_ADDR", ""),
    )
    response = HttpResponse(body, status=status)
    for name, value in headers:
        response[name] = value
    return response


urlpatterns = [
    re_path(
        r"^services/(?P<code>[^/]+)/(?P<version>[^/]+)/(?:records(?:/(?P<key>[^/]+))?|export)/?$",
        gateway,
        name="exchange-gateway",
    ),
]
