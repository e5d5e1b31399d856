"""Secrets at rest: Fernet keys and the encrypted form of secret field values.

The key comes from ``HEADWATER_ENCRYPTION_KEY`` or, when that is unset, from
``$HEADWATER_HOME/encryption.key``, created on first use with mode 0600.  Creation
is atomic and safe between processes: the key is written to a private temporary
file which is then hard-linked into place, so a reader never sees a half-written
key and, when two processes race, both end up with the winner's key.  An existing
key file is never replaced: a lost key cannot be regenerated without losing every
saved secret.

This runs on the side of the client boundary that owns the store (the user's
process for the embedded store, the server for a remote one): a server's key never
leaves its home.  A secret value is stored as ``{"$encrypted": "<Fernet token>"}``,
the token holding the value's JSON.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from headwater.exceptions import ConfigurationError, DecryptionError

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

KEY_FILE_NAME = "encryption.key"
ENCRYPTED = "$encrypted"
SECRET_MASK = "**********"  # what a masked secret looks like (pydantic's own mask)
WRONG_KEY = "cannot decrypt: the encryption key differs from the one that saved this block"

_fernets: dict[tuple[str | None, str], Fernet] = {}
_lock = threading.Lock()


def get_fernet() -> Fernet:
    """The Fernet for this process's key (setting, else the key file in home)."""
    from headwater.settings import get_settings

    settings = get_settings()
    cache_key = (settings.encryption_key, str(settings.home))
    fernet = _fernets.get(cache_key)
    if fernet is None:
        with _lock:
            fernet = _fernets.get(cache_key)
            if fernet is None:
                if settings.encryption_key:
                    fernet = _fernet_from(
                        settings.encryption_key.encode(), "HEADWATER_ENCRYPTION_KEY"
                    )
                else:
                    fernet = _fernet_from(load_or_create_key(settings.home), "")
                _fernets[cache_key] = fernet
    return fernet


def generate_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _fernet_from(key: bytes, source: str) -> Fernet:
    from cryptography.fernet import Fernet

    try:
        return Fernet(key)
    except (ValueError, TypeError):
        raise ConfigurationError(
            f"{source} is not a Fernet key (32 url-safe base64-encoded bytes); make one with "
            '`python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"`'
        ) from None


def key_path(home: Path) -> Path:
    return home / KEY_FILE_NAME


def load_or_create_key(home: Path) -> bytes:
    """The key kept in ``home``, created (0600, atomically) if there is none yet."""
    path = key_path(home)
    key = _read_key(path)
    if key is not None:
        return key
    try:
        home.mkdir(parents=True, exist_ok=True)
        _create_key_file(path)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot create the encryption key {path}: {exc.strerror or exc}; "
            "set HEADWATER_HOME to a writable directory or set HEADWATER_ENCRYPTION_KEY"
        ) from None
    key = _read_key(path)
    if key is None:  # pragma: no cover - only if someone deletes it this very moment
        raise ConfigurationError(f"the encryption key {path} vanished while it was created")
    return key


def _create_key_file(path: Path) -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process put its key there first: keep that one
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def _read_key(path: Path) -> bytes | None:
    from cryptography.fernet import Fernet

    for _ in range(50):
        try:
            key = path.read_bytes().strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read the encryption key {path}: {exc.strerror or exc}"
            ) from None
        if key:
            break
        time.sleep(0.01)  # pragma: no cover - a file system without hard links
    try:
        Fernet(key)
    except (ValueError, TypeError):
        raise ConfigurationError(
            f"{path} does not hold a valid encryption key; restore the original key file "
            "(a new key cannot decrypt the secrets saved with the old one)"
        ) from None
    return key


# -- the encrypted form of values ---------------------------------------------------------
def is_encrypted(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and ENCRYPTED in value


def encrypt_value(value: Any, fernet: Fernet) -> dict[str, str]:
    if is_encrypted(value):
        return value
    token = fernet.encrypt(json.dumps(value, separators=(",", ":")).encode())
    return {ENCRYPTED: token.decode()}


def decrypt_value(value: dict[str, str], fernet: Fernet, *, what: str) -> Any:
    from cryptography.fernet import InvalidToken

    try:
        return json.loads(fernet.decrypt(value[ENCRYPTED].encode()))
    except (InvalidToken, ValueError, TypeError):
        raise DecryptionError(
            f"{WRONG_KEY} ({what}); use the key it was saved with "
            "(HEADWATER_ENCRYPTION_KEY, or the encryption.key file of the home that saved it)"
        ) from None


def encrypt_paths(
    data: dict[str, Any],
    paths: Iterable[str],
    fernet: Fernet,
    *,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A copy of ``data`` with the values at ``paths`` (dotted) encrypted.

    A value equal to the mask is a secret sent back unchanged (a form showing masked
    values): the previously stored encrypted value is kept.
    """
    out = json.loads(json.dumps(data))  # a deep copy that is certainly JSON
    for path in paths:
        parts = path.split(".")
        parent: Any = out
        old: Any = previous
        for part in parts[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
            old = old.get(part) if isinstance(old, dict) else None
        leaf = parts[-1]
        if not isinstance(parent, dict) or leaf not in parent or parent[leaf] is None:
            continue
        old_value = old.get(leaf) if isinstance(old, dict) else None
        if parent[leaf] == SECRET_MASK and is_encrypted(old_value):
            parent[leaf] = old_value
        else:
            parent[leaf] = encrypt_value(parent[leaf], fernet)
    return out


def reveal(data: Any, fernet: Fernet, *, what: str) -> Any:
    """``data`` with every encrypted value decrypted."""
    if is_encrypted(data):
        return decrypt_value(data, fernet, what=what)
    if isinstance(data, dict):
        return {k: reveal(v, fernet, what=what) for k, v in data.items()}
    if isinstance(data, list):
        return [reveal(v, fernet, what=what) for v in data]
    return data


def mask(data: Any) -> Any:
    """``data`` with every encrypted value replaced by the mask."""
    if is_encrypted(data):
        return SECRET_MASK
    if isinstance(data, dict):
        return {k: mask(v) for k, v in data.items()}
    if isinstance(data, list):
        return [mask(v) for v in data]
    return data


def undecryptable(data: Any, fernet: Fernet) -> bool:
    """True when some encrypted value in ``data`` was made with another key."""
    from cryptography.fernet import InvalidToken

    if is_encrypted(data):
        try:
            fernet.decrypt(data[ENCRYPTED].encode())
        except (InvalidToken, ValueError, TypeError):
            return True
        return False
    if isinstance(data, dict):
        return any(undecryptable(v, fernet) for v in data.values())
    if isinstance(data, list):
        return any(undecryptable(v, fernet) for v in data)
    return False
