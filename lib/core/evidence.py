"""Evidence files (tệp minh chứng): what may be attached to a row, judged from the bytes, not the name.

`judge(data, name)` returns the file's kind, media type and hash, or raises `BadFile` with a
Vietnamese reason. The type comes from the content (puremagic's signatures), then the structure is
checked for what the kind claims: a PDF starts with `%PDF-` and ends with `%%EOF`; a PNG has a valid
IHDR chunk (CRC included) and ends with IEND; a JPEG's markers lead to a frame header with a size; a
.docx/.xlsx is a zip whose central directory is read first (member count, unpacked total and ratio,
no encryption, known compression), which holds `[Content_Types].xml` declaring a Word document or an
Excel workbook (macros refused) with its main part, and whose members all unpack to their declared
size with a matching CRC (streamed in chunks, so a lying directory cannot make it allocate more).
Executables, HTML, SVG and other markup are refused whatever their name. Nothing here opens a file,
a database or the network.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

import puremagic

from lib.core.formatting import fmt_decimal, fmt_int

MIB = 1024 * 1024
MAX_BYTES = 10 * MIB  # one file; Streamlit counts its own upload limit in the same MB (server.maxUploadSize)
MAX_MB = MAX_BYTES // MIB
MAX_NAME_CHARS = 150  # the stored name (a column of 200) keeps room to spare
MAX_NOTE_CHARS = 500
# A .docx/.xlsx, read from its central directory before anything is unpacked.
MAX_MEMBERS = 1_000
MAX_UNPACKED_BYTES = 200 * MIB  # every member together
MAX_RATIO = 100  # unpacked total over the file's size (real documents: 1–20)
MAX_MEMBER_RATIO = 500  # one member over 1 MB unpacked, over its packed size
MAX_CONTENT_TYPES_BYTES = 256 * 1024
MAX_IMAGE_PIXELS = 200_000_000
_CHUNK = 256 * 1024


@dataclass(frozen=True)
class Kind:
    code: str  # stored in attachment.kind
    label: str
    media_type: str
    extensions: tuple[str, ...]  # the first is the one a downloaded copy gets


KINDS = {
    k.code: k
    for k in (
        Kind("pdf", "PDF", "application/pdf", ("pdf",)),
        Kind("jpg", "Ảnh JPG", "image/jpeg", ("jpg", "jpeg")),
        Kind("png", "Ảnh PNG", "image/png", ("png",)),
        Kind(
            "docx",
            "Word (.docx)",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ("docx",),
        ),
        Kind(
            "xlsx",
            "Excel (.xlsx)",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ("xlsx",),
        ),
    )
}
EXTENSIONS = tuple(e for k in KINDS.values() for e in k.extensions)  # what the uploader offers
KINDS_TEXT = "PDF, JPG, PNG, DOCX, XLSX"
ACCEPTED = f"{KINDS_TEXT}; tối đa {MAX_MB} MB mỗi tệp"
STORED = "Không lưu tệp."

# The main part of an Office document, by kind: its name and the content type its manifest declares.
_MAIN_PART = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}
_MACRO_TYPES = (b"macroEnabled", b"vbaProject", b"application/vnd.ms-office.activeX")
# Windows forbids these in a name; a downloaded copy must be savable anywhere.
_RESERVED_CHARS = set('<>:"/\\|?*')
_WINDOWS_DEVICES = re.compile(r"(con|prn|aux|nul|com\d|lpt\d)(\..*)?", re.IGNORECASE)


class BadFile(ValueError):
    """A file refused as evidence; `message` is Vietnamese and says nothing was stored."""

    def __init__(self, reason: str) -> None:
        self.message = f"{reason} {STORED}"
        super().__init__(self.message)


@dataclass(frozen=True)
class Evidence:
    """A file accepted as evidence."""

    name: str  # as given (NFC), already safe: checked, never rewritten
    kind: str
    media_type: str
    size: int
    sha256: str


def size_text(n: int) -> str:
    """A file size as people read it: 812 KB, 10,0 MB."""
    if n >= MIB:
        return f"{fmt_decimal(n / MIB, 1)} MB"
    return f"{fmt_int(max(1, -(-n // 1024)))} KB" if n else "0 KB"


def check_name(name: str) -> tuple[str, str]:
    """Refuse a name that is not a plain file name of an accepted type; return it (NFC) and its extension."""
    name = unicodedata.normalize("NFC", name or "")
    if not name.strip():
        raise BadFile("Tệp không có tên.")
    bad = [c for c in name if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    if bad:
        raise BadFile(
            "Tên tệp có ký tự điều khiển hoặc ký tự ẩn (mã "
            + ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(bad))
            + "); hãy đổi tên tệp rồi tải lên lại."
        )
    if ".." in name.replace("\\", "/").split("/") or "/" in name or "\\" in name:
        raise BadFile("Tên tệp chứa đường dẫn (“/”, “\\” hoặc “..”); chỉ chấp nhận tên tệp đơn thuần.")
    reserved = sorted({c for c in name if c in _RESERVED_CHARS})
    if reserved:
        raise BadFile(
            f"Tên tệp có ký tự không dùng được trong tên tệp: {' '.join(reserved)}; hãy đổi tên tệp."
        )
    if name != name.strip() or name.startswith(".") or name.endswith("."):
        raise BadFile(
            "Tên tệp không được bắt đầu bằng dấu chấm hay khoảng trắng, hay kết thúc bằng dấu chấm."
        )
    if len(name) > MAX_NAME_CHARS:
        raise BadFile(
            f"Tên tệp dài {fmt_int(len(name))} ký tự, quá {MAX_NAME_CHARS} ký tự; hãy đặt tên ngắn hơn."
        )
    stem, dot, extension = name.rpartition(".")
    extension = extension.lower()
    if not dot or not stem.strip() or extension not in EXTENSIONS:
        raise BadFile(f"Tên tệp phải có đuôi của loại được nhận ({KINDS_TEXT}).")
    if _WINDOWS_DEVICES.fullmatch(stem):
        raise BadFile("Tên tệp trùng tên thiết bị của Windows (CON, PRN, NUL…); hãy đổi tên tệp.")
    return name, extension


def judge(data: bytes, name: str) -> Evidence:
    """Check a file's name, size, type and structure; return what it is, or raise BadFile."""
    name, extension = check_name(name)
    size = len(data)
    if size == 0:
        raise BadFile("Tệp rỗng (0 byte).")
    if size > MAX_BYTES:
        raise BadFile(f"Tệp nặng {size_text(size)}, quá giới hạn {MAX_MB} MB mỗi tệp.")
    kind = _kind_of(data)
    if extension not in KINDS[kind].extensions:
        raise BadFile(
            f"Tên tệp có đuôi .{extension} nhưng nội dung là {KINDS[kind].label}; hãy đặt đúng đuôi "
            f".{KINDS[kind].extensions[0]} rồi tải lên lại."
        )
    return Evidence(name, kind, KINDS[kind].media_type, size, hashlib.sha256(data).hexdigest())


