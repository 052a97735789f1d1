"""POST /api/v1/auth/token/ — an API token for username + password (+ ``otp`` for accounts with
a second factor). Every refusal of the credentials answers the same 400."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.foundation.identity.login import services


class TokenCredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy(
            "动态口令（工作人员与三员账号必填）：身份验证器上的 6 位数字，或一个恢复码"
        ),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class ObtainTokenView(APIView):
    """接口令牌: exchange credentials (and the second factor) for a token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=TokenCredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                description=gettext_lazy("登录名、密码或动态口令不正确（含账号已锁定）")
            ),
            403: OpenApiResponse(
                description=gettext_lazy("须先在网页完成动态口令绑定或修改过期密码")
            ),
        },
        auth=[],
    )
    def post(self, request):
        form = TokenCredentialsSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            token = services.issue_token(**form.validated_data, request=request._request)
        except services.LoginRefused:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        exceptions.ErrorDetail(
                            _("登录名、密码或动态口令不正确，请重新输入。"), code="authorization"
                        )
                    ]
                }
            ) from None
        except services.EnrolmentRequired:
            raise exceptions.PermissionDenied(
                _("该账号须先在网页登录并绑定动态口令，才能申请接口令牌。"),
                code="mfa-enrolment-required",
            ) from None
        except services.PasswordExpired:
            raise exceptions.PermissionDenied(
                _("密码已过期，请先在网页登录并修改密码。"), code="password-expired"
            ) from None
        return Response({"token": token.key})
