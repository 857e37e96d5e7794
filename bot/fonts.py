"""Finding a font that can draw Chinese, for pictures and PDFs the bot makes.

Debian's fonts-wqy-microhei or fonts-noto-cjk are the usual ones; `POINTSBOT_CJK_FONT` may name a file.
Without one, callers fall back to text and say so: a picture of empty boxes helps nobody.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

FONT_FOLDERS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".fonts",
    Path("C:/Windows/Fonts"),
)
# File names of common CJK fonts, best first.
KNOWN_FONTS = (
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "NotoSerifCJK-Regular.ttc",
    "SourceHanSansSC-Regular.otf",
    "msyh.ttc",
    "simsun.ttc",
)
INSTALL_HINT = "install a Chinese font (Debian: apt-get install fonts-wqy-microhei) or set POINTSBOT_CJK_FONT"


def find_cjk_font(environ: Mapping[str, str] | None = None) -> Path | None:
    """The first CJK font found: POINTSBOT_CJK_FONT if it names a file, then the known fonts."""
    environ = os.environ if environ is None else environ
    named = environ.get("POINTSBOT_CJK_FONT", "")
    if named:
        return Path(named) if Path(named).is_file() else None
    for name in KNOWN_FONTS:
        for folder in FONT_FOLDERS:
            if folder.is_dir():
                found = next(folder.rglob(name), None)
                if found is not None:
                    return found
    return None
