"""The platform's first uses, declared here until their networks exist; each network then
moves its line into its own ``apps.py`` (same code, same terms) and deletes it here."""

from django.utils.translation import gettext_lazy as _

from shuzheng.foundation.files.registry import (
    DOCX,
    JPEG,
    MB,
    MP4,
    OFD,
    PDF,
    PNG,
    XLSX,
    ZIP,
    register_use,
)


def register_all() -> None:
    register_use(
        "services.material",
        label=_("申请材料"),
        allowed_types={PDF, JPEG, PNG, OFD},
        max_bytes=20 * MB,
        retention_days=30 * 365,  # 政务服务办件档案: long-term; the case extends it on filing
    )
    register_use(
        "collaboration.attachment",
        label=_("公文附件"),
        allowed_types={PDF, DOCX, XLSX, OFD, ZIP},
        max_bytes=50 * MB,
        retention_days=10 * 365,
    )
    register_use(
        "governance.evidence",
        label=_("现场取证"),
        allowed_types={JPEG, PNG, MP4},
        max_bytes=100 * MB,
        retention_days=3 * 365,
    )
