from provider_portal.models import Role


def test_sign_in_page(client):
    soup = client.page("/sign-in")
    assert soup.h1.get_text() == "Sign in"


def test_manager_sees_cases(client_for, make):
    make.case(case_ref="EHC1")
    manager = client_for(Role.MANAGER)
    soup = manager.page("/cases")
    assert "EHC1" in soup.get_text()
