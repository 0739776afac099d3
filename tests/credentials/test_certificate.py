"""The printable certificate: a PNG whose QR code opens the credential's verify page."""

from __future__ import annotations

import cv2
import numpy as np

from hub.services.credentials.app import CATALOG
from hub.services.credentials.certificate import render_certificate


def test_certificate_qr_code_points_to_the_verify_page(library):
    credential = library.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r")
    url = f"{library.settings.public_url}/verify?id={credential.id}"
    for language in ("en", "fr"):
        png = render_certificate(
            learner="Ana Kilabuk",
            achievement=library.achievement("cybersecurity-foundations"),
            issued_on="2026-11-25",
            issuer="northlab",
            credential_id=credential.id,
            verify_url=url,
            catalog=CATALOG,
            language=language,
        )
        assert png.startswith(b"\x89PNG")
        image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape[:2] == (1240, 1754)
        decoded, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
        assert decoded == url
