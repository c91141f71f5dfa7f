"""Evidence files are judged from their bytes: what is accepted, and each bad input refused with why."""

import io
import tracemalloc
import zipfile

import pytest

from lib.core import evidence
from lib.core.evidence import BadFile, judge
from tests.support import evidence_files as f

MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("Báo cáo năm 2026.pdf", f.pdf, "pdf"),
        ("ảnh trụ sở.JPG", f.jpg, "jpg"),
        ("anh-tru-so.jpeg", f.jpg, "jpg"),
        ("mặt bằng.png", f.png, "png"),
        ("Kế hoạch 12-KH.docx", f.docx_file, "docx"),
        ("kinh phí.xlsx", f.xlsx_file, "xlsx"),
    ],
)
def test_real_files_are_accepted_with_their_kind_and_hash(name, make, kind):
    data = make()
    got = judge(data, name)
    assert (got.kind, got.size, got.name) == (kind, len(data), name)
    assert got.media_type == evidence.KINDS[kind].media_type
    assert len(got.sha256) == 64


def test_a_decomposed_vietnamese_name_is_stored_composed():
    decomposed = "Ba\u0301o ca\u0301o.pdf"  # as macOS names files
    assert judge(f.pdf(), decomposed).name == "Báo cáo.pdf"


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("bao-cao.pdf", f.EXECUTABLE, "chương trình chạy được"),
        ("bao-cao.docx", f.ELF, "chương trình chạy được"),
        ("bao-cao.pdf", f.HTML, "HTML, SVG"),
        ("anh.png", f.SVG, "HTML, SVG"),
        ("anh.jpg", b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg'/>", "HTML, SVG"),
        ("bao-cao.pdf", "<html><body>x</body></html>".encode("utf-16"), "HTML, SVG"),
        ("bao-cao.pdf", b"", "Tệp rỗng"),
        ("bao-cao.pdf", b"just some text, not a document", "Không nhận ra loại tệp"),
        ("bao-cao.pdf", f.pdf()[:-30], "%%EOF"),
        ("anh.png", f.png()[:-12], "IEND"),
        ("anh.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 40, "JPG hỏng"),
        ("bao-cao.pdf", f.png(), "nội dung là Ảnh PNG"),
        ("bao-cao.xlsx", f.docx_file(), "nội dung là Word"),
    ],
)
def test_bad_content_is_refused_whatever_the_name(name, data, words):
    with pytest.raises(BadFile) as refused:
        judge(data, name)
    assert words in refused.value.message
    assert refused.value.message.endswith("Không lưu tệp.")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("../bao-cao.pdf", "đường dẫn"),
        ("..\\..\\windows\\bao-cao.pdf", "đường dẫn"),
        ("/etc/bao-cao.pdf", "đường dẫn"),
        ("bao\x00cao.pdf", "U+0000"),
        ("bao-cao\r\n.pdf", "U+000D, U+000A"),
        ("hoa-don\u202efdp.exe.pdf", "U+202E"),  # right-to-left override: shows as "…exe.pdf" reversed
        ("bao:cao.pdf", "không dùng được trong tên tệp: :"),
        ("", "không có tên"),
        (".pdf", "dấu chấm"),
        ("bao-cao", "phải có đuôi"),
        ("bao-cao.exe", "phải có đuôi"),
        ("bao-cao.html", "phải có đuôi"),
        ("CON.pdf", "tên thiết bị"),
        ("x" * 200 + ".pdf", "quá 150 ký tự"),
    ],
)
def test_unsafe_names_are_refused_not_repaired(name, words):
    with pytest.raises(BadFile) as refused:
        judge(f.pdf(), name)
    assert words in refused.value.message


def test_eleven_megabytes_are_refused_and_ten_accepted():
    with pytest.raises(BadFile) as refused:
        judge(f.pdf(padding=11 * MIB), "lon.pdf")
    assert "11,0 MB, quá giới hạn 10 MB" in refused.value.message
    at_limit = f.pdf(padding=10 * MIB - 1000)
    assert len(at_limit) <= evidence.MAX_BYTES
    assert judge(at_limit, "vua.pdf").size == len(at_limit)


def test_a_zip_bomb_inside_a_docx_is_refused_from_its_directory():
    bomb = f.docx_bomb(300)
    assert len(bomb) < MIB
    with pytest.raises(BadFile) as refused:
        judge(bomb, "bao-cao.docx")
    assert "bom nén" in refused.value.message


def test_a_smaller_bomb_is_refused_by_its_ratio():
    bomb = f.docx_bomb(40)  # 40 MB unpacked: under the total, far over the ratio
    with pytest.raises(BadFile) as refused:
        judge(bomb, "bao-cao.docx")
    assert "bom nén" in refused.value.message


def _zip(members: dict[str, bytes], **kwargs) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data, **kwargs)
    return out.getvalue()


def test_a_plain_zip_or_a_macro_document_is_not_a_docx():
    with pytest.raises(BadFile) as refused:
        judge(_zip({"readme.txt": b"hello"}), "bao-cao.docx")
    assert "[Content_Types].xml" in refused.value.message
    source = zipfile.ZipFile(io.BytesIO(f.docx_file()))
    members = {i.filename: source.read(i) for i in source.infolist()}
    members["word/vbaProject.bin"] = b"\x00" * 100
    with pytest.raises(BadFile) as refused:
        judge(_zip(members), "bao-cao.docx")
    assert "macro" in refused.value.message


def test_a_docx_with_a_corrupted_member_is_refused():
    data = bytearray(f.docx_file())
    at = data.find(b"word/document.xml") + len(b"word/document.xml") + 20  # inside its packed bytes
    data[at : at + 8] = b"\xff" * 8
    with pytest.raises(BadFile) as refused:
        judge(bytes(data), "bao-cao.docx")
    assert "hỏng" in refused.value.message


@pytest.mark.parametrize(
    ("case", "outcome"),
    [
        ("11mb", "refused"),
        ("10mb-pdf", "accepted"),
        ("10mb-png", "accepted"),
        ("10mb-docx", "accepted"),
        ("bomb", "refused"),
    ],
)
def test_peak_memory_of_the_checks_stays_small(case, outcome):
    """The allocations made while judging a file already in memory (as an upload is) peak under
    2 MB: no copy of the file, and the bomb's 300 MB are never unpacked at once."""
    data, name = {
        "11mb": lambda: (f.pdf(padding=11 * MIB), "lon.pdf"),
        "10mb-pdf": lambda: (f.pdf(padding=10 * MIB - 1000), "vua.pdf"),
        "10mb-png": lambda: (f.noise_png(), "anh.png"),
        "10mb-docx": lambda: (f.docx_with_photo(), "bao-cao.docx"),
        "bomb": lambda: (f.docx_bomb(300), "bao-cao.docx"),
    }[case]()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        try:
            judge(data, name)
            got = "accepted"
        except BadFile:
            got = "refused"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"{case}: {len(data) / MIB:.2f} MB file, {got}, peak allocations {peak / MIB:.2f} MB")
    assert got == outcome
    assert peak < 2 * MIB
