#!/usr/bin/env python3
"""Draws the package icon as a PNG (standard library only), so no binary
image is kept in the repository.

Usage: make_icon.py SIZE OUT.png
A rounded blue tile with a white ring and a green check-dot: "in step".
"""

import math
import struct
import sys
import zlib


def pixel(x, y, n):
    """RGBA of pixel (x, y) in an n x n icon, with 4x4 supersampling."""
    acc = [0.0, 0.0, 0.0, 0.0]
    for sy in range(4):
        for sx in range(4):
            u = (x + (sx + 0.5) / 4) / n  # 0..1
            v = (y + (sy + 0.5) / 4) / n
            rgba = shade(u, v)
            a = rgba[3] / 255.0
            for i in range(3):
                acc[i] += rgba[i] * a
            acc[3] += a
    if acc[3] == 0:
        return (0, 0, 0, 0)
    return tuple(int(round(acc[i] / acc[3])) for i in range(3)) + (int(round(acc[3] / 16 * 255)),)


def shade(u, v):
    # rounded square tile
    r = 0.18
    dx = max(abs(u - 0.5) - (0.5 - r), 0)
    dy = max(abs(v - 0.5) - (0.5 - r), 0)
    if math.hypot(dx, dy) > r:
        return (0, 0, 0, 0)
    top, bottom = (41, 121, 214), (20, 66, 140)
    colour = tuple(int(top[i] + (bottom[i] - top[i]) * v) for i in range(3))
    # white ring
    d = math.hypot(u - 0.46, v - 0.46)
    if 0.20 <= d <= 0.30:
        colour = (255, 255, 255)
    # tail of the "q"
    if 0.60 <= u <= 0.70 and 0.46 <= v <= 0.86:
        colour = (255, 255, 255)
    # green dot
    if math.hypot(u - 0.76, v - 0.26) <= 0.10:
        colour = (76, 201, 99)
    return colour + (255,)


def png(n):
    rows = b"".join(
        b"\x00" + b"".join(struct.pack("BBBB", *pixel(x, y, n)) for x in range(n)) for y in range(n)
    )

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", n, n, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[2], "wb") as f:
        f.write(png(int(sys.argv[1])))


if __name__ == "__main__":
    main()
