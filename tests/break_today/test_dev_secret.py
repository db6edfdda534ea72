"""The development key file (config.development_secret): many processes at once, odd
files in its place, a folder that cannot be written, and production never touching it."""

from __future__ import annotations

import multiprocessing
import os
import stat
import warnings
from pathlib import Path

import pytest

import config
from config import DEVELOPMENT_SECRET, ConfigError, load_config


def _key(args: tuple[str, object]) -> str:
    folder, barrier = args
    barrier.wait(10)
    return load_config({}, folder)["SECRET_KEY"]


def test_eight_processes_at_once_share_one_key(tmp_path):
    for round_ in range(3):
        folder = tmp_path / f"inst{round_}"
        ctx = multiprocessing.get_context("fork")
        with ctx.Manager() as manager:
            barrier = manager.Barrier(8)
            with ctx.Pool(8) as pool:
                keys = pool.map(_key, [(str(folder), barrier)] * 8, chunksize=1)
        assert len(set(keys)) == 1, keys
        assert len(keys[0]) == 64
        assert (folder / DEVELOPMENT_SECRET).read_text() == keys[0]
        assert stat.S_IMODE((folder / DEVELOPMENT_SECRET).stat().st_mode) == 0o600


def test_an_existing_empty_file_is_refused_with_a_config_error(tmp_path):
    (tmp_path / DEVELOPMENT_SECRET).write_text("")
    with pytest.raises(ConfigError, match="empty"):
        load_config({}, tmp_path)


def test_a_dangling_symlink_in_its_place_is_a_config_error_not_a_crash(tmp_path):
    (tmp_path / DEVELOPMENT_SECRET).symlink_to(tmp_path / "nowhere")
    with pytest.raises(ConfigError):
        load_config({}, tmp_path)


def test_a_directory_in_its_place_is_a_config_error_not_a_crash(tmp_path):
    (tmp_path / DEVELOPMENT_SECRET).mkdir()
    with pytest.raises(ConfigError):
        load_config({}, tmp_path)


def test_binary_junk_in_the_file_is_a_config_error_not_a_crash(tmp_path):
    (tmp_path / DEVELOPMENT_SECRET).write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(ConfigError):
        load_config({}, tmp_path)


def test_a_one_character_key_is_not_trusted(tmp_path):
    """Anything non-empty is taken as the key: 'x' signs sessions."""
    (tmp_path / DEVELOPMENT_SECRET).write_text("x")
    try:
        key = load_config({}, tmp_path)["SECRET_KEY"]
    except ConfigError:
        return
    assert len(key) >= 32, f"a {len(key)}-character key was trusted: {key!r}"


def test_a_symlink_to_a_world_readable_file_is_not_trusted(tmp_path):
    """instance/dev-secret-key -> a file anyone can read (here 0644): its content becomes
    the session signing key."""
    elsewhere = tmp_path / "public.txt"
    elsewhere.write_text("a" * 64)
    elsewhere.chmod(0o644)
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / DEVELOPMENT_SECRET).symlink_to(elsewhere)
    try:
        key = load_config({}, instance)["SECRET_KEY"]
    except ConfigError:
        return
    assert key != "a" * 64, "a symlinked, world-readable file was trusted as the key"


def test_a_folder_that_cannot_be_made_warns_and_uses_a_random_key(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        one = load_config({}, blocker / "instance")["SECRET_KEY"]
        two = load_config({}, blocker / "instance")["SECRET_KEY"]
    assert len(one) == 64 and one != two
    assert any("cannot be written" in str(w.message) for w in seen)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes a read-only folder anyway")
def test_a_read_only_folder_warns_and_uses_a_random_key(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.warns(RuntimeWarning, match="cannot be written"):
            load_config({}, tmp_path)
    finally:
        tmp_path.chmod(0o700)


def test_an_unreadable_existing_file_is_a_config_error_not_a_crash(tmp_path, monkeypatch):
    (tmp_path / DEVELOPMENT_SECRET).write_text("b" * 64)

    def denied(self, *a, **k):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", denied)
    with pytest.raises((ConfigError, UserWarning)):
        config.development_secret(tmp_path)


def test_production_never_creates_or_reads_the_file(tmp_path):
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / DEVELOPMENT_SECRET).write_text("p" * 64)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"TRIAGE_ENV": "production"}, planted)
    empty = tmp_path / "empty"
    with pytest.raises(ConfigError):
        load_config({"TRIAGE_ENV": "production"}, empty)
    assert not (empty / DEVELOPMENT_SECRET).exists()
    try:
        cfg = load_config({"TRIAGE_ENV": "production", "SECRET_KEY": "s" * 64}, empty)
    except ConfigError:
        cfg = None
    assert not (empty / DEVELOPMENT_SECRET).exists()
    if cfg is not None:
        assert cfg["SECRET_KEY"] == "s" * 64
