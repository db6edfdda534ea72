"""The app over real HTTP, storing evidence in moto's S3 server over real HTTP."""

from __future__ import annotations

import hashlib
import uuid

import boto3
import pytest
import requests

from tests.conftest import FIXTURES, TEST_REGION, UNFREEZE_WITH_CARD


@pytest.fixture
def bucket(moto_server: str, aws_credentials: None) -> str:
    name = f"e2e-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", region_name=TEST_REGION, endpoint_url=moto_server).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": TEST_REGION}
    )
    return name


@pytest.fixture
def app_config(app_config: dict, moto_server: str, bucket: str) -> dict:
    app_config.update(
        EVIDENCE_STORE="s3",
        S3_BUCKET=bucket,
        S3_REGION=TEST_REGION,
        S3_ENDPOINT_URL=moto_server,
        S3_SSE="AES256",
        S3_CHECKSUM_MODE="when_required",
    )
    return app_config


def test_ticket_with_evidence_in_s3_over_http(live_server, moto_server, bucket):
    s3 = boto3.client("s3", region_name=TEST_REGION, endpoint_url=moto_server)
    pdf = (FIXTURES / "statement.pdf").read_bytes()
    docx = (FIXTURES / "statement.docx").read_bytes()

    assert requests.get(f"{live_server}/readyz", timeout=10).json()["checks"] == {
        "database": "ok",
        "evidence_store": "ok",
    }
    created = requests.post(f"{live_server}/api/v1/tickets", json=UNFREEZE_WITH_CARD, timeout=10)
    assert created.status_code == 201
    reference, token = created.json()["reference"], created.json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}

    uploads = [
        ("passport", "passport scan.pdf", pdf),
        ("card_transactions", "Kontoauszug.docx", docx),
    ]
    for material, name, data in uploads:
        response = requests.post(
            f"{live_server}/api/v1/tickets/{reference}/evidence",
            headers=auth,
            data={"material": material},
            files={"file": (name, data, "application/octet-stream")},  # the sent type is ignored
            timeout=10,
        )
        assert response.status_code == 201, response.text
        assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()

    objects = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert len(objects) == 2
    stored = {}
    for obj in objects:
        key = obj["Key"]
        assert key.startswith("tickets/") and "passport" not in key and "Kontoauszug" not in key
        head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        stored[head["ContentType"]] = body
        assert head["ServerSideEncryption"] == "AES256"
    assert stored == {
        "application/pdf": pdf,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": docx,
    }

    ticket = requests.get(f"{live_server}/api/v1/tickets/{reference}", headers=auth, timeout=10)
    assert ticket.json()["complete"] is True
    submitted = requests.post(
        f"{live_server}/api/v1/tickets/{reference}/submit", headers=auth, timeout=10
    )
    assert submitted.json()["status"] == "awaiting_review"


def test_refused_file_never_reaches_the_bucket(live_server, moto_server, bucket):
    created = requests.post(f"{live_server}/api/v1/tickets", json=UNFREEZE_WITH_CARD, timeout=10)
    reference, token = created.json()["reference"], created.json()["access_token"]
    response = requests.post(
        f"{live_server}/api/v1/tickets/{reference}/evidence",
        headers={"Authorization": f"Bearer {token}"},
        data={"material": "passport"},
        files={"file": ("passport.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")},
        timeout=10,
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_file_type"
    s3 = boto3.client("s3", region_name=TEST_REGION, endpoint_url=moto_server)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
