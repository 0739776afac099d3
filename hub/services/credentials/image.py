"""The badge image of an achievement: a small bilingual SVG, embedded as a ``data:`` IRI.

Embedded, the image travels with the credential: a wallet or verifier shows it offline,
and it is signed with everything else. Deterministic (same achievement, same bytes).
"""

from __future__ import annotations

import base64
import hashlib
from xml.sax.saxutils import escape

from hub.services.credentials.achievements import Achievement

_SIZE = 256


def _lines(text: str, width: int = 22) -> list[str]:
    """Words wrapped into lines of at most ``width`` characters (at most three lines)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines[:3]


def badge_svg(achievement: Achievement) -> str:
    """SVG text: a coloured medallion with the achievement's name in each of its languages."""
    hue = int(hashlib.sha256(achievement.track.encode()).hexdigest()[:4], 16) % 360
    texts = []
    y = 84 if len(achievement.languages) > 2 else 92
    styles = [(17, "bold"), (14, "normal")] + [(13, "normal")] * (len(achievement.languages) - 2)
    for language, (size, weight) in zip(achievement.languages, styles, strict=True):
        for line in _lines(achievement.name[language])[:3 if language in ("en", "fr") else 2]:
            texts.append(
                f'<text x="128" y="{y}" font-size="{size}" font-weight="{weight}" '
                f'lang="{language}">{escape(line)}</text>'
            )
            y += size + 5
        y += 8
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_SIZE}" height="{_SIZE}" '
        f'viewBox="0 0 {_SIZE} {_SIZE}" role="img">'
        f"<title>{escape(achievement.name['en'])} / {escape(achievement.name['fr'])}</title>"
        f'<circle cx="128" cy="128" r="124" fill="hsl({hue},55%,30%)"/>'
        f'<circle cx="128" cy="128" r="110" fill="none" stroke="#fff" stroke-width="4"/>'
        f'<g fill="#fff" font-family="DejaVu Sans, Arial, sans-serif" text-anchor="middle">'
        f'<text x="128" y="62" font-size="13" letter-spacing="2">NORTHLAB</text>'
        f"{''.join(texts)}</g></svg>"
    )


def badge_data_iri(achievement: Achievement) -> str:
    """``data:image/svg+xml;base64,...`` of :func:`badge_svg`."""
    encoded = base64.b64encode(badge_svg(achievement).encode()).decode()
    return f"data:image/svg+xml;base64,{encoded}"
