"""Real evidence files for the tests, built here (a PDF written by hand, images by Pillow, Word and
Excel files by python-docx and openpyxl) and the bad ones the checks must refuse."""

from __future__ import annotations

import io
import random
import zipfile

import docx
import openpyxl
from PIL import Image


def pdf(text: str = "Bao cao nam 2026", padding: int = 0) -> bytes:
    """A small valid PDF of one page; `padding` bytes of a comment stream make it as large as needed."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    if padding:
        out += b"%" + b"x" * (padding - 2) + b"\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png(size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (183, 28, 28)).save(out, "PNG")
    return out.getvalue()


def jpg(size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (183, 28, 28)).save(out, "JPEG")
    return out.getvalue()


def docx_file(text: str = "Báo cáo kết quả thực hiện") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_file() -> bytes:
    book = openpyxl.Workbook()
    book.active["A1"] = "Kinh phí"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def noise_png(width: int = 1860, height: int = 1860) -> bytes:
    """A PNG of random pixels (it does not compress): 1860 × 1860 is about 9.9 MB."""
    pixels = random.Random(17).randbytes(width * height * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), pixels).save(out, "PNG", compress_level=1)
    return out.getvalue()


def docx_with_photo(megabytes: float = 9.5) -> bytes:
    """A real .docx carrying a photo-like member of random bytes (as a scanned page is)."""
    source = zipfile.ZipFile(io.BytesIO(docx_file()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as document:
        for info in source.infolist():
            document.writestr(info, source.read(info))
        photo = random.Random(23).randbytes(int(megabytes * 1024 * 1024))
        document.writestr("word/media/image1.jpeg", photo, compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def docx_bomb(unpacked_mb: int = 300) -> bytes:
    """A real .docx with one more member of `unpacked_mb` MB of zeros (a few hundred KB packed)."""
    source = zipfile.ZipFile(io.BytesIO(docx_file()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            bomb.writestr(info, source.read(info))
        with bomb.open("word/media/padding.bin", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(unpacked_mb):
                member.write(chunk)
    return out.getvalue()


EXECUTABLE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
