"""The S3 backend: moto in-process, botocore's Stubber for exact requests, moto's HTTP server."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import socket
import urllib.request
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import boto3
import pytest
from botocore.config import Config
from botocore.response import StreamingBody
from botocore.stub import Stubber

from storage import (
    ObjectMissing,
    StorageError,
    StoredObject,
    create_store,
    missing_settings,
    new_key,
)
from storage.s3 import S3Store, client_config
from tests.conftest import TEST_REGION

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
PDF_SHA = hashlib.sha256(PDF).hexdigest()
PDF_SHA_B64 = base64.b64encode(hashlib.sha256(PDF).digest()).decode()
FAKE_KEY_ID = "AKIAFAKEFAKEFAKE1234"
FAKE_SECRET = "fake/secret/do-not-log"


@pytest.fixture
def store(s3_bucket: str) -> S3Store:
    return S3Store(s3_bucket, region=TEST_REGION, sse="AES256")


def stub_client(**config: object) -> object:
    # Explicit fake credentials, so a leak into error messages would be visible.
    return boto3.session.Session().client(
        "s3",
        region_name=TEST_REGION,
        aws_access_key_id=FAKE_KEY_ID,
        aws_secret_access_key=FAKE_SECRET,
        config=Config(**config) if config else client_config(),
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- against moto (in-process) -----------------------------------------------------------


def test_round_trip_save_open_list_delete(store: S3Store, s3_bucket: str) -> None:
    key = new_key(uuid4().hex)
    before = datetime.now(UTC) - timedelta(minutes=1)

    store.save(key, PDF, content_type="application/pdf", sha256_hex=PDF_SHA)

    with store.open(key) as fh:
        assert fh.read() == PDF
    listed = list(store.list())
    assert listed == [StoredObject(key=key, size=len(PDF), modified_at=listed[0].modified_at)]
    assert listed[0].modified_at.tzinfo == UTC
    assert before <= listed[0].modified_at <= datetime.now(UTC) + timedelta(minutes=1)

    store.delete(key)
    assert list(store.list()) == []
    raw = boto3.client("s3", region_name=TEST_REGION)
    assert raw.list_objects_v2(Bucket=s3_bucket).get("KeyCount") == 0
    with pytest.raises(ObjectMissing):
        store.open(key)


def test_object_has_content_type_sse_and_sha256(store: S3Store, s3_bucket: str) -> None:
    key = new_key(uuid4().hex)
    store.save(key, PDF, content_type="image/png", sha256_hex=PDF_SHA)

    head = boto3.client("s3", region_name=TEST_REGION).head_object(
        Bucket=s3_bucket, Key=key, ChecksumMode="ENABLED"
    )
    assert head["ContentType"] == "image/png"  # whatever the caller sniffed, verbatim
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ChecksumSHA256"] == PDF_SHA_B64
    assert head["ContentLength"] == len(PDF)


def test_kms_sse_is_passed_through(s3_bucket: str) -> None:
    store = S3Store(s3_bucket, region=TEST_REGION, sse="aws:kms")
    key = new_key(uuid4().hex)
    store.save(key, PDF, content_type="application/pdf", sha256_hex=PDF_SHA)
    head = boto3.client("s3", region_name=TEST_REGION).head_object(Bucket=s3_bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"


def test_list_filters_prefix_and_foreign_objects(store: S3Store, s3_bucket: str) -> None:
    one, two = uuid4().hex, uuid4().hex
    key_one, key_two = new_key(one), new_key(two)
    for key in (key_one, key_two):
        store.save(key, PDF, content_type="application/pdf", sha256_hex=PDF_SHA)
    raw = boto3.client("s3", region_name=TEST_REGION)
    raw.put_object(Bucket=s3_bucket, Key=f"tickets/{one}/passport.pdf", Body=b"x")
    raw.put_object(Bucket=s3_bucket, Key="exports/report.csv", Body=b"x")

    assert [o.key for o in store.list(f"tickets/{one}/")] == [key_one]
    assert sorted(o.key for o in store.list()) == sorted([key_one, key_two])
    assert [o.key for o in store.list("exports/")] == []


def test_missing_object_and_delete_of_missing(store: S3Store) -> None:
    key = new_key(uuid4().hex)
    with pytest.raises(ObjectMissing, match=key) as caught:
        store.open(key)
    assert isinstance(caught.value, StorageError)
    store.delete(key)  # no error
    store.delete(key)


def test_save_refuses_mismatching_sha256_before_upload(store: S3Store, s3_bucket: str) -> None:
    key = new_key(uuid4().hex)
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(StorageError, match="does not match"):
        store.save(key, PDF, content_type="application/pdf", sha256_hex=wrong)
    assert list(store.list()) == []


@pytest.mark.parametrize("key", ["../x", f"/tickets/{'a' * 32}/{'b' * 32}", "tickets/a/b", ""])
def test_bad_keys_are_refused(store: S3Store, key: str) -> None:
    for call in (
        lambda: store.save(key, PDF, content_type="application/pdf", sha256_hex=PDF_SHA),
        lambda: store.open(key),
        lambda: store.delete(key),
    ):
        with pytest.raises(StorageError, match="invalid evidence key"):
            call()
    assert list(store.list("")) == []


def test_check_passes_on_bucket_and_fails_on_missing_bucket(store: S3Store) -> None:
    store.check()
    missing = S3Store("no-such-evidence-bucket", region=TEST_REGION)
    with pytest.raises(
        StorageError, match=r"probe s3://no-such-evidence-bucket/readyz/[0-9a-f]{32} failed"
    ):
        missing.check()
    with pytest.raises(StorageError, match="NoSuchBucket"):
        missing.save(new_key(uuid4().hex), PDF, content_type="x/y", sha256_hex=PDF_SHA)


def test_client_is_built_once_per_store(s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    built = []
    original = boto3.session.Session.client

    def counting_client(self: boto3.session.Session, *args: object, **kwargs: object) -> object:
        built.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(boto3.session.Session, "client", counting_client)
    store = S3Store(s3_bucket, region=TEST_REGION)
    key = new_key(uuid4().hex)
    store.save(key, PDF, content_type="application/pdf", sha256_hex=PDF_SHA)
    store.open(key).close()
    list(store.list())
    store.delete(key)
    store.check()
    assert built == [("s3",)]


# --- client configuration, create_store ---------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, "when_supported"),
        ("when_supported", "when_supported"),
        ("when_required", "when_required"),
    ],
)
def test_create_store_builds_configured_client(
    aws_credentials: None, setting: str | None, expected: str
) -> None:
    store = create_store(
        {
            "EVIDENCE_STORE": "s3",
            "S3_BUCKET": "evidence",
            "S3_REGION": "eu-central-1",
            "S3_ENDPOINT_URL": "https://obs.example.test",
            "S3_SSE": "aws:kms",
            "S3_CHECKSUM_MODE": setting,
        }
    )
    assert isinstance(store, S3Store)
    assert (store.name, store.bucket, store.sse) == ("s3", "evidence", "aws:kms")
    meta = store.client.meta
    assert meta.region_name == "eu-central-1"
    assert meta.endpoint_url == "https://obs.example.test"
    config = meta.config
    assert config.signature_version == "s3v4"
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}
    assert (config.connect_timeout, config.read_timeout) == (2, 5)
    assert config.request_checksum_calculation == expected
    assert config.response_checksum_validation == expected


def test_unknown_checksum_mode_is_refused(aws_credentials: None) -> None:
    with pytest.raises(StorageError, match="S3_CHECKSUM_MODE"):
        create_store({"EVIDENCE_STORE": "s3", "S3_BUCKET": "b", "S3_CHECKSUM_MODE": "always"})


@pytest.mark.parametrize("bucket", [None, ""])
def test_create_store_s3_names_missing_bucket(bucket: str | None) -> None:
    config = {"EVIDENCE_STORE": "s3", "S3_BUCKET": bucket, "EVIDENCE_DIR": "/srv/evidence"}
    assert missing_settings(config) == ["S3_BUCKET"]
    with pytest.raises(StorageError, match=r"^EVIDENCE_STORE=s3 needs S3_BUCKET$"):
        create_store(config)


def test_missing_settings_s3_complete() -> None:
    # Region and endpoint are optional (environment / AWS defaults); EVIDENCE_DIR is unused.
    assert missing_settings({"EVIDENCE_STORE": "s3", "S3_BUCKET": "b"}) == []


# --- exact requests with botocore's Stubber -----------------------------------------------


def test_put_object_parameters_are_exact() -> None:
    client = stub_client()
    store = S3Store("evidence", sse="aws:kms", client=client)
    key = new_key(uuid4().hex)
    with Stubber(client) as stub:
        stub.add_response(
            "put_object",
            {"ETag": '"etag"', "ChecksumSHA256": PDF_SHA_B64},
            expected_params={
                "Bucket": "evidence",
                "Key": key,
                "Body": PDF,
                "ContentType": "application/pdf",
                "ChecksumAlgorithm": "SHA256",
                "ChecksumSHA256": PDF_SHA_B64,
                "ServerSideEncryption": "aws:kms",
            },
        )
        store.save(key, PDF, content_type="application/pdf", sha256_hex=PDF_SHA)
        stub.assert_no_pending_responses()
    # The base64 is of the raw 32-byte digest, not of the hex text.
    assert base64.b64decode(PDF_SHA_B64).hex() == PDF_SHA


def test_put_object_without_sse_sends_no_sse_parameter() -> None:
    client = stub_client()
    store = S3Store("evidence", client=client)
    key = new_key(uuid4().hex)
    with Stubber(client) as stub:
        stub.add_response(
            "put_object",
            {"ETag": '"etag"'},
            expected_params={
                "Bucket": "evidence",
                "Key": key,
                "Body": PDF,
                "ContentType": "image/jpeg",
                "ChecksumAlgorithm": "SHA256",
                "ChecksumSHA256": PDF_SHA_B64,
            },
        )
        store.save(key, PDF, content_type="image/jpeg", sha256_hex=PDF_SHA)
        stub.assert_no_pending_responses()


def test_when_required_sends_no_checksum_parameter() -> None:
    client = stub_client(**_config_kwargs("when_required"))
    store = S3Store("evidence", checksum_mode="when_required", client=client)
    key = new_key(uuid4().hex)
    with Stubber(client) as stub:
        stub.add_response(
            "put_object",
            {"ETag": '"etag"'},
            expected_params={
                "Bucket": "evidence",
                "Key": key,
                "Body": PDF,
                "ContentType": "application/pdf",
            },
        )
        store.save(key, PDF, content_type="application/pdf", sha256_hex=PDF_SHA)
        stub.assert_no_pending_responses()


def test_check_writes_and_deletes_a_probe_object() -> None:
    client = stub_client()
    store = S3Store("evidence", client=client)
    probe = {}

    def remember(params: dict, **_: object) -> None:
        probe.setdefault("key", params["Key"])

    client.meta.events.register("provide-client-params.s3.PutObject", remember)
    with Stubber(client) as stub:
        stub.add_response("put_object", {"ETag": '"etag"'})
        stub.add_response("delete_object", {})
        store.check()
        stub.assert_no_pending_responses()
    assert re.fullmatch(r"readyz/[0-9a-f]{32}", probe["key"])


def _config_kwargs(mode: str) -> dict:
    config = client_config(mode)
    return {
        "signature_version": config.signature_version,
        "retries": config.retries,
        "request_checksum_calculation": config.request_checksum_calculation,
        "response_checksum_validation": config.response_checksum_validation,
    }


def test_service_error_becomes_storage_error_without_secrets() -> None:
    client = stub_client()
    store = S3Store("evidence", client=client)
    key = new_key(uuid4().hex)
    with Stubber(client) as stub:
        # Real SignatureDoesNotMatch errors echo the access key id and string to sign.
        stub.add_client_error(
            "put_object",
            service_error_code="SignatureDoesNotMatch",
            service_message="The request signature we calculated does not match",
            http_status_code=403,
            service_error_meta={"AWSAccessKeyId": FAKE_KEY_ID, "StringToSign": FAKE_SECRET},
        )
        with pytest.raises(StorageError) as caught:
            store.save(key, PDF, content_type="application/pdf", sha256_hex=PDF_SHA)
    message = str(caught.value)
    assert not isinstance(caught.value, ObjectMissing)
    assert message == (
        f"S3 upload s3://evidence/{key} failed: "
        "SignatureDoesNotMatch: The request signature we calculated does not match"
    )
    assert FAKE_KEY_ID not in message
    assert FAKE_SECRET not in message


def test_bad_digest_from_the_store_becomes_storage_error() -> None:
    client = stub_client()
    store = S3Store("evidence", client=client)
    with Stubber(client) as stub:
        stub.add_client_error("put_object", "BadDigest", "checksum mismatch", 400)
        with pytest.raises(StorageError, match="BadDigest: checksum mismatch"):
            store.save(new_key(uuid4().hex), PDF, content_type="x/y", sha256_hex=PDF_SHA)


def test_stubbed_errors_on_every_operation() -> None:
    client = stub_client()
    store = S3Store("evidence", client=client)
    key = new_key(uuid4().hex)
    with Stubber(client) as stub:
        stub.add_client_error("get_object", "NoSuchKey", "gone", 404)
        stub.add_client_error("get_object", "AccessDenied", "Access Denied", 403)
        stub.add_client_error("delete_object", "NoSuchKey", "gone", 404)
        stub.add_client_error("delete_object", "AccessDenied", "Access Denied", 403)
        stub.add_client_error("list_objects_v2", "AccessDenied", "Access Denied", 403)
        stub.add_client_error("put_object", "AccessDenied", "read-only bucket", 403)

        with pytest.raises(ObjectMissing):
            store.open(key)
        with pytest.raises(StorageError, match=r"download .* AccessDenied") as caught:
            store.open(key)
        assert not isinstance(caught.value, ObjectMissing)
        store.delete(key)  # a store answering NoSuchKey on delete is fine
        with pytest.raises(StorageError, match=r"delete .* AccessDenied"):
            store.delete(key)
        with pytest.raises(StorageError, match=r"list .* AccessDenied"):
            list(store.list())
        with pytest.raises(
            StorageError, match=r"probe s3://evidence/readyz/\w+ failed: AccessDenied"
        ):
            store.check()
        stub.assert_no_pending_responses()


def test_open_returns_a_readable_seekable_stream() -> None:
    client = stub_client()
    store = S3Store("evidence", client=client)
    key = new_key(uuid4().hex)
    with Stubber(client) as stub:
        stub.add_response(
            "get_object",
            {"Body": StreamingBody(io.BytesIO(PDF), len(PDF)), "ContentLength": len(PDF)},
            expected_params={"Bucket": "evidence", "Key": key},
        )
        with store.open(key) as fh:
            assert fh.read(8) == PDF[:8]
            fh.seek(0)
            assert fh.read() == PDF


def test_list_follows_pages_and_converts_to_utc() -> None:
    client = stub_client()
    store = S3Store("evidence", client=client)
    keys = [new_key(uuid4().hex) for _ in range(3)]
    paris = timezone(timedelta(hours=2))
    stamp = datetime(2025, 6, 1, 12, 0, tzinfo=paris)
    with Stubber(client) as stub:
        stub.add_response(
            "list_objects_v2",
            {
                "IsTruncated": True,
                "NextContinuationToken": "page-2",
                "Contents": [{"Key": keys[0], "Size": 1, "LastModified": stamp}],
            },
            expected_params={"Bucket": "evidence", "Prefix": "tickets/"},
        )
        stub.add_response(
            "list_objects_v2",
            {
                "IsTruncated": False,
                "Contents": [
                    {"Key": keys[1], "Size": 2, "LastModified": stamp},
                    {"Key": keys[2], "Size": 3, "LastModified": stamp},
                ],
            },
            expected_params={
                "Bucket": "evidence",
                "Prefix": "tickets/",
                "ContinuationToken": "page-2",
            },
        )
        listed = list(store.list())
        stub.assert_no_pending_responses()
    utc_stamp = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    assert listed == [StoredObject(k, n, utc_stamp) for n, k in enumerate(keys, start=1)]
    assert all(o.modified_at.tzinfo == UTC for o in listed)


# --- transport failures (BotoCoreError) --------------------------------------------------


def test_unreachable_endpoint_becomes_storage_error() -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    client = boto3.session.Session().client(
        "s3",
        region_name=TEST_REGION,
        endpoint_url=endpoint,
        aws_access_key_id=FAKE_KEY_ID,
        aws_secret_access_key=FAKE_SECRET,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2),
    )
    store = S3Store("evidence", client=client)
    with pytest.raises(StorageError, match="EndpointConnectionError") as caught:
        store.check()
    assert endpoint in str(caught.value)
    assert FAKE_SECRET not in str(caught.value)


def test_missing_credentials_become_storage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", f"{tmp_path}/none")
    monkeypatch.setenv("AWS_CONFIG_FILE", f"{tmp_path}/none")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)
    store = S3Store(
        "evidence", region=TEST_REGION, endpoint_url=f"http://127.0.0.1:{closed_port()}"
    )
    with pytest.raises(StorageError, match=r"probe s3://evidence/\S+ failed: NoCredentialsError"):
        store.check()


# --- against moto's server over real HTTP -------------------------------------------------


def test_round_trip_over_http(moto_server: str, aws_credentials: None) -> None:
    bucket = f"evidence-{uuid4().hex[:12]}"
    boto3.client("s3", region_name=TEST_REGION, endpoint_url=moto_server).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": TEST_REGION}
    )
    store = create_store(
        {
            "EVIDENCE_STORE": "s3",
            "S3_BUCKET": bucket,
            "S3_REGION": TEST_REGION,
            "S3_ENDPOINT_URL": moto_server,
            "S3_SSE": "AES256",
            "S3_CHECKSUM_MODE": "when_required",
        }
    )
    store.check()
    key = new_key(uuid4().hex)

    store.save(key, PDF, content_type="application/pdf", sha256_hex=PDF_SHA)

    with store.open(key) as fh:
        assert fh.read() == PDF
    head = store.client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ContentType"] == "application/pdf"
    assert head["ServerSideEncryption"] == "AES256"
    # when_required: no checksum was sent, so the store has none (our row keeps the SHA-256).
    assert "ChecksumSHA256" not in head
    assert [(o.key, o.size) for o in store.list()] == [(key, len(PDF))]
    # Plain urllib to the same server, not through botocore: the bytes really are there.
    url = store.client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
    assert url.startswith(f"{moto_server}/{bucket}/{key}?")
    with urllib.request.urlopen(url) as response:
        assert response.read() == PDF

    store.delete(key)
    assert list(store.list()) == []
    with pytest.raises(ObjectMissing):
        store.open(key)
    absent = S3Store("absent-bucket", region=TEST_REGION, endpoint_url=moto_server)
    with pytest.raises(
        StorageError, match=r"^S3 probe s3://absent-bucket/\S+ failed: NoSuchBucket"
    ):
        absent.check()
