"""Encryption of samples or whole chunks: the ``Encryption`` interface, Fernet (password based) and RSA.

Files written by :meth:`FernetEncryption.save` and :meth:`RSAEncryption.save` use LitData's JSON layout, so keys saved
by LitData load here and the other way round.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import types
from abc import ABC, abstractmethod
from typing import Any, Literal

try:
    from cryptography.fernet import Fernet, InvalidToken

    _HAS_CRYPTOGRAPHY = True
except ImportError:
    _HAS_CRYPTOGRAPHY = False

    class InvalidToken(Exception):  # type: ignore[no-redef]  # stands in when cryptography is not installed
        pass


_PBKDF2_ITERATIONS = 480_000
_SALT_BYTES = 16
_RSA_KEY_BITS = 2048
_RSA_PUBLIC_EXPONENT = 65537
_OAEP_HASH_BYTES = 32
# Payloads too large for RSA-OAEP are sealed with a one-off Fernet key, itself wrapped with RSA-OAEP:
# magic | RSA-OAEP(fernet key) (key size in bytes) | Fernet token.
_RSA_ENVELOPE_MAGIC = b"LDRSAF1\x00"


class EncryptionLevel:
    """Where encryption applies: to each sample's bytes or to each whole chunk file."""

    SAMPLE: Literal["sample"] = "sample"
    CHUNK: Literal["chunk"] = "chunk"


_LEVELS = (EncryptionLevel.SAMPLE, EncryptionLevel.CHUNK)


class DecryptionError(ValueError, InvalidToken):
    """Encrypted bytes cannot be decrypted with this key, typically because of a wrong password or key file.

    Also a ``cryptography.fernet.InvalidToken``, which is what LitData 0.2.76 raises there.
    """


def _validate_level(level: str) -> str:
    if level not in _LEVELS:
        raise ValueError(f"The provided `level` should be either `sample` or `chunk`, got {level!r}.")
    return level


def _require_cryptography() -> None:
    if not _HAS_CRYPTOGRAPHY:
        raise ModuleNotFoundError(
            "Encryption needs the `cryptography` package; install it: `pip install cryptography`."
        )


