"""Draw the kit's own sample picture (a fish), so no third-party image ships."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw


def draw_fish(path: Path, size: int = 128) -> Path:
    img = Image.new("RGB", (size, size), (40, 90, 150))
    d = ImageDraw.Draw(img)
    s = size / 128
    for y in range(0, size, max(1, int(12 * s))):  # water ripples
        d.line([(0, y), (size, y + 4 * s)], fill=(50, 105, 165), width=1)
    d.ellipse([24 * s, 40 * s, 96 * s, 88 * s], fill=(240, 160, 40), outline=(90, 50, 10),
              width=max(1, int(2 * s)))
    d.polygon([(92 * s, 64 * s), (120 * s, 42 * s), (120 * s, 86 * s)], fill=(220, 120, 30))
    d.polygon([(50 * s, 44 * s), (66 * s, 24 * s), (74 * s, 46 * s)], fill=(220, 120, 30))
    for x in (46, 58, 70):  # scales
        d.arc([x * s, 52 * s, (x + 14) * s, 76 * s], 300, 60, fill=(150, 80, 20),
              width=max(1, int(2 * s)))
    d.ellipse([32 * s, 56 * s, 42 * s, 66 * s], fill=(255, 255, 255))
    d.ellipse([35 * s, 59 * s, 40 * s, 64 * s], fill=(0, 0, 0))
    img.save(path)
    return path


if __name__ == "__main__":
    import sys

    print(draw_fish(Path(sys.argv[1] if len(sys.argv) > 1 else "fish.png")))
