"""foundation.files — uploads every network uses (申请材料, 公文附件, 取证照片).

Public API (see docs/architecture.md, "Files")::

    files.register_use(code, *, label, allowed_types, max_bytes, retention_days)
    files.readable_through(Model, "file_field", "capability")
    files.services.store(actor, use, uploaded_file, *, name=None) -> StoredFile
    files.services.discard(actor, stored) / keep_until(actor, stored, until)
    files.services.purge(now=None) -> PurgeReport
    files.selectors.readable(user) / file_for(user, pk) / open_content(stored)
"""

from shuzheng.foundation.files.registry import (
    DOCX,
    JPEG,
    MP4,
    OFD,
    PDF,
    PNG,
    XLSX,
    ZIP,
    Use,
    readable_through,
    register_use,
)

__all__ = [
    "DOCX",
    "JPEG",
    "MP4",
    "OFD",
    "PDF",
    "PNG",
    "XLSX",
    "ZIP",
    "Use",
    "readable_through",
    "register_use",
]
