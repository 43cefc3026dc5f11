#!/usr/bin/env python3
"""Regenerates the EXIF-orientation fixtures: a 24x16 JPEG of 3x2 colour blocks (red,
green, blue / white, black, yellow; made with ImageMagick, no EXIF) with an APP1 "Exif"
segment spliced in after SOI. orient6 uses big-endian TIFF ("MM"), the others
little-endian ("II"), so both byte orders are covered.

  convert blocks.png -quality 100 -sampling-factor 1x1 -strip blocks.jpg
  python3 make_fixtures.py blocks.jpg

The other fixtures come from ImageMagick alone:
  convert blocks.png -type TrueColor -depth 8 -orient right-top -compress none orient6.tif
  convert blocks.png -quality 100 -sampling-factor 1x1 -colorspace CMYK cmyk.jpg
  convert -size 6x4 gradient:black-white -alpha set -channel A -fx 'i/5' +channel \
      -define png:color-type=4 gray_alpha.png
where blocks.png is
  convert -size 8x8 xc:red -size 8x8 xc:lime -size 8x8 xc:blue +append \
      \( -size 8x8 xc:white -size 8x8 xc:black -size 8x8 xc:yellow +append \) -append blocks.png
"""
import struct
import sys


def app1(orientation, big_endian):
    e = ">" if big_endian else "<"
    tiff = (b"MM\0*" if big_endian else b"II*\0") + struct.pack(e + "I", 8)
    # IFD0: one entry, tag 0x0112 SHORT count 1, value left-justified; next IFD 0.
    tiff += struct.pack(e + "H", 1) + struct.pack(e + "HHI", 0x0112, 3, 1)
    tiff += struct.pack(e + "H", orientation) + b"\0\0" + struct.pack(e + "I", 0)
    payload = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


base = open(sys.argv[1], "rb").read()
assert base[:2] == b"\xff\xd8"
for orientation in (3, 6, 8):
    with open(f"orient{orientation}.jpg", "wb") as f:
        f.write(base[:2] + app1(orientation, orientation == 6) + base[2:])
