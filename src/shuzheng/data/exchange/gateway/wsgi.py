"""The lean WSGI application of the gateway: ``/gateway/v1/...`` served by ``core.handle``
without Django's URL resolver, middleware or request objects — still on Django's ORM and
settings, with the connection handling Django's request signals would do
(``close_old_connections`` before and after each call, so ``CONN_MAX_AGE`` and health checks
apply as for any view).

``application`` serves the gateway alone (``granian --interface wsgi
shuzheng.data.exchange.gateway.wsgi:application``); :func:`mount` puts it in front of the
whole site's application by path prefix (``config/wsgi.py``), so one port serves both.
"""

from __future__ import annotations

import os
from http import HTTPStatus

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuzheng.config.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402
from django.db import close_old_connections, reset_queries  # noqa: E402

from shuzheng.data.exchange.gateway import core  # noqa: E402

_HEADERS = (
    ("HTTP_AUTHORIZATION", "authorization"),
    ("HTTP_X_MESSAGE_ID", "x-message-id"),
    ("HTTP_X_END_USER", "x-end-user"),
    ("HTTP_X_PURPOSE", "x-purpose"),
    ("HTTP_X_CASE_NUMBER", "x-case-number"),
)
_PHRASES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


def _path(environ) -> str:
    raw = environ.get("PATH_INFO", "/")
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return ""  # not a gateway route: a plain 404


def application(environ, start_response):
    """WSGI entry point of the gateway."""
    if settings.DEBUG:
        reset_queries()
    close_old_connections()
    try:
        headers = {name: environ[key] for key, name in _HEADERS if key in environ}
        status, response_headers, body = core.handle(
            environ.get("REQUEST_METHOD", "GET"),
            _path(environ),
            environ.get("QUERY_STRING", ""),
            headers,
            environ.get("REMOTE_ADDR", ""),
        )
    finally:
        close_old_connections()
    response_headers.append(("Content-Length", str(len(body))))
    start_response(_PHRASES.get(status, str(status)), response_headers)
    return [body]


def mount(site_application):
    """A WSGI application that sends ``/gateway/v1/...`` to the lean gateway and every
    other path to ``site_application``."""
    prefix = core.PREFIX

    def dispatch(environ, start_response):
        if environ.get("PATH_INFO", "").startswith(prefix):
            return application(environ, start_response)
        return site_application(environ, start_response)

    return dispatch