def _kind_of(data: bytes) -> str:
    """The accepted kind the content is, or BadFile."""
    head = data[:512]
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF") or head[:4] in _MACHO or head.startswith(b"#!"):
        raise BadFile("Tệp là chương trình chạy được (không phải tài liệu), dù tên tệp là gì.")
    if _looks_like_markup(head):
        raise BadFile("Tệp là HTML, SVG hoặc XML: không nhận loại tệp này làm minh chứng, dù tên tệp là gì.")
    try:
        found = puremagic.magic_string(data[:4096] + data[-4096:] if len(data) > 8192 else data)
    except (puremagic.PureError, ValueError):
        found = []
    types = {m.mime_type for m in found}
    if types & {"text/html", "image/svg+xml", "application/xml", "application/xhtml+xml"}:
        raise BadFile("Tệp là HTML, SVG hoặc XML: không nhận loại tệp này làm minh chứng, dù tên tệp là gì.")
    if "application/vnd.microsoft.portable-executable" in types:
        raise BadFile("Tệp là chương trình chạy được (không phải tài liệu), dù tên tệp là gì.")
    if "application/pdf" in types:
        _check_pdf(data)
        return "pdf"
    if "image/png" in types:
        _check_png(data)
        return "png"
    if "image/jpeg" in types:
        _check_jpeg(data)
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        return _check_office(data)
    raise BadFile(f"Không nhận ra loại tệp từ nội dung; chỉ nhận {KINDS_TEXT}.")


_MACHO = {
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
}
_MARKUP = re.compile(rb"<(?:!doctype|html|svg|\?xml|head|body|script|!--|iframe|object|meta)", re.IGNORECASE)


def _looks_like_markup(head: bytes) -> bool:
    """HTML, SVG or XML, in UTF-8 or UTF-16, with a byte order mark or leading space or not."""
    text = head
    if text.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(text) > 1 and text[1:2] == b"\x00"):
        text = text.decode("utf-16", "ignore").encode("utf-8", "ignore")
    text = text.removeprefix(b"\xef\xbb\xbf").lstrip()
    return text.startswith(b"<") and (_MARKUP.match(text) is not None or text[1:2].isalpha())


def _check_pdf(data: bytes) -> None:
    if re.match(rb"%PDF-[12]\.\d", data) is None:
        raise BadFile("Tệp PDF không bắt đầu bằng phần đầu “%PDF-1.x”: tệp hỏng hoặc bị làm giả.")
    if b"%%EOF" not in data[-2048:]:
        raise BadFile("Tệp PDF thiếu phần kết thúc (%%EOF): tệp bị cắt cụt hoặc hỏng.")


