"""The council's own look from configuration: name, logo, brand colour and footer links,
checked on start-up; no GOV.UK crown, logotype, typeface or Crown copyright; the
accessibility statement."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from provider_portal.branding import contrast_ratio
from provider_portal.models import Role
from tests.files import PDF_BYTES
from tests.helpers import PortalClient

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def _sign_in_page(client: PortalClient) -> BeautifulSoup:
    return client.page("/sign-in")


def test_the_default_is_a_neutral_example_council(client):
    page = _sign_in_page(client)
    header = page.select_one("#council-header")
    assert " ".join(header.get_text().split()) == "Example Council"
    assert header.select_one("a")["href"] == "/sign-in"
    assert "Assessment provider portal" in page.select_one(".govuk-service-navigation").text
    assert client.get("/brand.css").get_data(as_text=True).strip() == (
        ":root { --govuk-brand-colour: #1d70b8; }"
    )
    assert client.get("/council-logo").status_code == 404


def test_no_crown_logotype_or_crown_copyright(client):
    page = _sign_in_page(client)
    html = str(page)
    assert page.select(".govuk-logo, .govuk-header__logotype, .govuk-footer__crown") == []
    assert page.select(".govuk-footer__licence-logo, .govuk-footer__copyright-logo") == []
    assert "Crown copyright" not in html and "Open Government Licence" not in html
    assert 'aria-label="GOV.UK"' not in html
    # Nor GOV.UK's crown icons.
    icons = page.select('link[rel~="icon"], link[rel="mask-icon"], link[rel="apple-touch-icon"]')
    assert [icon["href"] for icon in icons] == ["data:,"]
    footer = page.select_one("#council-footer")
    assert "© Example Council" in footer.text
    assert footer.find("a", string="Accessibility statement")["href"] == "/accessibility"


def test_the_gds_transport_font_is_not_loaded(client):
    page = _sign_in_page(client)
    sheets = [link["href"] for link in page.select('link[rel="stylesheet"]')]
    assert sheets[:2] == ["/vendor/govuk-frontend.min.css", "/brand.css"]
    css = client.get("/vendor/govuk-frontend.min.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    text = css.get_data(as_text=True)
    assert "GDS Transport" not in text
    assert "@font-face" not in text and "/assets/fonts/" not in text
    assert "font-family:arial,sans-serif" in text
    assert ".govuk-header{" in text  # the rest of the stylesheet is all there


def test_a_council_name_logo_colour_and_footer_links(other_portal, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG_BYTES)
    portal = other_portal(
        COUNCIL_NAME="Northshire County Council",
        COUNCIL_LOGO=str(logo),
        COUNCIL_BRAND_COLOUR="#00594F",
        COUNCIL_PRIVACY_URL="https://northshire.example/privacy",
        COUNCIL_CONTACT_URL="https://northshire.example/contact",
    )
    client = PortalClient(portal)
    page = _sign_in_page(client)
    image = page.select_one("#council-header img")
    assert image["src"] == "/council-logo" and image["alt"] == "Northshire County Council"
    served = client.get("/council-logo")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.get_data() == PNG_BYTES
    assert "default-src 'none'" in served.headers["Content-Security-Policy"]
    assert "--govuk-brand-colour: #00594f;" in client.get("/brand.css").get_data(as_text=True)
    footer = page.select_one("#council-footer")
    links = {a.get_text(strip=True): a["href"] for a in footer.select("a")}
    assert links == {
        "Accessibility statement": "/accessibility",
        "Privacy notice": "https://northshire.example/privacy",
        "Contact Northshire County Council": "https://northshire.example/contact",
    }
    assert "© Northshire County Council" in footer.text
    statement = client.page("/accessibility")
    assert "run by Northshire County Council" in statement.select_one("main").text


@pytest.mark.parametrize(
    ("colour", "message"),
    [
        ("#ffdd00", "COUNCIL_BRAND_COLOUR #ffdd00 has a contrast of 1.3"),  # GOV.UK yellow
        ("#f47738", "has a contrast of 2.78:1 with white text; .* at least 4.5:1"),
        ("#777777", "#777777 has a contrast of 4.48:1"),
        ("#1d70b9x", "must be a colour written as #rrggbb"),
        ("blue", "must be a colour written as #rrggbb"),
    ],
)
def test_a_brand_colour_white_text_cannot_be_read_on_refuses_to_start(
    other_portal, colour, message
):
    with pytest.raises(RuntimeError, match=message):
        other_portal(COUNCIL_BRAND_COLOUR=colour)


def test_a_brand_colour_just_reaching_the_contrast_starts():
    # #767676 is the lightest grey with 4.5:1 on white; #777777 falls short.
    assert contrast_ratio("#767676", "#ffffff") >= 4.5 > contrast_ratio("#777777", "#ffffff")
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#1d70b8", "#ffffff") == pytest.approx(5.17, abs=0.01)


def test_a_logo_that_is_missing_or_not_an_image_refuses_to_start(other_portal, tmp_path):
    with pytest.raises(RuntimeError, match="is not a file the portal can read"):
        other_portal(COUNCIL_LOGO=str(tmp_path / "missing.png"))
    fake = tmp_path / "logo.png"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")
    with pytest.raises(RuntimeError, match="is not a PNG, JPEG, GIF or SVG image"):
        other_portal(COUNCIL_LOGO=str(fake))
    pdf = tmp_path / "logo.pdf"
    pdf.write_bytes(PDF_BYTES)
    with pytest.raises(RuntimeError, match="is not a PNG, JPEG, GIF or SVG image"):
        other_portal(COUNCIL_LOGO=str(pdf))


def test_an_svg_logo_is_served_as_an_image_that_runs_nothing(other_portal, tmp_path):
    logo = tmp_path / "logo.svg"
    logo.write_bytes(b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    client = PortalClient(other_portal(COUNCIL_LOGO=str(logo)))
    served = client.get("/council-logo")
    assert served.mimetype == "image/svg+xml"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_an_empty_council_name_refuses_to_start(other_portal):
    with pytest.raises(RuntimeError, match="COUNCIL_NAME must name the council"):
        other_portal(COUNCIL_NAME="  ")


def test_the_accessibility_statement_is_public_and_linked_from_every_footer(client, client_for):
    statement = client.page("/accessibility")
    main = statement.select_one("main")
    assert statement.select_one("h1").get_text() == "Accessibility statement"
    assert "run by Example Council" in main.text
    contact = " ".join(statement.select_one("#accessibility-contact").get_text().split())
    assert "contact the SEND assessment team (send@council.example)" in contact
    issues = statement.select("#known-issues li")
    assert issues and all(issue.get_text(strip=True) for issue in issues)
    assert "partially compliant with the Web Content Accessibility Guidelines" in main.text
    manager = client_for(Role.MANAGER)
    home = manager.page("/cases/backlog")
    assert home.select_one("#council-footer a[href='/accessibility']")
