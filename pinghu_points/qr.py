"""The QR code of a notice posted on the board (the dividend 公示, the 议站 board): an inline
SVG drawn by segno, error correction M, never a Micro QR. Its link is a signed public URL
made by the page's own module (`dividends.notice`, `matters.board`)."""

import segno
from django.utils.safestring import mark_safe

QR_SVG_OPTIONS = {
    "scale": 1,
    "border": 4,
    "omitsize": True,
    "svgclass": "notice-qr-svg",
    "lineclass": None,
    "light": "#fff",
}


def notice_qr_svg(url):
    """The QR code of `url` as inline SVG, safe to render: segno draws modules only, no text
    of ours enters the SVG."""
    return mark_safe(segno.make(url, error="m", micro=False).svg_inline(**QR_SVG_OPTIONS))
