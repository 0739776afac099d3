"""Unix accounts refuse names that are northlab's own Unix groups."""

from __future__ import annotations

import pwd

import pytest

from hub.people.accounts import AccountError, ensure_user


@pytest.mark.parametrize("name", ["ni-north", "nl-north", "northlab-instructors"])
def test_group_names_get_no_account(tmp_path, name):
    # a user's own Unix group would be that course's (or cohort's) group
    with pytest.raises(AccountError, match="northlab's Unix groups"):
        ensure_user(name, tmp_path / name, set())
    with pytest.raises(KeyError):
        pwd.getpwnam(name)


def test_a_new_account_is_made_with_its_groups_in_one_command(tmp_path, monkeypatch):
    # account changes are one at a time (a lock): at a class start every command per new
    # learner is paid in turn by everyone after them
    import grp

    from hub.people import accounts

    name, group = "zzacct-one", "nl-zzacct-one"
    commands: list[tuple[str, ...]] = []
    real_run = accounts._run
    monkeypatch.setattr(accounts, "_run", lambda *cmd: (commands.append(cmd), real_run(*cmd)))
    try:
        entry = ensure_user(name, tmp_path / name, {group})
        assert name in grp.getgrnam(group).gr_mem
        assert entry.pw_dir == str(tmp_path / name)
        assert [cmd[0] for cmd in commands if cmd[0] != "groupadd"] == ["useradd"]
    finally:
        accounts.remove_user(name)
        real_run("groupdel", group)
