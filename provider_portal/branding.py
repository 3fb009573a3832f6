"""The council's own look: its name, logo, brand colour and footer links, from configuration.

A council service does not use the GOV.UK crown, logotype, typeface or Crown copyright, which
are reserved for GOV.UK itself. These settings are checked once, as the application starts: a
logo that is missing or not an image, or a brand colour that white text cannot be read on,
stops the start with a message saying what to change, rather than a broken header later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_COUNCIL_NAME = "Example Council"
# GOV.UK Frontend's own brand colour: 5.2:1 against white.
DEFAULT_BRAND_COLOUR = "#1d70b8"
# WCAG 2.2 success criterion 1.4.3: normal text needs 4.5:1 against its background. The header
# and the notification banners put white text on the brand colour.
MINIMUM_CONTRAST = 4.5
WHITE = "#ffffff"
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

# What a logo file may be, by its first bytes (never by its name): (content type, signature).
_IMAGE_SIGNATURES = (
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/gif", b"GIF87a"),
    ("image/gif", b"GIF89a"),
)
# An SVG is text: its root element within the first few hundred bytes (after any XML
# declaration or comment). It is served under a policy that runs nothing (see assets.py).
_SVG_ROOT = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!DOCTYPE[^>]*>\s*)?<svg[\s>]", re.S
)
MAX_LOGO_BYTES = 512 * 1024


class BrandingProblem(RuntimeError):
    """A branding setting the portal refuses to start with; the message says what to change."""


@dataclass(frozen=True)
class Council:
    """What the pages show of the council: the header, the footer and the accessibility page."""

    name: str
    brand_colour: str
    has_logo: bool
    accessibility_contact: str
    privacy_url: str
    contact_url: str


def _channel(value: int) -> float:
    """One sRGB channel (0-255) as relative luminance's linear value (WCAG 2.2's definition)."""
    scaled = value / 255
    return scaled / 12.92 if scaled <= 0.04045 else ((scaled + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """The relative luminance of a #rrggbb colour, from 0 (black) to 1 (white)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def brand_colour(value: str) -> str:
    """The colour in lower-case #rrggbb, if white text on it has enough contrast."""
    colour = value.strip()
    if not _HEX_COLOUR.fullmatch(colour):
        raise BrandingProblem(
            f"COUNCIL_BRAND_COLOUR must be a colour written as #rrggbb, such as #1d70b8 "
            f"(it is {value!r})"
        )
    ratio = contrast_ratio(colour, WHITE)
    if ratio < MINIMUM_CONTRAST:
        raise BrandingProblem(
            f"COUNCIL_BRAND_COLOUR {colour} has a contrast of {ratio:.2f}:1 with white text; "
            f"the header and banners need at least {MINIMUM_CONTRAST}:1 (WCAG 2.2 AA): "
            "choose a darker colour"
        )
    return colour.lower()


def logo_type(content: bytes) -> str | None:
    """The image type of a logo file's content, or None when it is not an image we serve."""
    for content_type, signature in _IMAGE_SIGNATURES:
        if content.startswith(signature):
            return content_type
    if _SVG_ROOT.match(content[:1024]):
        return "image/svg+xml"
    return None


def check_logo(path: str) -> str:
    """The logo's content type, if the file exists and is a PNG, JPEG, GIF or SVG image."""
    file = Path(path)
    if not file.is_file():
        raise BrandingProblem(f"COUNCIL_LOGO {path!r} is not a file the portal can read")
    if file.stat().st_size > MAX_LOGO_BYTES:
        raise BrandingProblem(
            f"COUNCIL_LOGO {path!r} is larger than {MAX_LOGO_BYTES // 1024} KB: use a smaller image"
        )
    content_type = logo_type(file.read_bytes())
    if content_type is None:
        raise BrandingProblem(f"COUNCIL_LOGO {path!r} is not a PNG, JPEG, GIF or SVG image")
    return content_type


def check_branding(config: Mapping[str, Any]) -> dict[str, str]:
    """Check the branding settings as the portal starts; the values to keep in its config
    (the colour written one way, the logo's content type)."""
    name = str(config.get("COUNCIL_NAME") or "").strip()
    if not name:
        raise BrandingProblem("COUNCIL_NAME must name the council, such as 'Example Council'")
    checked = {
        "COUNCIL_NAME": name,
        "COUNCIL_BRAND_COLOUR": brand_colour(str(config.get("COUNCIL_BRAND_COLOUR") or "")),
        "COUNCIL_LOGO_TYPE": "",
    }
    logo = str(config.get("COUNCIL_LOGO") or "").strip()
    if logo:
        checked["COUNCIL_LOGO_TYPE"] = check_logo(logo)
    for setting in ("COUNCIL_PRIVACY_URL", "COUNCIL_CONTACT_URL"):
        url = str(config.get(setting) or "").strip()
        if url and not url.startswith(("https://", "http://", "/")):
            raise BrandingProblem(f"{setting} must be a web address starting https:// ({url!r})")
    return checked


def council_from(config: Mapping[str, Any]) -> Council:
    """The council's details as the pages show them."""
    return Council(
        name=str(config["COUNCIL_NAME"]),
        brand_colour=str(config["COUNCIL_BRAND_COLOUR"]),
        has_logo=bool(config.get("COUNCIL_LOGO")),
        accessibility_contact=str(config.get("COUNCIL_ACCESSIBILITY_CONTACT") or ""),
        privacy_url=str(config.get("COUNCIL_PRIVACY_URL") or ""),
        contact_url=str(config.get("COUNCIL_CONTACT_URL") or ""),
    )
