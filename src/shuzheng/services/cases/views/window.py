"""Pages: the window clerk's 代办 intake (see views/__init__.py)."""

urlpatterns: list = []
