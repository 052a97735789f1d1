"""catalog pages: each views module owns its ``urlpatterns`` and is listed here.

信息资源代码 keep their "/" in URLs (the ``entrycode`` converter of ``views.common``):
``reverse("datacatalog:entry", args=["101/000012"])`` → ``/workbench/data/catalog/101/000012/``.
"""

from shuzheng.data.catalog.views import catalog, grading, open, transfer

app_name = "datacatalog"

urlpatterns = [
    *transfer.urlpatterns,  # before the entry pages: fixed names under workbench/data/catalog/
    *catalog.urlpatterns,
    *grading.urlpatterns,
    *open.urlpatterns,
]
