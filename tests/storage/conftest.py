"""The provider fixtures the storage tests upload with."""

from tests.provider.conftest import uploader

__all__ = ["uploader"]
