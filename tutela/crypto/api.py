"""What other apps may import from crypto."""

from tutela.crypto.blind_index import BlindIndexField, blind_index
from tutela.crypto.errors import (
    CiphertextError,
    EncryptionError,
    KeyConfigurationError,
    KeyShreddedError,
)
from tutela.crypto.fields import (
    EncryptedBinaryField,
    EncryptedJSONField,
    EncryptedTextField,
    data_keys_prefetch,
    erased_column_value,
)
from tutela.crypto.markers import ERASED, ERASED_BYTES, is_erased
from tutela.crypto.models import KeyClass
from tutela.crypto.selectors import KeyStatus, subject_key_status
from tutela.crypto.services import (
    BulkShredResult,
    RotationResult,
    ShredResult,
    master_key_rotate,
    subject_shred,
    subjects_shred,
)

__all__ = [
    "ERASED",
    "ERASED_BYTES",
    "BlindIndexField",
    "BulkShredResult",
    "CiphertextError",
    "EncryptedBinaryField",
    "EncryptedJSONField",
    "EncryptedTextField",
    "EncryptionError",
    "KeyClass",
    "KeyConfigurationError",
    "KeyShreddedError",
    "KeyStatus",
    "RotationResult",
    "ShredResult",
    "blind_index",
    "data_keys_prefetch",
    "erased_column_value",
    "is_erased",
    "master_key_rotate",
    "subject_key_status",
    "subject_shred",
    "subjects_shred",
]
