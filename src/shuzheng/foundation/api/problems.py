"""RFC 9457 problem details for every API error, with field-level ``errors``."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


def _titles() -> dict[int, str]:
    return {
        400: _("请求数据有误"),
        401: _("未登录或登录已失效"),
        403: _("无权访问"),
        404: _("未找到"),
        405: _("不支持的请求方法"),
        406: _("不支持的响应格式"),
        409: _("操作冲突"),
        415: _("不支持的请求格式"),
        422: _("请求无法处理"),
        429: _("请求过于频繁"),
        500: _("服务器内部错误"),
    }


def problem(
    status_code: int, *, detail: str = "", code: str = "", errors=None, instance: str = ""
) -> dict:
    body = {
        "type": f"urn:shuzheng:problem:{code}" if code else "about:blank",
        "title": _titles().get(status_code, _("请求失败")),
        "status": status_code,
    }
    if detail:
        body["detail"] = str(detail)
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return body


def _field_errors(details, prefix: str = "") -> list[dict]:
    """Flatten DRF's nested error details into [{field, message, code}]."""
    out: list[dict] = []
    if isinstance(details, dict):
        for key, value in details.items():
            name = (
                prefix
                if key in ("non_field_errors", "__all__")
                else (f"{prefix}.{key}" if prefix else str(key))
            )
            out.extend(_field_errors(value, name))
    elif isinstance(details, list):
        for index, value in enumerate(details):
            if isinstance(value, dict) and "message" in value and "code" in value:
                out.append(
                    {
                        "field": prefix or None,
                        "message": str(value["message"]),
                        "code": value["code"],
                    }
                )
            else:
                out.extend(_field_errors(value, f"{prefix}[{index}]" if prefix else str(index)))
    return out


def exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, DjangoPermissionDenied | exceptions.PermissionDenied):
        audit_refusal(request, exc)
    if getattr(exc, "http_status", None) == status.HTTP_409_CONFLICT:
        exc = Conflict(str(exc))  # a domain conflict, e.g. a lost optimistic-lock race
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    instance = request.get_full_path() if request is not None else ""
    if response is None:
        log.exception("unhandled API error", exc_info=exc)
        return Response(
            problem(500, code="internal-error", instance=instance),
            status=500,
            content_type=PROBLEM_JSON,
        )
    code = getattr(exc, "default_code", "error").replace("_", "-")
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.get_full_details())
        body = problem(
            response.status_code,
            code="validation-error",
            detail=_("请检查标出的字段"),
            errors=errors,
            instance=instance,
        )
    else:
        detail = exc.detail if isinstance(exc.detail, str) else ""
        if isinstance(exc.detail, exceptions.ErrorDetail):
            code = (exc.detail.code or code).replace("_", "-")
        body = problem(response.status_code, code=code, detail=detail, instance=instance)
    return Response(
        body,
        status=response.status_code,
        headers=_keep_headers(response),
        content_type=PROBLEM_JSON,
    )


def audit_refusal(request, exc) -> None:
    """A refused attempt to change something is itself an audit record (等保: 安全审计)."""
    if request is None or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if getattr(exc, "audited", False):  # the service recorded it with more detail
        return
    from shuzheng.foundation.trust import audit

    user = getattr(request, "user", None)
    audit.record_outside(
        user,
        "access.denied",
        None,
        result="denied",
        details={"method": request.method, "path": request.path[:200]},
        request=request,
    )


def _keep_headers(response) -> dict:
    return {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")}


def django_problem_response(request, status_code: int) -> JsonResponse:
    """Errors raised outside DRF (an unknown /api/ URL, a crash) still answer problem+json."""
    body = problem(
        status_code,
        code="not-found" if status_code == 404 else "internal-error",
        instance=request.get_full_path(),
    )
    return JsonResponse(
        body,
        status=status_code,
        content_type=PROBLEM_JSON,
        json_dumps_params={"ensure_ascii": False},
    )
