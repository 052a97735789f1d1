"""Classification API under /api/v1/hotline/ — thin over ``services.routing``:

POST suggest/   {text, latitude?, longitude?} → the suggested category, alternatives, handling
                unit and the reasons (rule, or the words that drove the model)

For staff who register orders (``hotline.register``). The point, when given, is located in
its grid cell so that district and grid rules apply. Without a trained model the answer is
still 200, with ``model_version`` null and the reason.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.foundation import access
from shuzheng.governance.hotline.services import routing

TAG = ["hotline-classify"]


class SuggestInput(serializers.Serializer):
    text = serializers.CharField(max_length=5000, help_text="诉求标题与内容")
    latitude = serializers.FloatField(
        required=False, allow_null=True, min_value=-90, max_value=90, help_text="纬度（WGS-84）"
    )
    longitude = serializers.FloatField(
        required=False, allow_null=True, min_value=-180, max_value=180, help_text="经度（WGS-84）"
    )

    def validate(self, data):
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            missing = "longitude" if data.get("longitude") is None else "latitude"
            raise serializers.ValidationError({missing: _("经纬度须同时填写")})
        return data


def locate(lat, lng):
    """The grid cell of a point (helper E's ``grid.services.locate``), or None."""
    if lat is None or lng is None:
        return None
    try:
        from shuzheng.governance.grid.services import locate as grid_locate
    except ImportError:  # pragma: no cover - the grid app ships with the hotline
        return None
    return grid_locate(lat, lng)


class Suggest(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAG,
        summary="智能分类与派单建议",
        request=SuggestInput,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="建议（见 routing.suggest）")
        },
    )
    def post(self, request):
        access.require(request.user, "hotline.register")
        form = SuggestInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        grid = locate(data.get("latitude"), data.get("longitude"))
        return Response(routing.suggest(data["text"], grid=grid))


urlpatterns = [path("suggest/", Suggest.as_view(), name="hotline-classify-suggest")]
