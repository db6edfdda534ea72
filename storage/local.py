"""Evidence in a local folder: ``<root>/tickets/<ticket>/<file>``, private to this user.

Previews derived from a file live in ``<root>/tickets/<ticket>/<file>.preview/``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from storage import (
    ObjectMissing,
    StorageError,
    StoredObject,
    check_key,
    is_listed_key,
    sha256_digest,
)

DIR_MODE = 0o700
TEMP_PREFIX = ".tmp-"  # never matches the key shape, so list() skips in-flight writes


class LocalStore:
    name = "local"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).absolute()

    def _path(self, key: str) -> Path:
        # The strict key shape (no "..", no leading "/", fixed depth) is what keeps
        # every path inside root; nothing from a user ever reaches this join.
        return self.root / check_key(key)

    def _make_dirs(self, folder: Path) -> None:
        # mkdir(parents=True) would give the parents the umask's mode (often 0o755),
        # so create every missing level, root included, one by one as 0o700.
        to_create = []
        while not folder.exists() and folder != folder.parent:
            to_create.append(folder)
            folder = folder.parent
        for level in reversed(to_create):
            with contextlib.suppress(FileExistsError):  # a concurrent save made it
                level.mkdir(mode=DIR_MODE)

    def save(self, key: str, data: bytes, *, content_type: str, sha256_hex: str) -> None:
        # content_type is not kept: the caller records the sniffed type in its database.
        path = self._path(key)
        sha256_digest(data, sha256_hex)
        try:
            self._make_dirs(path.parent)
            # Temp file in the same folder so os.replace is an atomic rename: readers
            # see either no file or the whole file, never a partial one. mkstemp
            # creates it with O_EXCL and mode 0o600, whatever the umask.
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        except OSError as exc:
            raise StorageError(f"cannot write evidence {key}: {_reason(exc)}") from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise StorageError(f"cannot write evidence {key}: {_reason(exc)}") from exc
        self._fsync_dir(path.parent)

    @staticmethod
    def _fsync_dir(folder: Path) -> None:
        # Make the rename itself durable; best effort (not every filesystem allows it).
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise ObjectMissing(f"no evidence stored under {key}") from None
        except OSError as exc:
            raise StorageError(f"cannot read evidence {key}: {_reason(exc)}") from exc

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete evidence {key}: {_reason(exc)}") from exc
        if path.parent.name.endswith(".preview"):
            # The last page of a preview gone: drop its folder too (fails while not empty).
            with contextlib.suppress(OSError):
                path.parent.rmdir()

    def list(self, prefix: str = "tickets/") -> Iterator[StoredObject]:
        tickets = self.root / "tickets"
        try:
            ticket_dirs = sorted(tickets.iterdir()) if tickets.is_dir() else []
            for ticket_dir in ticket_dirs:
                if not ticket_dir.is_dir() or not f"tickets/{ticket_dir.name}/".startswith(
                    prefix[: len(f"tickets/{ticket_dir.name}/")]
                ):
                    continue
                yield from self._list_folder(ticket_dir, f"tickets/{ticket_dir.name}", prefix)
        except OSError as exc:
            raise StorageError(f"cannot list evidence: {_reason(exc)}") from exc

    def _list_folder(self, folder: Path, base: str, prefix: str) -> Iterator[StoredObject]:
        try:
            paths = sorted(folder.iterdir())
        except FileNotFoundError:  # a preview folder deleted since its parent was listed
            return
        for path in paths:
            key = f"{base}/{path.name}"
            if path.name.endswith(".preview") and base.count("/") == 1 and path.is_dir():
                yield from self._list_folder(path, key, prefix)
                continue
            # Only our own key shapes: skips temp files and anything not made by us.
            if not key.startswith(prefix) or not is_listed_key(key):
                continue
            try:
                st = path.stat()
            except FileNotFoundError:  # deleted since iterdir
                continue
            modified = datetime.fromtimestamp(st.st_mtime, tz=UTC)
            yield StoredObject(key=key, size=st.st_size, modified_at=modified)

    def check(self) -> None:
        # Readiness: prove we can really create a file under root, not just see it.
        try:
            self._make_dirs(self.root)
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.root)
            os.close(fd)
            os.unlink(tmp)
        except OSError as exc:
            reason = _reason(exc)
            raise StorageError(f"evidence folder {self.root} is not writable: {reason}") from exc


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
