"""Secrets at rest: moved to ``headwater.core.encryption`` (the store side imports it
too); these names stay importable from here."""

from headwater.core.encryption import (
    ENCRYPTED,
    KEY_FILE_NAME,
    SECRET_MASK,
    decrypt_value,
    encrypt_paths,
    encrypt_value,
    generate_key,
    get_fernet,
    is_encrypted,
    key_path,
    load_or_create_key,
    mask,
    reveal,
    undecryptable,
)

__all__ = [
    "ENCRYPTED",
    "KEY_FILE_NAME",
    "SECRET_MASK",
    "decrypt_value",
    "encrypt_paths",
    "encrypt_value",
    "generate_key",
    "get_fernet",
    "is_encrypted",
    "key_path",
    "load_or_create_key",
    "mask",
    "reveal",
    "undecryptable",
]
