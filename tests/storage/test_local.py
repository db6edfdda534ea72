"""The package interface (new_key, create_store, missing_settings) and the local backend."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

import storage.local
from storage import (
    ObjectMissing,
    StorageError,
    StoredObject,
    create_store,
    delete_with_derived,
    derived_prefix,
    evidence_key_of,
    missing_settings,
    new_key,
    preview_key,
)
from storage.local import LocalStore

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "evidence"  # not created yet: the store makes it


@pytest.fixture
def store(root: Path) -> LocalStore:
    return LocalStore(root)


# --- new_key -----------------------------------------------------------------------------


def test_new_key_shape_and_uniqueness() -> None:
    ticket = uuid4().hex
    keys = {new_key(ticket) for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        prefix, ticket_part, file_part = key.split("/")
        assert (prefix, ticket_part) == ("tickets", ticket)
        assert len(file_part) == 32
        int(file_part, 16)  # hex


@pytest.mark.parametrize(
    "ticket",
    [
        str(uuid4()),  # dashed form
        uuid4().hex.upper(),
        uuid4().hex[:31],
        uuid4().hex + "0",
        "../" + uuid4().hex[:29],
        uuid4().hex + "\n",
        "",
        None,
        42,
    ],
    # Names, not the random values: pytest-xdist's workers must collect the same tests.
    ids=["dashed", "upper", "short", "long", "traversal", "newline", "empty", "none", "int"],
)
def test_new_key_refuses_anything_but_uuid_hex(ticket: object) -> None:
    with pytest.raises(ValueError, match="32 lowercase hex"):
        new_key(ticket)  # type: ignore[arg-type]


# --- create_store / missing_settings -----------------------------------------------------


def test_create_store_defaults_to_local(root: Path) -> None:
    built = create_store({"EVIDENCE_DIR": str(root)})
    assert isinstance(built, LocalStore)
    assert built.name == "local"
    assert built.root == root


def test_create_store_local_explicit_and_case_insensitive(root: Path) -> None:
    built = create_store({"EVIDENCE_STORE": "Local", "EVIDENCE_DIR": root})
    assert isinstance(built, LocalStore)
    assert built.root == root


@pytest.mark.parametrize("config", [{}, {"EVIDENCE_STORE": "local"}, {"EVIDENCE_DIR": ""}])
def test_create_store_local_names_missing_dir(config: dict) -> None:
    assert missing_settings(config) == ["EVIDENCE_DIR"]
    with pytest.raises(StorageError, match=r"^EVIDENCE_STORE=local needs EVIDENCE_DIR$"):
        create_store(config)


def test_create_store_refuses_unknown_backend(root: Path) -> None:
    config = {"EVIDENCE_STORE": "ftp", "EVIDENCE_DIR": str(root)}
    assert missing_settings(config) == ["EVIDENCE_STORE"]
    with pytest.raises(StorageError, match="unknown EVIDENCE_STORE 'ftp'"):
        create_store(config)


def test_missing_settings_empty_when_complete(root: Path) -> None:
    assert missing_settings({"EVIDENCE_DIR": str(root)}) == []
    # Settings for the other backend are irrelevant to the local one.
    assert missing_settings({"EVIDENCE_DIR": str(root), "S3_BUCKET": None}) == []


# --- round trip --------------------------------------------------------------------------


def test_round_trip_save_open_list_delete(store: LocalStore, root: Path) -> None:
    ticket = uuid4().hex
    key = new_key(ticket)
    before = datetime.now(UTC) - timedelta(seconds=5)

    store.save(key, PDF, content_type="application/pdf", sha256_hex=sha(PDF))

    assert (root / key).read_bytes() == PDF
    with store.open(key) as fh:
        assert fh.read() == PDF

    listed = list(store.list())
    assert listed == [StoredObject(key=key, size=len(PDF), modified_at=listed[0].modified_at)]
    modified = listed[0].modified_at
    assert modified.utcoffset() == timedelta(0)
    assert before <= modified <= datetime.now(UTC) + timedelta(seconds=5)

    store.delete(key)
    assert not (root / key).exists()
    assert list(store.list()) == []
    with pytest.raises(ObjectMissing):
        store.open(key)


def test_save_overwrites_and_open_readers_keep_old_bytes(store: LocalStore) -> None:
    key = new_key(uuid4().hex)
    store.save(key, b"first", content_type="text/plain", sha256_hex=sha(b"first"))
    with store.open(key) as old:
        store.save(key, b"second", content_type="text/plain", sha256_hex=sha(b"second"))
        # os.replace swaps the directory entry; a reader already open sees whole old data.
        assert old.read() == b"first"
    with store.open(key) as new:
        assert new.read() == b"second"


def test_list_filters_by_prefix(store: LocalStore) -> None:
    one, two = uuid4().hex, uuid4().hex
    keys_one = [new_key(one) for _ in range(2)]
    key_two = new_key(two)
    for key in [*keys_one, key_two]:
        store.save(key, key.encode(), content_type="text/plain", sha256_hex=sha(key.encode()))

    assert sorted(o.key for o in store.list(f"tickets/{one}/")) == sorted(keys_one)
    assert [o.key for o in store.list(f"tickets/{two}/")] == [key_two]
    assert {o.key: o.size for o in store.list()} == {k: len(k) for k in [*keys_one, key_two]}
    assert list(store.list("tickets/nobody/")) == []


def test_list_of_empty_or_absent_root_is_empty(store: LocalStore, root: Path) -> None:
    assert not root.exists()
    assert list(store.list()) == []


def test_list_skips_temp_and_foreign_files(store: LocalStore, root: Path) -> None:
    ticket = uuid4().hex
    key = new_key(ticket)
    store.save(key, PDF, content_type="application/pdf", sha256_hex=sha(PDF))
    (root / "tickets" / ticket / ".tmp-half-written").write_bytes(b"partial")
    (root / "tickets" / ticket / "notes.txt").write_bytes(b"x")
    (root / "tickets" / "README").write_bytes(b"x")

    assert [o.key for o in store.list()] == [key]


# --- atomic writes, permissions ----------------------------------------------------------


def test_save_leaves_no_temp_file(store: LocalStore, root: Path) -> None:
    ticket = uuid4().hex
    key = new_key(ticket)
    store.save(key, PDF, content_type="application/pdf", sha256_hex=sha(PDF))
    assert os.listdir(root / "tickets" / ticket) == [key.rsplit("/", 1)[1]]


def test_failed_save_leaves_nothing_behind(
    store: LocalStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = uuid4().hex
    key = new_key(ticket)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.local.os, "replace", broken_replace)
    with pytest.raises(StorageError, match="No space left on device"):
        store.save(key, PDF, content_type="application/pdf", sha256_hex=sha(PDF))

    assert os.listdir(root / "tickets" / ticket) == []


def test_files_are_0600_and_folders_0700(store: LocalStore, root: Path) -> None:
    ticket = uuid4().hex
    key = new_key(ticket)
    old_umask = os.umask(0o022)  # the usual umask, which would give 0o755 / 0o644
    try:
        store.save(key, PDF, content_type="application/pdf", sha256_hex=sha(PDF))
    finally:
        os.umask(old_umask)

    assert mode(root / key) == 0o600
    assert mode(root / "tickets" / ticket) == 0o700
    assert mode(root / "tickets") == 0o700
    assert mode(root) == 0o700


def test_save_refuses_data_that_does_not_match_sha256(store: LocalStore, root: Path) -> None:
    key = new_key(uuid4().hex)
    with pytest.raises(StorageError, match="does not match sha256_hex"):
        store.save(key, PDF, content_type="application/pdf", sha256_hex=sha(b"other"))
    with pytest.raises(StorageError, match="not a hex string"):
        store.save(key, PDF, content_type="application/pdf", sha256_hex="zz")
    assert not root.exists()


# --- key validation ----------------------------------------------------------------------

HEX = "0123456789abcdef" * 2
BAD_KEYS = [
    "../outside",
    "../../etc/passwd",
    "/etc/passwd",
    f"/tickets/{HEX}/{HEX}",
    f"tickets/{HEX}/../{HEX}",
    f"tickets/../{HEX}/{HEX}",
    f"tickets/{HEX}/{HEX}/..",
    f"tickets/{HEX}/{HEX}/extra",
    f"tickets/{HEX}",
    f"tickets/{HEX}/{HEX.upper()}",
    f"tickets/{HEX}/{HEX}\n",
    f"tickets/{HEX}/{HEX}\x00",
    f"tickets//{HEX}",
    f"tickets\\{HEX}\\{HEX}",
    f"uploads/{HEX}/{HEX}",
    f"tickets/{HEX}/passport.pdf",
    f"tickets/{HEX}/{HEX}.preview/page-0.png",
    f"tickets/{HEX}/{HEX}.preview/page-01.png",
    f"tickets/{HEX}/{HEX}.preview/page-1000.png",
    f"tickets/{HEX}/{HEX}.preview/page-1.gif",
    f"tickets/{HEX}/{HEX}.preview/../../{HEX}",
    f"tickets/{HEX}/{HEX}.preview",
    f"tickets/{HEX}/{HEX}.preview/page-1.png/x",
    f"readyz/{HEX}/x",
    "readyz/../x",
    "",
    ".",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_refused_everywhere(key: str, store: LocalStore, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="invalid evidence key"):
        store.save(key, b"x", content_type="text/plain", sha256_hex=sha(b"x"))
    with pytest.raises(StorageError, match="invalid evidence key"):
        store.open(key)
    with pytest.raises(StorageError, match="invalid evidence key"):
        store.delete(key)
    # Nothing was written anywhere, inside the root or beside it.
    assert all_files(tmp_path) == []


def test_bad_key_cannot_read_outside_root(store: LocalStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"do not serve")
    with pytest.raises(StorageError) as caught:
        store.open("../secret")
    assert not isinstance(caught.value, ObjectMissing)
    assert secret.read_bytes() == b"do not serve"


# --- missing objects, check() ------------------------------------------------------------


def test_open_missing_is_object_missing(store: LocalStore) -> None:
    key = new_key(uuid4().hex)
    with pytest.raises(ObjectMissing, match=key) as caught:
        store.open(key)
    assert isinstance(caught.value, StorageError)


def test_delete_missing_is_a_no_op(store: LocalStore, root: Path) -> None:
    store.delete(new_key(uuid4().hex))  # root does not even exist
    key = new_key(uuid4().hex)
    store.save(key, b"x", content_type="text/plain", sha256_hex=sha(b"x"))
    store.delete(key)
    store.delete(key)
    assert all_files(root) == []


def test_check_creates_private_root_and_leaves_no_file(store: LocalStore, root: Path) -> None:
    store.check()
    assert root.is_dir()
    assert mode(root) == 0o700
    assert os.listdir(root) == []


def test_check_fails_when_root_cannot_exist(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    store = LocalStore(blocker / "evidence")
    with pytest.raises(StorageError, match="not writable"):
        store.check()
    with pytest.raises(StorageError, match="cannot write evidence"):
        store.save(new_key(uuid4().hex), b"x", content_type="text/plain", sha256_hex=sha(b"x"))


# --- previews: derived objects next to their evidence ---------------------------------------


def test_preview_keys_sit_next_to_their_evidence() -> None:
    key = new_key(uuid4().hex)
    assert preview_key(key, 1, "png") == f"{key}.preview/page-1.png"
    assert preview_key(key, 30, "jpg") == f"{key}.preview/page-30.jpg"
    assert evidence_key_of(preview_key(key, 7, "png")) == key
    assert evidence_key_of(key) == key
    assert derived_prefix(key) == f"{key}.preview/"
    for page, extension in ((0, "png"), (1000, "png"), (1, "gif"), ("1", "png")):
        with pytest.raises(StorageError):
            preview_key(key, page, extension)  # type: ignore[arg-type]
    with pytest.raises(StorageError):
        preview_key(f"{key}.preview/page-1.png", 1, "png")  # no preview of a preview


def test_previews_are_stored_listed_and_deleted_with_their_evidence(
    store: LocalStore, root: Path
) -> None:
    ticket = uuid4().hex
    key, other = new_key(ticket), new_key(ticket)
    pages = [preview_key(key, n, "png") for n in (1, 2)]
    for k in (key, other, *pages):
        store.save(k, PDF, content_type="application/pdf", sha256_hex=sha(PDF))
    assert mode(root / key) == 0o600
    assert mode(root / f"{key}.preview") == 0o700
    assert sorted(o.key for o in store.list()) == sorted([key, other, *pages])
    assert sorted(o.key for o in store.list(derived_prefix(key))) == sorted(pages)
    with store.open(pages[1]) as fh:
        assert fh.read() == PDF

    assert sorted(delete_with_derived(store, key)) == sorted([key, *pages])

    assert [o.key for o in store.list()] == [other]
    assert not (root / f"{key}.preview").exists()  # the emptied folder went too
    assert delete_with_derived(store, other) == [other]
    assert list(store.list()) == []
