"""An activity's instructions (its markdown cells) as HTML for the Foundations pages.

mistune (already installed with nbconvert) with raw HTML escaped and harmful link schemes
dropped. Images are shown as their text: an activity's page never loads anything from
the internet, and a picture the learner needs is a file in the activity folder.
"""

from __future__ import annotations

import html

import mistune
from markupsafe import Markup


class Renderer(mistune.HTMLRenderer):
    def image(self, text: str, url: str, title: str | None = None) -> str:
        return html.escape(text)

    def heading(self, text: str, level: int, **attrs: object) -> str:
        # the page's own h1 and h2 come first: an activity's headings start at h3
        return super().heading(text, min(level + 2, 6), **attrs)


MARKDOWN = mistune.create_markdown(renderer=Renderer(escape=True),
                                   plugins=["table", "strikethrough"])


def render_markdown(text: str) -> Markup:
    return Markup(MARKDOWN(text))
