"""ZIP-based uploads (ZIP, DOCX, XLSX, OFD) are walked with bounded effort: bombs, nested
archives, too many entries and hidden executables are refused and nothing is stored."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from shuzheng.foundation.files import registry, services, sniffing

from .conftest import ELF_BYTES, docx_bytes, upload, xlsx_bytes, zip_bytes

pytestmark = pytest.mark.django_db
ATTACHMENT = "collaboration.attachment"


def refused(citizen, data, name="附件.zip"):
    with pytest.raises(ValidationError) as excinfo:
        services.store(citizen, ATTACHMENT, upload(data, name))
    return [e.code for e in excinfo.value.error_dict["file"]]


def test_ten_megabytes_of_zeros_is_a_bomb(citizen, nothing_stored):
    bomb = zip_bytes({"zeros.bin": bytes(10 * registry.MB)})
    assert len(bomb) < 20_000  # ~1000:1
    assert refused(citizen, bomb) == ["archive_bomb"]
    nothing_stored()


def test_a_bomb_dressed_as_a_docx_is_refused(citizen, nothing_stored):
    bomb = docx_bytes({"word/media/image1.png": bytes(10 * registry.MB)})
    assert refused(citizen, bomb, "报告.docx") == ["archive_bomb"]
    nothing_stored()


def test_total_uncompressed_limit_counts_real_bytes(citizen, nothing_stored, settings):
    settings.FILES_ARCHIVE_MAX_UNCOMPRESSED = 100_000
    # stored uncompressed: no ratio at all, only the total trips
    data = zip_bytes(
        {f"part{i}.txt": b"x" * 30_000 for i in range(4)}, compression=zipfile.ZIP_STORED
    )
    assert refused(citizen, data) == ["archive_bomb"]
    nothing_stored()


def test_nested_archive_is_refused(citizen, nothing_stored):
    inner = zip_bytes({"zeros.bin": bytes(registry.MB)})
    outer = zip_bytes({"inner.zip": inner, "readme.txt": b"hello"})
    assert refused(citizen, outer) == ["archive_bomb"]
    # a renamed inner archive is sniffed, not judged by its name
    outer = zip_bytes({"inner.txt": inner})
    assert refused(citizen, outer) == ["archive_bomb"]
    nothing_stored()


def test_office_embeddings_are_walked_on_the_same_budget(citizen, nothing_stored):
    # A chart's workbook inside a report is legitimate...
    report = docx_bytes({"word/embeddings/Microsoft_Excel_Worksheet.xlsx": xlsx_bytes()})
    stored = services.store(citizen, ATTACHMENT, upload(report, "报告.docx"))
    assert stored.content_type == registry.DOCX
    stored.delete()
    services.storage().delete(stored.storage_name)
    # ...but a bomb hidden in an embedding is still a bomb
    hidden = docx_bytes({"word/embeddings/x.xlsx": zip_bytes({"z": bytes(10 * registry.MB)})})
    assert refused(citizen, hidden, "报告.docx") == ["archive_bomb"]
    # and an embedding may not nest further
    deeper = docx_bytes({"word/embeddings/x.xlsx": zip_bytes({"y.zip": zip_bytes({"a": b"a"})})})
    assert refused(citizen, deeper, "报告.docx") == ["archive_bomb"]
    nothing_stored()


def test_entry_count_limit(citizen, nothing_stored, settings):
    settings.FILES_ARCHIVE_MAX_ENTRIES = 10
    ok = services.store(
        citizen, ATTACHMENT, upload(zip_bytes({f"{i}.txt": b"a" for i in range(10)}))
    )
    assert ok.content_type == registry.ZIP
    ok.delete()
    services.storage().delete(ok.storage_name)
    assert refused(citizen, zip_bytes({f"{i}.txt": b"a" for i in range(11)})) == ["archive_bomb"]
    nothing_stored()


def test_executable_inside_a_zip_is_refused(citizen, nothing_stored):
    assert refused(citizen, zip_bytes({"发票.pdf": ELF_BYTES})) == ["executable"]
    nothing_stored()


def test_corrupt_zip_is_refused(citizen, nothing_stored):
    data = zip_bytes({"a.txt": b"hello" * 1000})
    assert refused(citizen, data[:-40]) == ["type_not_allowed"]
    nothing_stored()


def test_lying_declared_sizes_do_not_help(citizen, nothing_stored):
    """A member that claims 10 bytes but inflates to 10 MB: bytes are counted as read."""
    data = bytearray(zip_bytes({"zeros.bin": bytes(10 * registry.MB)}))
    # patch the uncompressed size in the local header and the central directory
    for marker, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(marker)
        data[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
    assert refused(citizen, bytes(data)) in (["archive_bomb"], ["type_not_allowed"])
    nothing_stored()


def test_ratio_alone_refuses_a_bomb_whatever_the_total_limit():
    """The walk gives up once ratio × compressed size is passed, long before 50 MB."""
    bomb = zip_bytes({"zeros.bin": bytes(50 * registry.MB)})
    limits = sniffing.Limits(max_uncompressed=10**12, max_ratio=100, max_entries=10)
    with pytest.raises(sniffing.Refused) as excinfo:
        sniffing.sniff_container(io.BytesIO(bomb), len(bomb), limits)
    assert excinfo.value.code == "archive_bomb"
