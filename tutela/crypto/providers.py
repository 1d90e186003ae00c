"""Key providers: where master keys and the blind-index key live (chosen by TUTELA_KEY_PROVIDER).

A provider wraps and unwraps data keys by master key id, names the current master key, and hands
out the blind-index key. The default keeps them in a local JSON file; an external KMS fits the same
interface (wrap/unwrap with an encryption context, key versions as master key ids).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import secrets
import stat
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pydantic
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from tutela.crypto.errors import KeyConfigurationError

_NONCE_BYTES = 12
_KEY_BYTES = 32


class UnwrapError(Exception):
    """A wrapped key does not open with the master key it names (wrong key, or tampered)."""


@dataclass(frozen=True)
class MasterKeyInfo:
    """What a provider tells about one master key (no key material)."""

    key_id: str
    created_at: datetime | None
    superseded_at: datetime | None
    current: bool


class KeyProvider(ABC):
    """Interface of a key provider; see LocalFileKeyProvider for the default."""

    @classmethod
    @abstractmethod
    def from_settings(cls) -> KeyProvider:
        """Build the provider from Django settings."""

    @abstractmethod
    def describe(self) -> str:
        """Where the keys live, for error messages ("key file /var/lib/tutela/keys/…")."""

    @abstractmethod
    def exists(self) -> bool:
        """Whether key material exists yet (a fresh install has none)."""

    @abstractmethod
    def create(self) -> None:
        """Create key material on first run; does nothing if another process just did."""

    @abstractmethod
    def problems(self) -> list[str]:
        """Reasons the key material cannot be used (unsafe permissions, unreadable), or none."""

    @abstractmethod
    def current_master_key_id(self) -> str:
        """The master key that wraps new data keys."""

    @abstractmethod
    def master_keys(self) -> list[MasterKeyInfo]:
        """Every master key the provider still holds."""

    @abstractmethod
    def wrap(self, *, master_key_id: str, key: bytes, context: bytes) -> bytes:
        """Encrypt a data key under a master key, bound to `context` (a KMS encryption context)."""

    @abstractmethod
    def unwrap(self, *, master_key_id: str, wrapped: bytes, context: bytes) -> bytes:
        """Open a wrapped data key; raises UnwrapError when it does not open."""

    @abstractmethod
    def blind_index_key(self) -> tuple[str, bytes]:
        """The blind-index HMAC key and its id; separate from every master key, never rotated."""

    @abstractmethod
    def add_master_key(self) -> str:
        """Create a new master key, make it current, and return its id (rotation)."""

    @abstractmethod
    def retire_master_key(self, master_key_id: str) -> None:
        """Forget a master key that nothing refers to any more; never the current one."""


class _KeyEntry(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    key: str
    created_at: datetime
    superseded_at: datetime | None = None


class _BlindIndexEntry(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    id: str
    key: str


class _KeyFile(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    format: str = pydantic.Field(pattern=r"^tutela-keys/1$")
    current_master_key: str
    master_keys: dict[str, _KeyEntry]
    blind_index_key: _BlindIndexEntry


def _decode_key(text: str, what: str, path: Path) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise KeyConfigurationError(f"{path}: {what} is not valid base64") from None
    if len(raw) != _KEY_BYTES:
        raise KeyConfigurationError(f"{path}: {what} must be {_KEY_BYTES} bytes, not {len(raw)}")
    return raw


def _new_key_id(prefix: str) -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"


def _now() -> datetime:
    return datetime.now(UTC)


class LocalFileKeyProvider(KeyProvider):
    """Master keys and the blind-index key in one JSON file, mode 0600, outside database backups.

    The file is re-read when it changes on disk (another process rotated the keys), so every
    process wraps new data keys with the current master key. Writes go to a temporary file that
    replaces the old one atomically, under an exclusive lock.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._file: _KeyFile | None = None
        self._masters: dict[str, AESGCM] = {}
        self._blind: tuple[str, bytes] | None = None

    @classmethod
    def from_settings(cls) -> LocalFileKeyProvider:
        """The file named by TUTELA_KEY_FILE."""
        return cls(Path(settings.TUTELA_KEY_FILE))

    def describe(self) -> str:
        """For messages."""
        return f"key file {self.path}"

    def exists(self) -> bool:
        """Whether the key file exists."""
        return self.path.exists()

    def create(self) -> None:
        """Write a fresh key file (0600, directory 0700) unless one appeared meanwhile."""
        now = _now()
        master_id = _new_key_id("mk")
        content = _KeyFile(
            format="tutela-keys/1",
            current_master_key=master_id,
            master_keys={master_id: _KeyEntry(key=_b64(AESGCM.generate_key(256)), created_at=now)},
            blind_index_key=_BlindIndexEntry(
                id=_new_key_id("bi"), key=_b64(secrets.token_bytes(_KEY_BYTES))
            ),
        )
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = self._write_temp(content)
        try:
            # link() fails if the file exists: two processes starting at once keep one file.
            os.link(temp, self.path)
        except FileExistsError:
            pass
        finally:
            temp.unlink()
        _fsync_dir(self.path.parent)

    def problems(self) -> list[str]:
        """Unsafe permissions or an unreadable file, as sentences saying what to do."""
        try:
            self._current()
        except KeyConfigurationError as exc:
            return [str(exc)]
        return []

    def current_master_key_id(self) -> str:
        """The id of the master key that wraps new data keys."""
        return self._current().current_master_key

    def master_keys(self) -> list[MasterKeyInfo]:
        """Every master key in the file."""
        data = self._current()
        return [
            MasterKeyInfo(
                key_id=key_id,
                created_at=entry.created_at,
                superseded_at=entry.superseded_at,
                current=key_id == data.current_master_key,
            )
            for key_id, entry in data.master_keys.items()
        ]

    def wrap(self, *, master_key_id: str, key: bytes, context: bytes) -> bytes:
        """nonce | AES-256-GCM(master, key) with the context as associated data."""
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._master(master_key_id).encrypt(nonce, key, context)

    def unwrap(self, *, master_key_id: str, wrapped: bytes, context: bytes) -> bytes:
        """Open a wrapped key; UnwrapError if the master key or the context does not match."""
        cipher = self._master(master_key_id)
        try:
            return cipher.decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], context)
        except InvalidTag:
            raise UnwrapError(
                f"master key {master_key_id} in {self.path} does not open this data key"
            ) from None

    def blind_index_key(self) -> tuple[str, bytes]:
        """The blind-index key and its id."""
        self._current()
        if self._blind is None:  # only if _load failed half-way; _current raised then
            raise KeyConfigurationError(f"{self.describe()} has no blind-index key")
        return self._blind

    def add_master_key(self) -> str:
        """Add a master key, make it current, mark the previous one superseded."""
        with self._exclusive():
            data = self._load()
            now = _now()
            old = data.master_keys[data.current_master_key]
            old.superseded_at = old.superseded_at or now
            new_id = _new_key_id("mk")
            data.master_keys[new_id] = _KeyEntry(key=_b64(AESGCM.generate_key(256)), created_at=now)
            data.current_master_key = new_id
            self._replace(data)
            return new_id

    def retire_master_key(self, master_key_id: str) -> None:
        """Remove a master key from the file (the caller checked nothing refers to it)."""
        with self._exclusive():
            data = self._load()
            if master_key_id == data.current_master_key:
                raise KeyConfigurationError(f"{master_key_id} is the current master key")
            data.master_keys.pop(master_key_id, None)
            self._replace(data)

    # --- internals -------------------------------------------------------------------------

    def _current(self) -> _KeyFile:
        """The parsed file, re-read if it changed on disk since the last read."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise KeyConfigurationError(
                f"{self.describe()} does not exist. Restore it from the key backup "
                "(docs/operations.md, Backups); Tutela creates a new one only on a fresh install "
                "with no encrypted data."
            ) from None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self._file is None or stamp != self._stamp:
            with self._lock:
                self._file = self._load()
                self._stamp = stamp
        return self._file

    def _load(self) -> _KeyFile:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            raise KeyConfigurationError(f"{self.describe()} cannot be read: {exc}") from None
        try:
            st = os.fstat(fd)
            if stat.S_IMODE(st.st_mode) & 0o077:
                raise KeyConfigurationError(
                    f"{self.describe()} can be read by other users (mode "
                    f"{stat.S_IMODE(st.st_mode):04o}); it holds the master keys. Run "
                    f"`chmod 600 {self.path}` and check who has read it."
                )
            with os.fdopen(fd, "rb", closefd=False) as handle:
                raw = handle.read()
        finally:
            os.close(fd)
        try:
            data = _KeyFile.model_validate_json(raw)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(top level)"
            raise KeyConfigurationError(
                f"{self.describe()} is not a valid Tutela key file: {where}: {first['msg']}"
            ) from None
        if data.current_master_key not in data.master_keys:
            raise KeyConfigurationError(
                f"{self.describe()}: current_master_key {data.current_master_key} is not in "
                "master_keys"
            )
        self._masters = {
            key_id: AESGCM(_decode_key(entry.key, f"master key {key_id}", self.path))
            for key_id, entry in data.master_keys.items()
        }
        self._blind = (
            data.blind_index_key.id,
            _decode_key(data.blind_index_key.key, "blind_index_key", self.path),
        )
        return data

    def _master(self, master_key_id: str) -> AESGCM:
        self._current()
        try:
            return self._masters[master_key_id]
        except KeyError:
            raise KeyConfigurationError(
                f"master key {master_key_id} is not in {self.describe()}: restore the key file "
                "that holds it (docs/operations.md, Backups)"
            ) from None

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        # A lock file beside the key file serialises rotations across processes.
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _write_temp(self, data: _KeyFile) -> Path:
        temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data.model_dump_json(indent=2).encode() + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        return temp

    def _replace(self, data: _KeyFile) -> None:
        temp = self._write_temp(data)
        os.replace(temp, self.path)
        _fsync_dir(self.path.parent)
        self._file = None  # re-read (and re-check) on next use


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