def _check_png(data: bytes) -> None:
    if len(data) < 57 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise BadFile("Ảnh PNG hỏng: thiếu phần đầu IHDR.")
    (length,) = struct.unpack(">I", data[8:12])
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    (crc,) = struct.unpack(">I", data[29:33])
    if length != 13 or zlib.crc32(data[12:29]) != crc:
        raise BadFile("Ảnh PNG hỏng: phần đầu IHDR sai mã kiểm tra.")
    if depth not in (1, 2, 4, 8, 16) or colour not in (0, 2, 3, 4, 6):
        raise BadFile("Ảnh PNG hỏng: độ sâu màu hoặc kiểu màu không hợp lệ.")
    _check_pixels(width, height)
    if data[-12:-4] != b"\x00\x00\x00\x00IEND":
        raise BadFile("Ảnh PNG thiếu phần kết thúc (IEND): tệp bị cắt cụt hoặc hỏng.")


# Start-of-frame markers (baseline, progressive, lossless…): not DHT (C4), JPG (C8) or DAC (CC).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _check_jpeg(data: bytes) -> None:
    """Walk the markers from SOI to the first frame header and read the image's size."""
    if not data.startswith(b"\xff\xd8\xff"):
        raise BadFile("Ảnh JPG hỏng: thiếu phần đầu.")
    at, end = 2, len(data)
    while at + 4 <= end:
        if data[at] != 0xFF:
            break
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if length < 2 or at + 2 + length > end:
            break
        if marker in _SOF:
            if length < 8:
                break
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            _check_pixels(width, height)
            return
        if marker == 0xDA:  # scan data before any frame header
            break
        at += 2 + length
    raise BadFile("Ảnh JPG hỏng: không đọc được kích thước ảnh.")


def _check_pixels(width: int, height: int) -> None:
    if width == 0 or height == 0:
        raise BadFile("Ảnh hỏng: chiều rộng hoặc chiều cao bằng 0.")
    if width * height > MAX_IMAGE_PIXELS:
        raise BadFile(f"Ảnh {fmt_int(width)} × {fmt_int(height)} điểm ảnh, quá lớn để làm minh chứng.")


def _check_office(data: bytes) -> str:
    """A .docx or .xlsx: the central directory first, then the manifest, then every member's CRC."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise BadFile("Tệp nén (.docx/.xlsx) bị hỏng, không đọc được.") from None
    with archive:
        if len(infos) > MAX_MEMBERS:
            raise BadFile(
                f"Tệp gồm {fmt_int(len(infos))} phần, quá {fmt_int(MAX_MEMBERS)} phần của một tài liệu."
            )
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise BadFile("Tệp có hai phần trùng tên: tệp hỏng hoặc bị làm giả.")
        unpacked = sum(i.file_size for i in infos)
        if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_RATIO * len(data):
            raise BadFile(
                f"Tệp giải nén ra {size_text(unpacked)} từ {size_text(len(data))} (bom nén): "
                "không phải tài liệu thường."
            )
        for info in infos:
            if info.flag_bits & 0x1:
                raise BadFile("Tệp được đặt mật khẩu; hãy lưu lại không mật khẩu rồi tải lên.")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise BadFile("Tệp nén theo cách lạ, không phải tài liệu Word/Excel thường.")
            if info.file_size > MIB and info.file_size > MAX_MEMBER_RATIO * max(info.compress_size, 1):
                raise BadFile(
                    f"Phần “{info.filename[:60]}” giải nén ra {size_text(info.file_size)} từ "
                    f"{size_text(info.compress_size)} (bom nén): không phải tài liệu thường."
                )
        kind = _office_kind(archive, set(names))
        _verify_members(archive, infos)
    return kind


def _office_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "[Content_Types].xml" not in names:
        raise BadFile("Tệp nén không phải tài liệu Word/Excel: thiếu [Content_Types].xml.")
    info = archive.getinfo("[Content_Types].xml")
    if info.file_size > MAX_CONTENT_TYPES_BYTES:
        raise BadFile("Phần [Content_Types].xml quá lớn: tệp hỏng hoặc bị làm giả.")
    try:
        with archive.open(info) as part:
            manifest = part.read(MAX_CONTENT_TYPES_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise BadFile("Tệp nén (.docx/.xlsx) bị hỏng, không giải nén được.") from None
    if any(t in manifest for t in _MACRO_TYPES) or any(n.lower().endswith("vbaproject.bin") for n in names):
        raise BadFile("Tài liệu có macro hoặc điều khiển ActiveX: không nhận làm minh chứng.")
    for kind, (part_name, content_type) in _MAIN_PART.items():
        if part_name in names and content_type.encode() in manifest:
            return kind
    raise BadFile("Tệp nén không phải tài liệu Word (.docx) hay Excel (.xlsx): thiếu phần nội dung chính.")


def _verify_members(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Unpack every member in chunks: each must give its declared size and CRC (zipfile stops at the
    declared size and checks the CRC), so the totals checked above bound the work."""
    try:
        for info in infos:
            with archive.open(info) as part:
                while part.read(_CHUNK):
                    pass
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError, NotImplementedError):
        raise BadFile("Tệp nén (.docx/.xlsx) bị hỏng: có phần không giải nén đúng.") from None
