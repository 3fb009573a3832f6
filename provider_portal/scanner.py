"""The virus scan every upload passes before it is stored: ClamAV's daemon, clamd.

The file is streamed to clamd over its socket (INSTREAM) from the temp file it was received
into; only a clean answer lets it be stored. When clamd cannot be reached, times out or
cannot scan the file, the upload is refused as ScannerUnavailable (the person sees a 503
page): no file is ever kept unscanned. SCANNER=none switches scanning off (development and
tests; production refuses to start with it unless ALLOW_NO_SCANNER=1, see config.py).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from clamav_client.clamd import (
    ClamdError,
    ClamdNetworkSocket,
    ClamdUnixSocket,
)

from provider_portal.errors import ScannerUnavailable, UploadRejected
from provider_portal.settings import setting

log = logging.getLogger(__name__)

SCANNERS = ("clamd", "none")
VIRUS_FOUND = "The selected file contains a virus, so it was not saved"
_SIGNATURE_CHARACTERS = re.compile(r"[^A-Za-z0-9._:-]")


def clamd_client(address: str, timeout: int) -> ClamdNetworkSocket:
    """A client for clamd at a unix socket path, or at host:port over TCP."""
    host, separator, port = address.rpartition(":")
    if separator and port.isdigit() and not address.startswith(("/", "unix:")):
        return ClamdNetworkSocket(host.strip("[]"), int(port), timeout=timeout)
    return ClamdUnixSocket(address, timeout=timeout)


def _signature(name: str | None) -> str:
    """The signature's name as clamd gave it, made safe for the audit trail."""
    return _SIGNATURE_CHARACTERS.sub("_", name or "unknown")[:100]


def scan(path: Path) -> None:
    """Pass the file through the configured scanner: return if clean, refuse it otherwise."""
    scanner = setting("SCANNER")
    if scanner == "none":
        return
    if scanner != "clamd":
        log.error("SCANNER is %r: it must be one of %s; uploads are refused", scanner, SCANNERS)
        raise ScannerUnavailable()
    client = clamd_client(setting("CLAMD_SOCKET"), setting("CLAMD_TIMEOUT"))
    try:
        with path.open("rb") as handle:
            results = client.instream(handle)
    except (ClamdError, OSError) as error:  # OSError covers refused, reset and timed out
        log.warning("virus scanner unavailable (%s): upload refused", type(error).__name__)
        raise ScannerUnavailable() from error
    status, found = results.get("stream", ("ERROR", "no answer"))
    if status == "OK":
        return
    if status == "FOUND":
        signature = _signature(found)
        log.warning("virus scanner found %s in an upload: refused", signature)
        raise UploadRejected(VIRUS_FOUND, reason="virus", detail=f"signature={signature}")
    log.warning("virus scanner could not scan an upload (%s): refused", _signature(found))
    raise ScannerUnavailable()
