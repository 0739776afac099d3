"""The foundations pages link the learner's grades under the hub's base URL, whatever it is."""

from __future__ import annotations

import pytest

from hub.foundations.handlers import TEMPLATES, hub_root


@pytest.mark.parametrize(("hub_prefix", "grades"), [
    ("/hub/", "/services/gradebook/me"),
    ("/northlab/hub/", "/northlab/services/gradebook/me"),
    ("/a/b/hub/", "/a/b/services/gradebook/me"),
])
def test_the_grades_link_follows_the_hubs_base_url(hub_prefix: str, grades: str) -> None:
    page = TEMPLATES.get_template("base.html").render(
        t=str, plain=str, language="en", languages=[], here="/user/ana/foundations",
        home="/user/ana/foundations", static="/user/ana/foundations/static", version="1",
        hub=hub_prefix, root=hub_root(hub_prefix))
    assert f'<a href="{grades}">nav.grades</a>' in page
    assert f'href="{hub_prefix}logout"' in page
