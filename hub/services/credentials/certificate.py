"""Printable certificate (PNG, A4 landscape at 150 dpi) with a QR code to the verify page."""

from __future__ import annotations

import io
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from hub.services.credentials.achievements import Achievement
from northlab.i18n import Catalog

WIDTH, HEIGHT = 1754, 1240
FONTS = Path("/usr/share/fonts/truetype/dejavu")


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path = FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _centered(draw: ImageDraw.ImageDraw, y: int, text: str, font: ImageFont.FreeTypeFont) -> int:
    box = draw.textbbox((0, 0), text, font=font)
    draw.text(((WIDTH - (box[2] - box[0])) // 2, y), text, font=font, fill="#1b2a41")
    return y + (box[3] - box[1]) + 24


def render_certificate(
    *,
    learner: str,
    achievement: Achievement,
    issued_on: str,
    issuer: str,
    credential_id: str,
    verify_url: str,
    catalog: Catalog,
    language: str,
) -> bytes:
    """PNG bytes of the certificate in ``language`` (the other language underneath)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, WIDTH - 30, HEIGHT - 30), outline="#1b2a41", width=8)
    draw.rectangle((52, 52, WIDTH - 52, HEIGHT - 52), outline="#8aa1c1", width=2)
    other = "fr" if language != "fr" else "en"
    y = _centered(draw, 130, catalog.text("cert_heading", language), _font(64, bold=True))
    y = _centered(draw, y, catalog.text("cert_heading", other), _font(32))
    y = _centered(draw, y + 30, catalog.text("cert_awarded_to", language), _font(34))
    y = _centered(draw, y, learner, _font(72, bold=True))
    y = _centered(draw, y + 20, achievement.name.get(language, achievement.name["en"]), _font(56))
    y = _centered(draw, y, achievement.name.get(other, achievement.name["en"]), _font(34))
    y = _centered(draw, y + 20, catalog.text("issued_on", language, date=issued_on), _font(30))
    _centered(draw, y, catalog.text("issuer_line", language, name=issuer), _font(26))
    qr = qrcode.QRCode(border=2, box_size=8)
    qr.add_data(verify_url)
    qr.make(fit=True)
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    code = code.resize((300, 300), Image.NEAREST)
    image.paste(code, (WIDTH - 400, HEIGHT - 420))
    small = _font(22)
    draw.text(
        (WIDTH - 400, HEIGHT - 115), catalog.text("cert_scan", language), font=small, fill="black"
    )
    draw.text(
        (100, HEIGHT - 150), catalog.text("credential_id_line", language), font=small, fill="black"
    )
    draw.text((100, HEIGHT - 120), f"urn:uuid:{credential_id}", font=small, fill="black")
    draw.text((100, HEIGHT - 90), verify_url, font=small, fill="#1b2a41")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
