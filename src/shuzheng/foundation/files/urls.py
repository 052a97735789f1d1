"""Mounted by foundation/api/urls.py as ``path("v1/files/", include(...))``.

POST /api/v1/files/                  upload (multipart: use, file[, name])
GET  /api/v1/files/{id}/             metadata
GET  /api/v1/files/{id}/content      the bytes (attachment, nosniff)
"""

from django.urls import path

from shuzheng.foundation.files.api import FileViewSet

app_name = "files"

upload = FileViewSet.as_view({"post": "create"})
detail = FileViewSet.as_view({"get": "retrieve"})
content = FileViewSet.as_view({"get": "content"})

urlpatterns = [
    path("", upload, name="upload"),
    path("<uuid:pk>/", detail, name="detail"),
    path("<uuid:pk>/content", content, name="content"),
]
