import base64
import hashlib
import json
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
from cryptography.fernet import InvalidToken

from litdata.format.chunk import items_start
from litdata.utilities.encryption import (
    DecryptionError,
    Encryption,
    EncryptionLevel,
    FernetEncryption,
    RSAEncryption,
    _derive_fernet_key,
)

GOLDEN = Path("/work/shared/fixtures/litdata-0.2.76")
golden_required = pytest.mark.skipif(not GOLDEN.exists(), reason="golden fixtures are not available")


@pytest.fixture(scope="module")
def fernet():
    return FernetEncryption("secret", level="chunk")


@pytest.fixture(scope="module")
def rsa():
    return RSAEncryption("secret")


def _classic_items(chunk: bytes) -> list[bytes]:
    num_items = struct.unpack_from("<I", chunk)[0]
    offsets = np.frombuffer(chunk, "<u4", num_items + 1, 4).tolist()
    starts = (items_start(num_items, aligned=False), items_start(num_items, aligned=True))  # LitData's, ours
    assert offsets[0] in starts and offsets[-1] == len(chunk)
    return [chunk[begin:end] for begin, end in zip(offsets[:-1], offsets[1:], strict=True)]


def _pair(item_blob: bytes) -> list[int]:
    assert struct.unpack_from("<II", item_blob) == (8, 8)
    return list(struct.unpack_from("<qq", item_blob, 8))


def _golden_pairs(case: str) -> list[list[int]]:
    return [values for _, values in pickle.loads((GOLDEN / f"{case}.expected.pkl").read_bytes())]


def test_encryption_levels_are_sample_and_chunk():
    assert (EncryptionLevel.SAMPLE, EncryptionLevel.CHUNK) == ("sample", "chunk")


def test_fernet_round_trips_bytes(fernet):
    assert fernet.decrypt(fernet.encrypt(b"payload")) == b"payload"


def test_fernet_accepts_memoryviews(fernet):
    assert fernet.decrypt(memoryview(fernet.encrypt(memoryview(b"view")))) == b"view"


def test_fernet_key_is_pbkdf2_sha256_of_the_password_and_salt(fernet):
    derived = hashlib.pbkdf2_hmac("sha256", b"secret", fernet.salt, 480_000, 32)
    assert fernet.key == base64.urlsafe_b64encode(derived)


def test_each_fernet_instance_gets_its_own_salt():
    assert FernetEncryption("same").salt != FernetEncryption("same").salt


def test_fernet_state_dict_holds_only_algorithm_and_level(fernet):
    assert fernet.state_dict() == {"algorithm": "fernet", "level": "chunk"}


def test_fernet_save_writes_algorithm_level_and_salt_without_the_password(fernet, tmp_path):
    fernet.save(tmp_path / "key.json")
    saved = json.loads((tmp_path / "key.json").read_text())
    assert saved == {"algorithm": "fernet", "level": "chunk", "salt": base64.urlsafe_b64encode(fernet.salt).decode()}


def test_fernet_loaded_from_its_file_decrypts_the_data(fernet, tmp_path):
    fernet.save(tmp_path / "key.json")
    loaded = FernetEncryption.load(tmp_path / "key.json", "secret")
    assert loaded.level == "chunk"
    assert loaded.decrypt(fernet.encrypt(b"data")) == b"data"


def test_loading_the_same_key_file_twice_derives_the_key_once(fernet, tmp_path):
    fernet.save(tmp_path / "key.json")
    FernetEncryption.load(tmp_path / "key.json", "secret")
    misses = _derive_fernet_key.cache_info().misses
    FernetEncryption.load(tmp_path / "key.json", "secret")
    assert _derive_fernet_key.cache_info().misses == misses


def test_fernet_survives_pickling(fernet):
    assert pickle.loads(pickle.dumps(fernet)).decrypt(fernet.encrypt(b"x")) == b"x"


def test_fernet_with_another_salt_raises_a_decryption_error_naming_the_password(fernet):
    with pytest.raises(DecryptionError, match="password") as error:
        FernetEncryption("secret").decrypt(fernet.encrypt(b"data"))
    assert isinstance(error.value, ValueError)
    assert isinstance(error.value.__cause__, InvalidToken)


def test_loading_a_file_that_is_not_a_fernet_key_is_refused(tmp_path):
    (tmp_path / "key.json").write_text(json.dumps({"algorithm": "rsa", "level": "sample"}))
    with pytest.raises(ValueError, match="not a Fernet key file"):
        FernetEncryption.load(tmp_path / "key.json", "pw")


@pytest.mark.parametrize("encryption_class", [FernetEncryption, RSAEncryption])
def test_unknown_level_error_lists_the_valid_levels(encryption_class):
    with pytest.raises(ValueError, match="should be either `sample` or `chunk`, got 'batch'"):
        encryption_class("pw", level="batch")


@golden_required
def test_fernet_key_saved_by_litdata_decrypts_its_chunk_level_chunks():
    encryption = FernetEncryption.load(GOLDEN / "fernet_chunk.key.json", "pw-1")
    index = json.loads((GOLDEN / "fernet_chunk" / "index.json").read_text())
    pairs = []
    for chunk in index["chunks"]:
        items = _classic_items(encryption.decrypt((GOLDEN / "fernet_chunk" / chunk["filename"]).read_bytes()))
        assert len(items) == chunk["chunk_size"]
        pairs.extend(_pair(item) for item in items)
    assert pairs == _golden_pairs("fernet_chunk")


