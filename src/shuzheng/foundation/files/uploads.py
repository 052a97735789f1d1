"""An upload handler that stops writing an oversized upload to disk.

Django spools large uploads to a temporary file before any view code runs; without this a
client could fill the disk with a file that the service would refuse anyway."""

from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.utils.translation import gettext as _

from shuzheng.foundation.files.registry import USES

_FLAG = "_shuzheng_upload_too_large"


def request_limit() -> int:
    """The largest upload any declared use accepts."""
    return max((use.max_bytes for use in USES.values()), default=0)


class LimitedUploadHandler(TemporaryFileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.limit = request_limit()
        self.received = 0

    def new_file(self, *args, **kwargs):
        self.received = 0
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.file.close()
            setattr(self.request, _FLAG, True)
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)

    @staticmethod
    def raise_if_too_large(request) -> None:
        from django.core.exceptions import ValidationError

        raw = getattr(request, "_request", request)
        if getattr(raw, _FLAG, False):
            raise ValidationError(
                {"file": ValidationError(_("文件超过允许的最大大小"), code="too_large")}
            )
