"""How pytest is set up for this suite: --durations gives wall-clock time also for tests frozen
by freezegun, and a DeprecationWarning from the portal's own code fails the test."""

from __future__ import annotations

import re
import warnings

import pytest

FROZEN_BY_A_FIXTURE = """
import time

import pytest
from freezegun import freeze_time


@pytest.fixture(autouse=True)
def frozen():
    with freeze_time("2025-03-01 12:00:00"):
        time.sleep(0.05)
        yield
        time.sleep(0.05)


@freeze_time("2024-08-01")
def test_frozen_by_its_decorator_too():
    time.sleep(0.05)
"""

DURATION = re.compile(r"^(-?[\d.e+]+)s (setup|call|teardown) +\S+::test_frozen", re.MULTILINE)


def test_durations_of_a_frozen_test_are_wall_clock(pytester: pytest.Pytester) -> None:
    """Runs in this process, so it sees the freezegun settings from tests/conftest.py."""
    pytester.makepyfile(test_frozen=FROZEN_BY_A_FIXTURE)
    result = pytester.runpytest_inprocess("--durations=0", "--durations-min=0", "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    durations = {when: float(seconds) for seconds, when in DURATION.findall(result.stdout.str())}
    assert durations.keys() == {"setup", "call", "teardown"}, result.stdout.str()
    # Each phase slept 0.05 s of real time; a frozen clock gives 0 or some 1.7e9 s.
    for when, seconds in durations.items():
        assert 0.05 <= seconds < 60, f"{when} took {seconds} s by pytest's clock"


@pytest.mark.parametrize("module", ["provider_portal", "provider_portal.cases.routes", "tests.x"])
def test_a_deprecation_in_the_projects_own_code_is_an_error(
    module: str, pytestconfig: pytest.Config
) -> None:
    """The filterwarnings of pyproject.toml, which pytest applies to every test."""
    if pytestconfig.getoption("pythonwarnings"):
        pytest.skip("-W on the command line takes precedence over pyproject.toml's filters")
    with pytest.raises(DeprecationWarning, match="the old way"):
        warnings.warn_explicit("the old way", DeprecationWarning, f"{module}.py", 1, module=module)


def test_a_select_given_tuples_fails_and_one_given_options_does_not(
    pytestconfig: pytest.Config,
) -> None:
    """WTForms drops (value, label) tuples in 3.4; the forms build choices with options()."""
    from wtforms import Form, SelectField

    from provider_portal.forms import options

    if pytestconfig.getoption("pythonwarnings"):
        pytest.skip("-W on the command line takes precedence over pyproject.toml's filters")

    class Tuples(Form):
        kind = SelectField(choices=[("a", "A")])

    class Options(Form):
        kind = SelectField(choices=options([("a", "A")]))

    with pytest.raises(DeprecationWarning, match="SelectField choices as tuples"):
        Tuples()
    assert [choice.value for choice in Options().kind.iter_choices()] == ["a"]
