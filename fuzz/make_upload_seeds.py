#!/usr/bin/env python3
"""Writes the seeds of the upload_metadata fuzz target (fuzz/seeds/upload_metadata/).

Each seed is what the target takes apart: one byte N, then N bytes of query
string (`name=...`), then the file's bytes. The files are tiny images built
here byte by byte with the standard library only (no image library needed),
so that the fuzzer starts inside each decoder chatd runs: a PNG (RGBA) and a
grey PNG carrying an eXIf chunk, a baseline JPEG and one with an EXIF
orientation, a lossless WebP, a GIF with a transparent colour, text that is no image
(HTML named .png, a plain text file), and a WebP that made its decoder panic.

chatd's unit test `media::tests::the_fuzz_seeds_are_images` checks that every
image seed decodes, but for those named bad_*: crafted files that broke a
decoder once, which chatd must refuse as invalid. Run from anywhere: python3 fuzz/make_upload_seeds.py
"""

import os
import struct
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "upload_metadata")

# A TIFF header with one IFD entry: Orientation (0x0112) = 6, "rotate 90°
# clockwise to display". What an EXIF block reduces to.
EXIF_TIFF = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) \
    + struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack(">I", 0)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width, height, colour_type, channels, pixel, extra=b""):
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in pixel(x, y)[:channels])
        for y in range(height)
    )
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra
            + png_chunk(b"IDAT", zlib.compress(rows, 9)) + png_chunk(b"IEND", b""))


class Bits:
    """A bit writer, most significant bit first (JPEG) or least first (WebP, GIF)."""

    def __init__(self, msb_first):
        self.msb_first = msb_first
        self.bits = []

    def put(self, value, count):
        order = range(count - 1, -1, -1) if self.msb_first else range(count)
        self.bits.extend((value >> i) & 1 for i in order)

    def bytes(self, pad_bit):
        bits = self.bits + [pad_bit] * (-len(self.bits) % 8)
        out = bytearray()
        for i in range(0, len(bits), 8):
            byte = bits[i:i + 8]
            if not self.msb_first:
                byte = byte[::-1]
            out.append(int("".join(map(str, byte)), 2))
        return bytes(out)


def huffman_codes(lengths):
    """Canonical codes for (symbol, length) pairs in order, as JPEG assigns them."""
    codes, code, length = {}, 0, 1
    for symbol, n in lengths:
        code <<= n - length
        length = n
        codes[symbol] = (code, n)
        code += 1
    return codes


def jpeg(app1=b""):
    """A 16x16 grey baseline JPEG with its own small Huffman tables: four
    blocks, each a DC step and a few low-frequency AC coefficients."""
    dc_table = [(0, 2), (1, 2), (2, 3), (3, 3), (4, 3), (5, 4)]
    ac_table = [(0x00, 2), (0x01, 2), (0x02, 3), (0x11, 3)]  # EOB, 0/1, 0/2, 1/1
    dc, ac = huffman_codes(dc_table), huffman_codes(ac_table)

    def magnitude(value):
        size = abs(value).bit_length()
        return size, value if value >= 0 else value + (1 << size) - 1

    # Per block: the DC difference, then (zero run, value) pairs.
    blocks = [(12, [(0, 3), (0, -2)]), (-9, [(1, 1)]), (4, [(0, -1), (1, 1)]), (-5, [])]
    bits = Bits(msb_first=True)
    for diff, coefficients in blocks:
        size, value = magnitude(diff)
        bits.put(*dc[size])
        bits.put(value, size)
        for run, coefficient in coefficients:
            size, value = magnitude(coefficient)
            bits.put(*ac[(run << 4) | size])
            bits.put(value, size)
        bits.put(*ac[0x00])
    scan = bits.bytes(pad_bit=1).replace(b"\xff", b"\xff\x00")

    def segment(marker, data):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(data) + 2) + data

    def dht(table_class, table):
        counts = [0] * 16
        for _, n in table:
            counts[n - 1] += 1
        return bytes([table_class << 4]) + bytes(counts) + bytes(s for s, _ in table)

    return (b"\xff\xd8"
            + (segment(0xE1, b"Exif\x00\x00" + app1) if app1 else b"")
            + segment(0xDB, b"\x00" + bytes([8] * 64))
            + segment(0xC0, struct.pack(">BHHB", 8, 16, 16, 1) + b"\x01\x11\x00")
            + segment(0xC4, dht(0, dc_table) + dht(1, ac_table))
            + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
            + scan + b"\xff\xd9")


def vp8l_start(width, height):
    """A lossless WebP's header bits up to its first prefix code: no
    transforms, no colour cache, one group of prefix codes."""
    bits = Bits(msb_first=False)
    bits.put(width - 1, 14)
    bits.put(height - 1, 14)
    bits.put(1, 1)  # alpha is used
    bits.put(0, 3)  # version
    bits.put(0, 1)  # no transform
    bits.put(0, 1)  # no colour cache
    bits.put(0, 1)  # no meta prefix codes
    return bits


