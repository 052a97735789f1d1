"""The request being served, for audit records written deep inside services.

Services take the actor, not the request (they run from commands and jobs too); the audit
trail still wants the client address and channel of a web or API call, so this middleware
puts the request in a context variable for the length of the call."""

from contextvars import ContextVar

_current = ContextVar("shuzheng_request", default=None)


def current_request():
    return _current.get()


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
