"""Unix accounts refuse names that are northlab's own Unix groups."""

from __future__ import annotations

import pwd

import pytest

from hub.accounts import AccountError, ensure_user


@pytest.mark.parametrize("name", ["ni-north", "nl-north", "northlab-instructors"])
def test_group_names_get_no_account(tmp_path, name):
    # a user's own Unix group would be that course's (or cohort's) group
    with pytest.raises(AccountError, match="northlab's Unix groups"):
        ensure_user(name, tmp_path / name, set())
    with pytest.raises(KeyError):
        pwd.getpwnam(name)
