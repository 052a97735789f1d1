"""The virus-scan hook, the ClamAV adapter (against a fake clamd), and the storage setting."""

import json
import os
import socket
import struct
import subprocess
import sys
import threading

import pytest
from django.core.exceptions import ValidationError

from shuzheng.foundation.files import scanning, services
from shuzheng.foundation.trust.models import AuditRecord

from .conftest import PDF_BYTES, upload

SEEN: list[str] = []


def refuse_everything(path):
    with open(path, "rb") as handle:
        SEEN.append(handle.read())
    raise scanning.Infected("Eicar-Test-Signature")


def scanner_down(path):
    raise scanning.ScannerUnavailable("down")


@pytest.mark.django_db
def test_infected_upload_is_refused_and_recorded(settings, citizen, nothing_stored):
    settings.FILES_SCANNER = f"{__name__}.refuse_everything"
    SEEN.clear()
    with pytest.raises(ValidationError) as excinfo:
        services.store(citizen, "services.material", upload(PDF_BYTES))
    assert [e.code for e in excinfo.value.error_dict["file"]] == ["infected"]
    assert SEEN == [PDF_BYTES]  # the scanner saw exactly the bytes that would be stored
    nothing_stored()
    record = AuditRecord.objects.get(action="files.file.refuse")
    assert record.details["reason"] == "infected"
    assert record.details["signature"] == "Eicar-Test-Signature"


@pytest.mark.django_db
def test_unavailable_scanner_fails_closed(settings, citizen, nothing_stored):
    settings.FILES_SCANNER = f"{__name__}.scanner_down"
    with pytest.raises(ValidationError) as excinfo:
        services.store(citizen, "services.material", upload(PDF_BYTES))
    assert [e.code for e in excinfo.value.error_dict["file"]] == ["scan_unavailable"]
    nothing_stored()


def test_default_scanner_scans_nothing(settings):
    assert settings.FILES_SCANNER == "shuzheng.foundation.files.scanning.no_scan"


@pytest.fixture
def fake_clamd(tmp_path, settings):
    """A one-connection-at-a-time clamd speaking INSTREAM; answers FOUND for 'EICAR'."""
    path = str(tmp_path / "clamd.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    received = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\0" not in data:
                    data += conn.recv(1)
                assert data == b"zINSTREAM\0"
                body = b""
                while True:
                    size = struct.unpack("!L", conn.recv(4, socket.MSG_WAITALL))[0]
                    if size == 0:
                        break
                    body += conn.recv(size, socket.MSG_WAITALL)
                received.append(body)
                verdict = (
                    b"stream: Eicar-Signature FOUND\0" if b"EICAR" in body else b"stream: OK\0"
                )
                conn.sendall(verdict)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    settings.FILES_CLAMD_SOCKET = path
    settings.FILES_CLAMD_TIMEOUT = 5
    yield received
    server.close()


def test_clamd_adapter(fake_clamd, tmp_path):
    clean = tmp_path / "clean.pdf"
    clean.write_bytes(PDF_BYTES * 5000)  # several INSTREAM chunks
    scanning.clamd_scan(str(clean))
    assert fake_clamd[-1] == PDF_BYTES * 5000
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(PDF_BYTES + b"EICAR")
    with pytest.raises(scanning.Infected) as excinfo:
        scanning.clamd_scan(str(bad))
    assert excinfo.value.signature == "Eicar-Signature"


def test_clamd_adapter_unreachable_is_unavailable(settings, tmp_path):
    settings.FILES_CLAMD_SOCKET = str(tmp_path / "nobody-listens")
    path = tmp_path / "a"
    path.write_bytes(b"a")
    with pytest.raises(scanning.ScannerUnavailable):
        scanning.clamd_scan(str(path))


def _settings_with(env: dict) -> dict:
    code = (
        "import json; from shuzheng.config import settings as s; "
        "print(json.dumps(s.STORAGES['files']))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FILES_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "SECRET_KEY": "x" * 50, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 or env.get("FILES_STORAGE") == "ftp", result.stderr
    return json.loads(result.stdout) if result.returncode == 0 else {"error": result.stderr}


def test_embedded_mode_stores_under_media_root():
    files = _settings_with({})
    assert files["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert files["OPTIONS"]["location"].endswith(os.path.join("media", "files"))
    assert files["OPTIONS"]["base_url"] is None  # never served by URL


def test_files_storage_s3_selects_django_storages():
    files = _settings_with(
        {
            "FILES_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "zhuhai-files",
            "AWS_S3_ENDPOINT_URL": "https://minio.internal:9000",
        }
    )
    assert files["BACKEND"] == "storages.backends.s3.S3Storage"
    assert files["OPTIONS"]["bucket_name"] == "zhuhai-files"
    assert files["OPTIONS"]["endpoint_url"] == "https://minio.internal:9000"
    assert files["OPTIONS"]["default_acl"] == "private"
    assert "access_key" not in files["OPTIONS"]  # credentials stay with boto3


def test_unknown_files_storage_is_refused():
    assert "ImproperlyConfigured" in _settings_with({"FILES_STORAGE": "ftp"})["error"]
