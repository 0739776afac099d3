import re
from pathlib import Path

from hub.services.gradebook.exports import LMS_LAYOUTS
from hub.services.gradebook.views import STATUSES
from northlab.i18n import Catalog

LOCALE = Path(__file__).parents[2] / "hub" / "services" / "gradebook" / "locale"
TEMPLATES = LOCALE.parent / "templates"


def test_every_english_message_is_in_french():
    catalog = Catalog(LOCALE)
    assert {"en", "fr"} <= set(catalog.languages)
    assert catalog.missing() == {}


def test_placeholders_match_between_languages():
    en, fr = Catalog(LOCALE).messages["en"], Catalog(LOCALE).messages["fr"]
    for key, text in en.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", fr[key])), key


def test_templates_use_only_catalogue_ids():
    en = Catalog(LOCALE).messages["en"]
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""(?<![\w.])[_m]\(["']([a-z0-9_.]+)["']""",
                               template.read_text()))
    fixed = {key for key in used if not key.endswith(".")}
    assert fixed and fixed <= set(en), fixed - set(en)
    # ids built from a prefix in the templates
    dynamic = {f"status.{s}" for s in STATUSES} | {f"export.summary.{x}" for x in LMS_LAYOUTS}
    dynamic |= {f"error.{code}.{part}" for code in (400, 403, 404, 500, 503)
                for part in ("title", "text")}
    assert dynamic <= set(en), dynamic - set(en)
