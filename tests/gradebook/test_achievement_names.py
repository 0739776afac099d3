"""A learner's credentials are listed by their achievement's name in the page's language
(from the credential service's achievement texts), not by the achievement's id."""

from __future__ import annotations

from sqlalchemy import select

from hub.services.credentials.achievements import load_achievements
from hub.services.gradebook.catalogue import LABS_ROOT, LabCatalogue
from hub.services.records import Credential


async def test_credentials_show_the_achievement_name_in_the_page_language(get, seeded):
    engine, _ = seeded
    with engine.connect() as conn:
        learner, achievement_id = conn.execute(
            select(Credential.learner, Credential.achievement).limit(1)).one()
    names = load_achievements(LABS_ROOT)[achievement_id].name
    for language in ("en", "fr"):
        page = (await get("boss", f"learner/{learner}?lang={language}")).body.decode()
        assert f"<li>{names[language]} — " in page
        assert f"<li>{achievement_id} — " not in page


def test_a_broken_achievement_file_leaves_its_id_shown_not_an_error(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "achievement.toml").write_text("id = \n", encoding="utf-8")
    assert LabCatalogue.from_folder(tmp_path).achievement_names == {}
