"""store(): the type comes from the bytes, the size is counted, the digest is SM3, and a
refused upload leaves nothing behind — no row, no blob, no temporary copy."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzheng.foundation import access
from shuzheng.foundation.files import registry, services
from shuzheng.foundation.files.models import StoredFile
from shuzheng.foundation.trust import gm
from shuzheng.foundation.trust.models import AuditRecord

from .conftest import (
    ELF_BYTES,
    JPEG_BYTES,
    MP4_BYTES,
    PDF_BYTES,
    PE_BYTES,
    PNG_BYTES,
    SCRIPT_BYTES,
    blobs,
    docx_bytes,
    ofd_bytes,
    upload,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def refusal_code(excinfo, field="file"):
    return [e.code for e in excinfo.value.error_dict[field]]


@pytest.mark.parametrize(
    ("use", "data", "mime"),
    [
        ("services.material", PDF_BYTES, registry.PDF),
        ("services.material", JPEG_BYTES, registry.JPEG),
        ("services.material", PNG_BYTES, registry.PNG),
        ("services.material", ofd_bytes(), registry.OFD),
        ("collaboration.attachment", docx_bytes(), registry.DOCX),
        ("collaboration.attachment", xlsx_bytes(), registry.XLSX),
        ("collaboration.attachment", ofd_bytes(), registry.OFD),
        ("governance.evidence", MP4_BYTES, registry.MP4),
    ],
)
def test_allowed_types_are_stored_with_their_sniffed_type(citizen, files_storage, use, data, mime):
    stored = services.store(citizen, use, upload(data, "上传.bin", "text/plain"))
    assert stored.content_type == mime
    assert stored.size == len(data)
    assert stored.owner == citizen and stored.purpose == use
    with services.storage().open(stored.storage_name, "rb") as handle:
        assert handle.read() == data
    assert blobs(files_storage) == [stored.storage_name]


def test_zip_is_an_allowed_attachment(citizen):
    from .conftest import zip_bytes

    stored = services.store(
        citizen, "collaboration.attachment", upload(zip_bytes({"a.txt": b"hello"}), "a.zip")
    )
    assert stored.content_type == registry.ZIP


def test_digest_is_sm3_of_the_content(citizen):
    stored = services.store(citizen, "services.material", upload(PDF_BYTES))
    assert stored.sm3 == gm.sm3(PDF_BYTES).hex()


def test_sniffing_beats_the_extension_and_the_declared_type(citizen, nothing_stored):
    # a PNG called .pdf and declared application/pdf is still a PNG
    stored = services.store(citizen, "services.material", upload(PNG_BYTES, "scan.pdf"))
    assert stored.content_type == registry.PNG
    assert stored.name == "scan.pdf"  # the name is the user's, the type is the bytes'
    stored.delete()
    # a PDF is not an evidence photo, whatever it is called
    with pytest.raises(ValidationError) as excinfo:
        services.store(citizen, "governance.evidence", upload(PDF_BYTES, "photo.jpg", "image/jpeg"))
    assert refusal_code(excinfo) == ["type_not_allowed"]
    assert "JPEG" in excinfo.value.error_dict["file"][0].message
    services.storage().delete(stored.storage_name)
    nothing_stored()


@pytest.mark.parametrize(
    "data",
    [ELF_BYTES, PE_BYTES, SCRIPT_BYTES, b"\xef\xbb\xbf  <?php system($_GET['c']); ?>"],
    ids=["elf", "pe", "shebang", "php"],
)
def test_renamed_executable_is_refused(citizen, nothing_stored, data):
    with pytest.raises(ValidationError) as excinfo:
        services.store(citizen, "services.material", upload(data, "申请表.pdf"))
    assert refusal_code(excinfo) == ["executable"]
    nothing_stored()
    refused = AuditRecord.objects.get(action="files.file.refuse")
    assert refused.result == "denied" and refused.details["reason"] == "executable"


def test_type_not_allowed_for_the_use(citizen, nothing_stored):
    with pytest.raises(ValidationError) as excinfo:
        services.store(citizen, "services.material", upload(docx_bytes(), "a.docx"))
    assert refusal_code(excinfo) == ["type_not_allowed"]
    with pytest.raises(ValidationError) as excinfo:
        services.store(citizen, "services.material", upload(b"just some text\n", "a.pdf"))
    assert refusal_code(excinfo) == ["type_not_allowed"]
    nothing_stored()


def test_macro_enabled_office_document_is_not_a_docx(citizen, nothing_stored):
    data = docx_bytes({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macros"})
    with pytest.raises(ValidationError) as excinfo:
        services.store(citizen, "collaboration.attachment", upload(data, "a.docx"))
    assert refusal_code(excinfo) == ["type_not_allowed"]
    nothing_stored()


def test_size_limit_is_exact(citizen, nothing_stored):
    use = registry.register_use(
        "tests.tiny",
        label="测试",
        allowed_types={registry.PDF},
        max_bytes=len(PDF_BYTES) + 10,
        retention_days=1,
    )
    try:
        exactly = PDF_BYTES + b"\n" * 10
        with pytest.raises(ValidationError) as excinfo:
            services.store(citizen, use, upload(exactly + b"\n"))
        assert refusal_code(excinfo) == ["too_large"]
        nothing_stored()
        stored = services.store(citizen, use, upload(exactly))
        assert stored.size == use.max_bytes
    finally:
        registry.USES.pop("tests.tiny")


def test_declared_size_is_not_trusted(citizen, nothing_stored):
    big = upload(PDF_BYTES + b"0" * (20 * registry.MB))
    big.size = 10  # a client's claim
    with pytest.raises(ValidationError) as excinfo:
        services.store(citizen, "services.material", big)
    assert refusal_code(excinfo) == ["too_large"]
    nothing_stored()


def test_plain_file_objects_are_read_in_chunks(citizen):
    stored = services.store(citizen, "services.material", io.BytesIO(PDF_BYTES), name="a.pdf")
    assert stored.size == len(PDF_BYTES)


def test_empty_file_is_refused(citizen, nothing_stored):
    with pytest.raises(ValidationError) as excinfo:
        services.store(citizen, "services.material", upload(b""))
    assert refusal_code(excinfo) == ["empty"]
    nothing_stored()


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "C:\\Windows\\a.pdf",
        "a\x00.pdf",
        "a\x1b[31m.pdf",
        "申请\u202efdp.exe",
        "长" * 201,
        "..",
        " . ",
    ],
)
def test_bad_names_are_refused(citizen, nothing_stored, name):
    with pytest.raises(ValidationError) as excinfo:
        services.store(citizen, "services.material", upload(PDF_BYTES), name=name)
    assert refusal_code(excinfo) == ["bad_name"]
    nothing_stored()


def test_stored_name_is_tidied_and_storage_name_is_random(citizen):
    first = services.store(citizen, "services.material", upload(PDF_BYTES), name=" 身份证 .pdf.")
    second = services.store(citizen, "services.material", upload(PDF_BYTES), name="身份证.pdf")
    assert first.name == "身份证 .pdf"
    assert first.storage_name != second.storage_name
    for stored in (first, second):
        assert "身份证" not in stored.storage_name and ".pdf" not in stored.storage_name
        assert len(stored.storage_name.rsplit("/", 1)[1]) == 32


def test_unknown_use_is_a_field_error(citizen, nothing_stored):
    with pytest.raises(ValidationError) as excinfo:
        services.store(citizen, "services.nonsense", upload(PDF_BYTES))
    assert refusal_code(excinfo, "use") == ["unknown_use"]
    nothing_stored()


def test_store_is_audited_with_the_digest(citizen):
    stored = services.store(citizen, "services.material", upload(PDF_BYTES))
    record = AuditRecord.objects.get(action="files.file.store")
    assert record.object_id == str(stored.pk)
    assert record.details["sm3"] == stored.sm3 and record.details["use"] == "services.material"


def test_system_and_anonymous_cannot_upload(nothing_stored):
    from django.contrib.auth.models import AnonymousUser

    for actor in (access.SYSTEM, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            services.store(actor, "services.material", upload(PDF_BYTES))
    nothing_stored()


def test_use_with_an_upload_capability_needs_it(citizen, nothing_stored):
    use = registry.register_use(
        "tests.staff_only",
        label="测试",
        allowed_types={registry.PDF},
        max_bytes=registry.MB,
        retention_days=1,
        upload_capability="web.use_workbench",
    )
    try:
        with pytest.raises(PermissionDenied):
            services.store(citizen, use, upload(PDF_BYTES))
        nothing_stored()
    finally:
        registry.USES.pop("tests.staff_only")


def test_database_failure_leaves_no_blob(citizen, files_storage, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(StoredFile.objects, "create", broken)
    with pytest.raises(RuntimeError):
        services.store(citizen, "services.material", upload(PDF_BYTES))
    assert blobs(files_storage) == []


def test_conflicting_use_declaration_is_an_error():
    with pytest.raises(ValueError, match="already declared"):
        registry.register_use(
            "services.material",
            label="x",
            allowed_types={registry.PDF},
            max_bytes=1,
            retention_days=1,
        )
