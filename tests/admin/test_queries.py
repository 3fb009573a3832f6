"""The administration queries are plain: ids in, a record or None out (routes answer 404)."""

from __future__ import annotations

from provider_portal.admin.queries import (
    find_team_member,
    find_team_practitioner,
    provider_by_id,
    team,
    user_by_id,
)
from provider_portal.extensions import db
from provider_portal.models import Role


def test_lookups_answer_none_for_nobody(app, make):
    provider = make.provider()
    person = make.user(Role.MANAGER)
    assert user_by_id(person.id) is person and user_by_id(person.id + 1000) is None
    assert provider_by_id(provider.id) is provider and provider_by_id(provider.id + 1000) is None


def test_a_team_is_one_providers_people_and_nobody_elses(app, make):
    north, south = make.provider(), make.provider()
    boss = make.user(Role.PROVIDER_ADMIN, provider=north)
    worker = make.user(Role.PRACTITIONER, provider=north)
    stranger = make.user(Role.PRACTITIONER, provider=south)
    make.user(Role.MANAGER)
    assert set(db.session.scalars(team(north.id))) == {boss, worker}
    assert list(db.session.scalars(team(None))) == []
    assert find_team_member(north.id, boss.id) is boss
    assert find_team_member(north.id, stranger.id) is None
    assert find_team_member(None, stranger.id) is None
    assert find_team_practitioner(north.id, worker.id) is worker
    assert find_team_practitioner(north.id, boss.id) is None
