"""Page: 网格员上报 — a phone-sized page for grid officers on patrol: take a photo, mark the
place, pick what is wrong (only the categories handled on site), describe it, send; their
recent reports below with the state each has reached."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.governance.hotline.models import RequestType
from shuzheng.governance.hotline.views import forms
from shuzheng.governance.hotline.views.common import apply_errors

RECENT = 10
ALIASES = {"location": "address", "coordinates": "address", "file": "photos"}


@login_required
def grid_report(request):
    """网格员上报 (channel 网格员)."""
    from shuzheng.governance.hotline.selectors import orders
    from shuzheng.governance.hotline.services import intake

    user = request.user
    access.require(user, "hotline.report")
    if request.method == "POST":
        form = forms.GridReportForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = intake.report(
                    user,
                    channel="grid",
                    request_type=RequestType.REPORT,
                    category=data["category"],
                    urgency=data["urgency"],
                    content=data["content"],
                    address=data["address"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    photos=data["photos"],
                )
            except ValidationError as exc:
                apply_errors(form, exc, ALIASES)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("已上报，工单编号 %(number)s") % {"number": order.number}
                )
                return redirect("hotline:grid-report")
        status = 400
    else:
        form = forms.GridReportForm(user=user)
        status = 200
    return render(
        request,
        "hotline/mobile/grid_report.html",
        {"form": form, "recent": orders.mine(user, limit=RECENT)},
        status=status,
    )


urlpatterns = [
    path("m/grid/", grid_report, name="grid-report"),
]
