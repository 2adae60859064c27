#!/usr/bin/env python3
"""Removes TrueType hinting from the shipped BIZ UD fonts, in place.

Hinting (the per-glyph instructions and the fpgm, prep and cvt tables)
tells a rasteriser how to snap outlines to a screen's pixel grid. PDF
viewers and printers do not need it, yet every PDF embeds it with each
glyph it uses: about a quarter of each embedded subset. Every glyph,
outline, metric, cmap and GSUB entry is kept, so nothing typeset moves.

    pip install fonttools
    python3 scripts/dehint_fonts.py      # run once on the original files

The originals: Debian's fonts-morisawa-bizud-gothic and -mincho (see
fonts/README.md). The SIL OFL 1.1 allows modified versions; these fonts
declare no Reserved Font Name.
"""
from pathlib import Path

from fontTools.ttLib import TTFont
from fontTools.ttLib.tables import ttProgram

FONTS = ["BIZUDPMincho-Regular.ttf", "BIZUDPGothic-Regular.ttf", "BIZUDPGothic-Bold.ttf"]


def dehint(path: Path) -> None:
    font = TTFont(path)
    glyf = font["glyf"]
    for name in font.getGlyphOrder():
        glyph = glyf[name]
        if hasattr(glyph, "program"):
            glyph.program = ttProgram.Program()
            glyph.program.fromBytecode(b"")
    # DSIG signed the original bytes, which are no longer these.
    for table in ("fpgm", "prep", "cvt ", "hdmx", "LTSH", "VDMX", "DSIG"):
        if table in font:
            del font[table]
    # No instructions left: the rasteriser needs no storage or stack for them.
    maxp = font["maxp"]
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                  "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions"):
        setattr(maxp, field, 0 if field != "maxZones" else 1)
    # Without hints, the smooth rendering is the only one.
    if "gasp" in font:
        font["gasp"].gaspRange = {0xFFFF: 0x000A}
    before = path.stat().st_size
    font.save(path)
    print(f"{path.name}: {before:,} -> {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    folder = Path(__file__).resolve().parent.parent / "fonts"
    for name in FONTS:
        dehint(folder / name)