def riff_vp8l(bits):
    data = b"\x2f" + bits.bytes(pad_bit=0)
    chunk = b"VP8L" + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) & 1)
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def webp():
    """A 4x3 lossless WebP: no transforms, and prefix codes of one or two
    symbols each, so every pixel is a few bits (green and blue vary)."""
    width, height = 4, 3
    bits = vp8l_start(width, height)

    def simple_code(*symbols):
        bits.put(1, 1)  # a simple code
        bits.put(len(symbols) - 1, 1)
        bits.put(1, 1)  # the first symbol takes 8 bits
        bits.put(symbols[0], 8)
        if len(symbols) == 2:
            bits.put(symbols[1], 8)

    simple_code(0x30, 0xD0)  # green
    simple_code(0x80)  # red
    simple_code(0x20, 0xF0)  # blue
    simple_code(0xC0)  # alpha
    simple_code(0)  # distance (unused)
    for y in range(height):
        for x in range(width):
            bits.put((x + y) & 1, 1)  # green: the code's index
            bits.put(x >> 1, 1)  # blue
    return riff_vp8l(bits)


def webp_overfull_code():
    """A lossless WebP whose green prefix code has more codes than its
    lengths allow: three of length 1, one of each length 2 to 14, two of 15.
    Counting them overflows image-webp 0.2.4's 16-bit counter, and that
    decoder panicked (the fuzzer found such a file in CI). chatd must refuse
    the upload as an invalid image, not fail with a 500."""
    bits = vp8l_start(4, 3)
    bits.put(0, 1)  # a normal code, given by the lengths of its codes
    # Those lengths are themselves prefix-coded: length 1 gets a 3-bit code,
    # lengths 2 to 15 get 4-bit ones (a complete code). All 19 are listed.
    order = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    length_code = {1: 3, **{n: 4 for n in range(2, 16)}}
    bits.put(len(order) - 4, 4)
    for symbol in order:
        bits.put(length_code.get(symbol, 0), 3)
    codes = huffman_codes(sorted(length_code.items(), key=lambda item: (item[1], item[0])))
    green = [1, 1, 1] + list(range(2, 15)) + [15, 15]
    bits.put(1, 1)  # the number of lengths that follow is given,
    bits.put(2, 3)  # in 2 + 2 * 2 bits
    bits.put(len(green) - 2, 6)
    for length in green:
        code, n = codes[length]
        for i in range(n - 1, -1, -1):  # a prefix code goes most significant bit first
            bits.put((code >> i) & 1, 1)
    bits.put(0, 64)  # room for the decoder to read ahead
    return riff_vp8l(bits)


def gif():
    """A 4x4 GIF of four colours, the last transparent. The LZW stream
    restarts (clear code) every two pixels, so every code stays 3 bits."""
    width, height = 4, 4
    palette = bytes([0, 0, 0, 255, 0, 0, 0, 255, 0, 255, 255, 255])
    pixels = [(x + 2 * y) % 4 for y in range(height) for x in range(width)]
    clear, end = 4, 5
    bits = Bits(msb_first=False)
    for i in range(0, len(pixels), 2):
        bits.put(clear, 3)
        for p in pixels[i:i + 2]:
            bits.put(p, 3)
    bits.put(end, 3)
    lzw = bits.bytes(pad_bit=0)
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF1, 0, 0) + palette
            + b"\x21\xf9\x04\x01\x00\x00\x03\x00"  # graphic control: colour 3 transparent
            + b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
            + b"\x02" + bytes([len(lzw)]) + lzw + b"\x00" + b"\x3b")


def seed(query, body):
    query = query.encode()
    assert len(query) < 256
    return bytes([len(query)]) + query + body


SEEDS = {
    "png": seed("name=pixel.png", png(3, 2, 6, 4, lambda x, y: (80 * x, 120 * y, 200, 255 - 60 * x))),
    "png_exif": seed("name=grey%20exif.png", png(
        5, 3, 0, 1, lambda x, y: (40 * x + 30 * y,), extra=png_chunk(b"eXIf", EXIF_TIFF))),
    "jpeg": seed("name=photo.jpg", jpeg()),
    "jpeg_exif": seed("name=C%3A%5Cphotos%5Crotated.jpeg", jpeg(EXIF_TIFF)),
    "webp": seed("name=sticker.webp", webp()),
    "gif": seed("name=anim.gif&x=1", gif()),
    "bad_webp_overfull_code": seed("name=overfull.webp", webp_overfull_code()),
    "html": seed("name=..%2F..%2Fnot%20an%20image.png",
                 b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n"),
    "text": seed("", "notes: caf\u00e9, na\u00efve\n".encode()),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"wrote {len(SEEDS)} seeds to {OUT}")
