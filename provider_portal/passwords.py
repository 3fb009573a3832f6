"""The password policy: 12 to 256 characters, no composition rules, and a deny list.

Following the NCSC's guidance: length and a list of common and breached passwords rather than
rules about symbols and digits. The list ships in provider_portal/data/ and holds only entries
the length rule would otherwise accept. No list can hold every keyboard walk at every length
("qwertyuiopasdfgh", "1qaz2wsx3edc4rfv"), so those are recognised by their shape instead.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 256
DENY_LIST = Path(__file__).resolve().parent / "data" / "common_passwords.txt"

ENTER = "Enter a password"
TOO_SHORT = f"Your password must be {MIN_LENGTH} characters or more"
TOO_LONG = f"Your password must be {MAX_LENGTH} characters or fewer"
TOO_COMMON = "Choose a password that is harder to guess: this one is too common"
TOO_PREDICTABLE = (
    "Choose a password that is harder to guess: this one is mostly a keyboard pattern, "
    "like qwerty, abcd, 1234 or aaaa"
)
# Lines people run along: the keyboard's rows (plain and shifted), its columns from the
# number row down, the alphabet and the digits. A run goes one way along one line.
KEYBOARD_LINES = (
    "`1234567890-=",
    "~!@#$%^&*()_+",
    "qwertyuiop[]\\",
    "asdfghjkl;'#",
    "\\zxcvbnm,./",
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "1qaz",
    "2wsx",
    "3edc",
    "4rfv",
    "5tgb",
    "6yhn",
    "7ujm",
    "8ik,",
    "9ol.",
    "0p;/",
)
# Three in a row is a run ("abc", "qwe", "aaa"); shorter coincidences are everywhere in words.
SHORTEST_RUN = 3
HINT = (
    f"Must be {MIN_LENGTH} characters or more. A few unrelated words are easy to remember and "
    "hard to guess. Spaces and any characters are allowed."
)


@lru_cache(maxsize=1)
def deny_list() -> frozenset[str]:
    """The shipped list of passwords too common to allow, lower case."""
    with DENY_LIST.open(encoding="utf-8") as handle:
        return frozenset(
            line.rstrip("\n").lower() for line in handle if line.strip() and line[0] != "#"
        )


def is_too_common(password: str) -> bool:
    """On the deny list (case-insensitively), or one character repeated."""
    return password.lower() in deny_list() or len(set(password)) == 1


def _positions() -> dict[str, list[tuple[int, int]]]:
    """Each character's places: (which line, where along it)."""
    places: dict[str, list[tuple[int, int]]] = {}
    for line_number, line in enumerate(KEYBOARD_LINES):
        for position, character in enumerate(line):
            places.setdefault(character, []).append((line_number, position))
    return places


_PLACES = _positions()


def _steps(first: str, second: str) -> set[tuple[int, int]]:
    """The (line, direction) pairs along which second comes straight after first."""
    return {
        (line, after - before)
        for line, before in _PLACES.get(first, [])
        for other_line, after in _PLACES.get(second, [])
        if line == other_line and abs(after - before) == 1
    }


def keyboard_run_share(password: str) -> float:
    """The share of the password's characters inside runs of three or more: along a line of
    KEYBOARD_LINES in one direction ("qwer", "4321", "hijk"), or one character repeated."""
    text = password.lower()
    covered = [False] * len(text)

    def mark(start: int, end: int) -> None:
        if end - start >= SHORTEST_RUN:
            covered[start:end] = [True] * (end - start)

    for start in range(len(text) - 1):
        end = start + 1
        while end < len(text) and text[end] == text[start]:
            end += 1
        mark(start, end)
        for step in _steps(text[start], text[start + 1]):
            end = start + 1
            while end < len(text) and step in _steps(text[end - 1], text[end]):
                end += 1
            mark(start, end)
    return sum(covered) / len(text) if text else 0.0


def is_keyboard_pattern(password: str) -> bool:
    """Mostly runs along the keyboard or the alphabet, or repeats: half or more of it."""
    return keyboard_run_share(password) >= 0.5


def password_problem(password: str | None) -> str | None:
    """What is wrong with a proposed password, in GOV.UK wording, or None if it is acceptable."""
    if not password or not password.strip():
        return ENTER
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    if is_too_common(password):
        return TOO_COMMON
    if is_keyboard_pattern(password):
        return TOO_PREDICTABLE
    return None