@golden_required
def test_fernet_key_saved_by_litdata_decrypts_its_sample_level_items():
    encryption = FernetEncryption.load(GOLDEN / "fernet_sample.key.json", "pw-1")
    index = json.loads((GOLDEN / "fernet_sample" / "index.json").read_text())
    pairs = []
    for chunk in index["chunks"]:
        slots = _classic_items((GOLDEN / "fernet_sample" / chunk["filename"]).read_bytes())
        pairs.extend(_pair(encryption.decrypt(slot)) for slot in slots)
    assert pairs == _golden_pairs("fernet_sample")


@golden_required
def test_wrong_password_on_a_litdata_chunk_raises_a_decryption_error():
    encryption = FernetEncryption.load(GOLDEN / "fernet_chunk.key.json", "wrong")
    with pytest.raises(DecryptionError, match="password is wrong"):
        encryption.decrypt((GOLDEN / "fernet_chunk" / "chunk-0-0.bin").read_bytes())


def test_rsa_small_payload_is_a_plain_oaep_ciphertext(rsa):
    ciphertext = rsa.encrypt(b"tiny")
    assert len(ciphertext) == 256
    assert rsa.decrypt(ciphertext) == b"tiny"


def test_rsa_payload_too_large_for_oaep_round_trips_through_an_envelope(rsa):
    payload = bytes(range(256)) * 40
    ciphertext = rsa.encrypt(payload)
    assert ciphertext.startswith(b"LDRSAF1\x00")
    assert rsa.decrypt(ciphertext) == payload


def test_rsa_largest_oaep_payload_is_not_wrapped(rsa):
    assert len(rsa.encrypt(b"x" * 190)) == 256


def test_rsa_state_dict_holds_only_algorithm_and_level(rsa):
    assert rsa.state_dict() == {"algorithm": "rsa", "level": "sample"}


def test_rsa_with_other_keys_raises_a_decryption_error(rsa):
    other = RSAEncryption("secret")
    with pytest.raises(DecryptionError, match="another RSA key pair"):
        other.decrypt(rsa.encrypt(b"data"))
    with pytest.raises(DecryptionError, match="another RSA key pair"):
        other.decrypt(rsa.encrypt(b"data" * 100))


def test_rsa_save_writes_litdata_json_layout(rsa, tmp_path):
    rsa.save(tmp_path / "rsa.json")
    saved = json.loads((tmp_path / "rsa.json").read_text())
    assert set(saved) == {"private_key", "public_key", "password", "level"}
    assert saved["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED")
    assert saved["public_key"].startswith("-----BEGIN PUBLIC KEY-----")


def test_rsa_loaded_from_its_file_decrypts_the_data(rsa, tmp_path):
    rsa.save(tmp_path / "rsa.json")
    assert RSAEncryption.load(tmp_path / "rsa.json", "secret").decrypt(rsa.encrypt(b"data")) == b"data"


def test_rsa_load_with_a_wrong_password_names_the_problem(rsa, tmp_path):
    rsa.save(tmp_path / "rsa.json")
    with pytest.raises(DecryptionError, match="password is wrong"):
        RSAEncryption.load(tmp_path / "rsa.json", "wrong")


def test_rsa_keys_saved_as_pem_files_load_into_another_instance(rsa, tmp_path):
    rsa.save_keys(tmp_path / "private.pem", tmp_path / "public.pem")
    other = RSAEncryption("other")
    other.load_keys(tmp_path / "private.pem", tmp_path / "public.pem", "secret")
    assert other.decrypt(rsa.encrypt(b"data")) == b"data"
    assert rsa.decrypt(other.encrypt(b"back")) == b"back"


def test_rsa_key_files_holding_another_key_type_are_refused_at_load(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "private.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    (tmp_path / "public.pem").write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError, match="not an RSA key pair"):
        RSAEncryption("other").load_keys(tmp_path / "private.pem", tmp_path / "public.pem", "secret")


def test_rsa_survives_pickling(rsa):
    assert pickle.loads(pickle.dumps(rsa)).decrypt(rsa.encrypt(b"x" * 500)) == b"x" * 500


def test_custom_encryption_needs_only_the_core_methods_and_gets_a_state_dict():
    class Reverse(Encryption):
        level = EncryptionLevel.CHUNK

        @property
        def algorithm(self):
            return "reverse"

        def encrypt(self, data):
            return bytes(data)[::-1]

        def decrypt(self, data):
            return bytes(data)[::-1]

        def save(self, file_path):
            Path(file_path).write_text("{}")

        @classmethod
        def load(cls, file_path, password):
            return cls()

    custom = Reverse()
    assert custom.decrypt(custom.encrypt(b"abc")) == b"abc"
    assert custom.state_dict() == {"algorithm": "reverse", "level": "chunk"}


def test_encryption_without_encrypt_and_decrypt_cannot_be_created():
    class Incomplete(Encryption):
        @property
        def algorithm(self):
            return "none"

    with pytest.raises(TypeError):
        Incomplete()
