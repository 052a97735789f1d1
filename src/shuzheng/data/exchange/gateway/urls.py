"""The gateway under /gateway/v1/ (the Django route; the lean WSGI route is ``wsgi``)."""

urlpatterns: list = []
