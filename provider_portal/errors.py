"""The one family of errors the services raise, each with a message written for the person.

A service raises one of these when a rule of the service stops an operation. Nothing it
started is kept: the caller rolls back. Each caller turns the error into its own answer: a
route into a form error or a page, the CLI into a message and an exit code, an import into a
row error. Nothing here knows about HTTP; `field` names the input at fault, when there is one.

    PortalError
    ├── NotFound          what was asked for does not exist (or is not the person's to see)
    ├── Conflict          someone else changed the same record meanwhile
    │   ├── StaleCase
    │   └── StaleContract (a ContractError too)
    ├── Unavailable       a service the portal relies on is down
    │   ├── MailError
    │   ├── ScannerUnavailable (the virus scanner did not answer: no file is stored unscanned)
    │   ├── StorageFailed  (the document store could not take the file: disk full, read-only)
    │   └── StoreUnavailable (the document store could not hand a file back: the bucket is down)
    ├── Resubmitted       the same form was sent again; what it records is saved once
    ├── AllocationError, PaperError, ContractError, AccountError, LinkInvalid, ReportError,
    │   LetterError
    │   └── AlreadyExists (an AccountError: the email address or provider name is taken)
    ├── UploadRejected, TabularError, CellError   a file or a cell the portal cannot take
    └── BackupError, DatabaseRoleError   a backup, or the database roles' set-up, failed
"""

from __future__ import annotations


class PortalError(Exception):
    """A rule stopped the operation; nothing was changed."""

    default_message = "The change could not be made"

    def __init__(self, message: str = "", field: str | None = None) -> None:
        self.message = message or self.default_message
        self.field = field
        super().__init__(self.message)


class NotFound(PortalError):
    """What was asked for does not exist, or is outside what the person may see."""

    default_message = "Not found"


class Conflict(PortalError):
    """Someone else changed the same record after the person read it; nothing was saved."""

    default_message = "Someone else changed this a moment ago. Reload the page to see it."


class Unavailable(PortalError):
    """A service the portal relies on (mail, a scanner) cannot be reached; nothing was saved."""

    default_message = "The service is not available at the moment. Try again later."


class MailError(Unavailable):
    """The message could not be handed to the mail server."""


class ScannerUnavailable(Unavailable):
    """The virus scanner could not be reached or could not scan the file: nothing is stored."""

    default_message = (
        "Files cannot be checked for viruses at the moment, so nothing was saved. Try again later."
    )
    reason = "scanner_unavailable"


class StorageFailed(Unavailable):
    """The document store could not take the file (disk full, read-only): nothing is kept."""

    default_message = "The file could not be saved, so nothing was recorded. Try again later."
    reason = "storage_failed"


class StoreUnavailable(Unavailable):
    """The document store could not be read (the bucket unreachable): nothing is served."""

    default_message = "Documents cannot be opened at the moment. Try again later."


class Resubmitted(PortalError):
    """The form was sent before (its nonce is used) and what it records is saved; nothing
    was saved again. Not a mistake: the person is answered as the first time."""

    default_message = "This form was sent before. What it records was saved once."


class AllocationError(PortalError):
    """A piece of work cannot be allocated, answered, returned, reviewed or closed."""


class QualityError(PortalError):
    """A send-back reason or a quality check cannot be recorded as given."""


class PaperError(PortalError):
    """A case paper cannot be added, shared or un-shared."""


class ContractError(PortalError):
    """A contract rule stopped the change, or the work cannot go under the contract."""


class StaleContract(ContractError, Conflict):
    """Someone else saved the contract after the person loaded it; nothing was changed."""

    default_message = (
        "Someone else changed this contract while you were editing it. "
        "Nothing was saved: check their changes and enter yours again."
    )


class StaleCase(Conflict):
    """The case changed since the person loaded the page."""


class AccountError(PortalError):
    """An account operation that cannot go ahead."""


class AlreadyExists(AccountError):
    """An account with the email address, or a provider with the name, is already there."""


class LinkInvalid(PortalError):
    """The invitation or reset link is unknown, used or expired (the person is told no more)."""


class LetterError(PortalError):
    """A family letter or its template cannot be produced or saved as asked."""


class ReportError(PortalError):
    """The months or dates asked for cannot make a report."""


class UploadRejected(PortalError):
    """The uploaded file is not one the portal accepts.

    `reason` is a short code for the audit trail (`macros`, `pdf_javascript`, `virus`...) and
    `detail` anything else worth recording (a virus's signature name); neither ever holds the
    file's name or contents, which may name the child.
    """

    def __init__(
        self, message: str = "", field: str | None = None, *, reason: str, detail: str = ""
    ) -> None:
        super().__init__(message, field)
        self.reason = reason
        self.detail = detail


class TabularError(PortalError):
    """An import file as a whole cannot be read."""


class CellError(PortalError):
    """One cell of an import file cannot be used."""


class BackupError(PortalError):
    """A backup could not be made or checked; nothing it names can be relied on."""


class DatabaseRoleError(PortalError):
    """The application's database role cannot be set up as asked."""