@functools.cache
def _primitives() -> Any:
    """cryptography's key, padding and key-derivation primitives, imported on first use: about 15 ms that every
    process importing the writer or the reader would otherwise pay, encrypted data or not (Fernet alone is 4 ms)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    return types.SimpleNamespace(
        hashes=hashes, serialization=serialization, padding=padding, rsa=rsa, PBKDF2HMAC=PBKDF2HMAC
    )


def _oaep_padding() -> Any:
    crypto = _primitives()
    sha256 = crypto.hashes.SHA256
    return crypto.padding.OAEP(mgf=crypto.padding.MGF1(algorithm=sha256()), algorithm=sha256(), label=None)


class Encryption(ABC):
    """Interface for an encryption scheme used by the writer and the reader.

    Subclasses set ``level`` (``"sample"`` by default) and implement ``algorithm``, ``encrypt``, ``decrypt``,
    ``save`` and ``load``. The writer and reader only use ``algorithm``, ``level``, ``encrypt``, ``decrypt`` and
    ``state_dict``; the state dict is what the dataset's ``index.json`` records.

    An instance travels to worker processes by pickling (``optimize`` workers, DataLoader workers), so keep its
    configuration (key bytes, options) in attributes. If it holds an object of another library that cannot be
    pickled (cryptography's ciphers cannot since cryptography 51), define ``__getstate__`` to return the
    configuration and ``__setstate__`` to rebuild that object from it, as :class:`FernetEncryption` does.
    """

    level: str = EncryptionLevel.SAMPLE

    @property
    @abstractmethod
    def algorithm(self) -> str:
        """Name of the algorithm, recorded in ``index.json`` and checked when reading."""

    @abstractmethod
    def encrypt(self, data: bytes) -> bytes:
        """Return the encrypted form of ``data``."""

    @abstractmethod
    def decrypt(self, data: bytes) -> bytes:
        """Return the plaintext of ``data`` produced by :meth:`encrypt`."""

    def state_dict(self) -> dict[str, Any]:
        """Public description stored in ``index.json``: the algorithm and the level, never key material."""
        return {"algorithm": self.algorithm, "level": self.level}

    @abstractmethod
    def save(self, file_path: str) -> None:
        """Write what is needed (with the password) to decrypt the data later."""

    @classmethod
    @abstractmethod
    def load(cls, file_path: str, password: str) -> Encryption:
        """Recreate the encryption saved by :meth:`save` at ``file_path``."""


@functools.lru_cache(maxsize=16)
def _derive_fernet_key(password: str, salt: bytes) -> bytes:
    crypto = _primitives()
    kdf = crypto.PBKDF2HMAC(algorithm=crypto.hashes.SHA256(), length=32, salt=salt, iterations=_PBKDF2_ITERATIONS)
    return base64.urlsafe_b64encode(kdf.derive(password.encode("utf-8")))


def _fernet_decrypt(fernet: Any, data: bytes, hint: str) -> bytes:
    try:
        return fernet.decrypt(bytes(data))
    except InvalidToken as error:
        raise DecryptionError(f"Cannot decrypt the data with this key: {hint}") from error


class FernetEncryption(Encryption):
    """Symmetric encryption with a key derived from a password (PBKDF2-HMAC-SHA256) and a random salt.

    The salt is random per instance: to read data back, use the same instance or one returned by :meth:`load`
    from a file written by :meth:`save`. The key is derived once per (password, salt) and process.
    """

    def __init__(self, password: str, level: Literal["sample", "chunk"] = "sample") -> None:
        self._initialize(password, level, os.urandom(_SALT_BYTES))

    def _initialize(self, password: str, level: str, salt: bytes) -> None:
        _require_cryptography()
        self.level = _validate_level(level)
        self.password = password
        self.salt = salt
        self.key = _derive_fernet_key(password, salt)
        self.fernet = Fernet(self.key)

    @property
    def algorithm(self) -> str:
        return "fernet"

    def encrypt(self, data: bytes) -> bytes:
        """Encrypt ``data`` into one Fernet token."""
        return self.fernet.encrypt(bytes(data))

    def decrypt(self, data: bytes) -> bytes:
        """Decrypt one Fernet token; raises :class:`DecryptionError` for a wrong password or salt."""
        return _fernet_decrypt(
            self.fernet,
            data,
            "the password is wrong or the key file (salt) is not the one used to encrypt; "
            "load it with FernetEncryption.load(key_file, password).",
        )

    def save(self, file_path: str) -> None:
        """Write ``{"algorithm", "level", "salt"}`` as JSON; the password is not stored."""
        state = {**self.state_dict(), "salt": base64.urlsafe_b64encode(self.salt).decode("ascii")}
        with open(file_path, "w") as file:
            json.dump(state, file)

    @classmethod
    def load(cls, file_path: str, password: str) -> FernetEncryption:
        """Recreate the encryption saved at ``file_path`` (its salt and level) with ``password``."""
        with open(file_path) as file:
            state = json.load(file)
        if state.get("algorithm", "fernet") != "fernet" or "salt" not in state:
            raise ValueError(
                f"{file_path} is not a Fernet key file (expected the JSON written by FernetEncryption.save)."
            )
        instance = cls.__new__(cls)
        instance._initialize(password, state["level"], base64.urlsafe_b64decode(state["salt"]))
        return instance

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the configuration (password, level, salt and the derived key), never the live ``Fernet`` object:
        since cryptography 51 that object cannot be pickled, and workers started with ``spawn`` receive a copy."""
        state = dict(self.__dict__)
        state.pop("fernet", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        _require_cryptography()
        self.__dict__.update(state)
        self.fernet = Fernet(self.key)  # the key is already derived: no second PBKDF2 run in the worker


class RSAEncryption(Encryption):
    """Asymmetric encryption with a fresh 2048-bit RSA key pair, OAEP (MGF1-SHA256, SHA256) padding.

    Payloads up to 190 bytes are plain RSA-OAEP ciphertexts as in LitData. Larger payloads, on which LitData fails,
    are sealed in an envelope: a magic prefix, a one-off Fernet key wrapped with RSA-OAEP, then the Fernet token.
    LitData cannot decrypt such envelopes.
    """

    def __init__(self, password: str, level: Literal["sample", "chunk"] = "sample") -> None:
        _require_cryptography()
        self.level = _validate_level(level)
        self.password = password
        self.private_key = _primitives().rsa.generate_private_key(
            public_exponent=_RSA_PUBLIC_EXPONENT, key_size=_RSA_KEY_BITS
        )
        self.public_key = self.private_key.public_key()

    @property
    def algorithm(self) -> str:
        return "rsa"

    @property
    def _ciphertext_bytes(self) -> int:
        return self.public_key.key_size // 8

    def encrypt(self, data: bytes) -> bytes:
        """Encrypt ``data`` with the public key (an envelope for payloads larger than RSA-OAEP allows)."""
        data = bytes(data)
        if len(data) <= self._ciphertext_bytes - 2 * _OAEP_HASH_BYTES - 2:
            return self.public_key.encrypt(data, _oaep_padding())
        session_key = Fernet.generate_key()
        wrapped_key = self.public_key.encrypt(session_key, _oaep_padding())
        return _RSA_ENVELOPE_MAGIC + wrapped_key + Fernet(session_key).encrypt(data)

    def decrypt(self, data: bytes) -> bytes:
        """Decrypt with the private key; raises :class:`DecryptionError` when the key does not match."""
        data = bytes(data)
        hint = "the data was encrypted with another RSA key pair; load the matching keys with RSAEncryption.load."
        if len(data) != self._ciphertext_bytes and data.startswith(_RSA_ENVELOPE_MAGIC):
            key_end = len(_RSA_ENVELOPE_MAGIC) + self._ciphertext_bytes
            session_key = self._rsa_decrypt(data[len(_RSA_ENVELOPE_MAGIC) : key_end], hint)
            return _fernet_decrypt(Fernet(session_key), data[key_end:], hint)
        return self._rsa_decrypt(data, hint)

    def _rsa_decrypt(self, data: bytes, hint: str) -> bytes:
        try:
            return self.private_key.decrypt(data, _oaep_padding())
        except ValueError as error:
            raise DecryptionError(f"Decryption failed: cannot decrypt the data with this key: {hint}") from error

    def _private_pem(self) -> bytes:
        serialization = _primitives().serialization
        return self.private_key.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.TraditionalOpenSSL,
            encryption_algorithm=serialization.BestAvailableEncryption(self.password.encode("utf-8")),
        )

    def _public_pem(self) -> bytes:
        serialization = _primitives().serialization
        return self.public_key.public_bytes(
            encoding=serialization.Encoding.PEM, format=serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def _load_pems(self, private_pem: bytes, public_pem: bytes, password: str) -> None:
        crypto = _primitives()
        try:
            private_key = crypto.serialization.load_pem_private_key(private_pem, password=password.encode("utf-8"))
        except (ValueError, TypeError) as error:
            raise DecryptionError(
                "Incorrect password, could not decrypt key: the password is wrong or the RSA key file is damaged; "
                "pass the password used when the keys were saved."
            ) from error
        public_key = crypto.serialization.load_pem_public_key(public_pem)
        if not isinstance(private_key, crypto.rsa.RSAPrivateKey) or not isinstance(public_key, crypto.rsa.RSAPublicKey):
            raise ValueError(
                f"The key files hold a {type(private_key).__name__} and a {type(public_key).__name__}, not an RSA key "
                "pair; pass the PEM files written by RSAEncryption.save_keys."
            )
        self.private_key = private_key
        self.public_key = public_key
        self.password = password

    def save_keys(self, private_key_path: str, public_key_path: str) -> None:
        """Write the password-protected private key and the public key as PEM files."""
        with open(private_key_path, "wb") as file:
            file.write(self._private_pem())
        with open(public_key_path, "wb") as file:
            file.write(self._public_pem())

    def load_keys(self, private_key_path: str, public_key_path: str, password: str) -> None:
        """Replace this instance's key pair by the PEM files written by :meth:`save_keys`."""
        with open(private_key_path, "rb") as private_file, open(public_key_path, "rb") as public_file:
            self._load_pems(private_file.read(), public_file.read(), password)

    def save(self, file_path: str) -> None:
        """Write LitData's JSON ``{"private_key", "public_key", "password", "level"}`` (the password in clear)."""
        state = {
            "private_key": self._private_pem().decode("ascii"),
            "public_key": self._public_pem().decode("ascii"),
            "password": self.password,
            "level": self.level,
        }
        with open(file_path, "w") as file:
            json.dump(state, file)

    @classmethod
    def load(cls, file_path: str, password: str) -> RSAEncryption:
        """Recreate the encryption saved at ``file_path``, unlocking its private key with ``password``."""
        _require_cryptography()
        with open(file_path) as file:
            state = json.load(file)
        if "private_key" not in state or "public_key" not in state:
            raise ValueError(f"{file_path} is not an RSA key file (expected the JSON written by RSAEncryption.save).")
        instance = cls.__new__(cls)
        instance.level = _validate_level(state.get("level", EncryptionLevel.SAMPLE))
        instance._load_pems(state["private_key"].encode("ascii"), state["public_key"].encode("ascii"), password)
        return instance

    def __getstate__(self) -> dict[str, Any]:
        serialization = _primitives().serialization
        private_der = self.private_key.private_bytes(
            encoding=serialization.Encoding.DER,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )
        return {"level": self.level, "password": self.password, "private_der": private_der}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.level = state["level"]
        self.password = state["password"]
        crypto = _primitives()
        private_key = crypto.serialization.load_der_private_key(state["private_der"], password=None)
        assert isinstance(private_key, crypto.rsa.RSAPrivateKey)  # __getstate__ wrote this instance's own RSA key
        self.private_key = private_key
        self.public_key = private_key.public_key()
