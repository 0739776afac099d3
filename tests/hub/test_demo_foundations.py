"""`make demo` has a Digital Foundations learner, and offers the foundations activities."""

from __future__ import annotations

from pathlib import Path

from hub.commands.demo import demo_labs, demo_logins
from hub.config.settings import REPO, Settings


def test_demo_has_a_foundations_learner_and_the_foundations_labs(tmp_path: Path) -> None:
    settings = Settings(data_root=tmp_path)
    settings.hub_dir.mkdir(parents=True)
    logins = {login.name: login for login in demo_logins(settings)}
    learner = logins["learner-foundations"]
    assert (learner.role, learner.track) == ("learner", "foundations")
    assert [name for name, login in logins.items() if login.track] == ["learner-foundations"]
    assert demo_logins(settings) == list(logins.values())  # the same passwords next time
    foundations = [lab.id for lab in demo_labs(REPO / "labs") if lab.track == "foundations"]
    assert len(foundations) >= 6
