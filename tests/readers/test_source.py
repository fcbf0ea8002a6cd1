"""The bytes layer (odr_analysis.readers.source): every rule, on small byte fixtures."""

from __future__ import annotations

import codecs
import gzip
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from odr_analysis.readers import source
from odr_analysis.readers.source import (
    ReportFormatError,
    Text,
    UnreadableText,
    first_line,
    looks_like_shift_jis,
    read_head,
    read_text,
    repair_mojibake,
)
from odr_analysis.schema import OdrInputError

GERMAN = "Datum\tBewertung\tKommentar\n01.02.25\t1\tGröße falsch, Bestätigung fehlt\n"
SPANISH = "Fecha\tRating\tComentarios\tNúmero de pedido\n02/01/25\t2\tNo llegó\t111-1\n"
JAPANESE = "日付\t評価\tコメント\n25/01/02\t1\t届きませんでした\n"


def _read(tmp_path: Path, data: bytes, name: str = "file.txt", **options: str) -> Text:
    path = tmp_path / name
    path.write_bytes(data)
    return read_text(path, **options)


# -- gzip ---------------------------------------------------------------------------------------


def test_gzip_is_decompressed_whatever_the_name(tmp_path: Path) -> None:
    text = _read(tmp_path, gzip.compress(GERMAN.encode("cp1252")), "Feedback.txt")
    assert text.data.decode() == GERMAN
    assert text.compressed
    assert text.notes == ("gzip-compressed", "Windows-1252 text")
    assert text.lines == 2


@pytest.mark.parametrize(
    "damage",
    [lambda b: b[:-10], lambda b: b[:20], lambda b: b[:10] + b"\x00" * 20 + b[30:]],
    ids=["cut-off end", "cut-off start", "corrupted"],
)
def test_a_damaged_gzip_file_is_an_error_naming_it(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    path = tmp_path / "orders.txt.gz"
    path.write_bytes(damage(gzip.compress(("x\t" * 500 + "\n").encode() * 20)))
    with pytest.raises(ReportFormatError, match=r"is a damaged or cut-off gzip file") as info:
        read_text(path)
    assert str(info.value).startswith(f"file '{path}': ")
    assert info.value.file == str(path)


# -- encodings ----------------------------------------------------------------------------------


def test_plain_utf8_is_not_held_in_memory(tmp_path: Path) -> None:
    text = _read(tmp_path, SPANISH.encode())
    assert (text.encoding, text.codec, text.notes, text.line_ends) == ("UTF-8", "utf-8", (), "LF")
    assert text.decoded is None and text.csv_source == tmp_path / "file.txt"
    assert text.data.decode() == SPANISH
    assert text.first_line == "Fecha\tRating\tComentarios\tNúmero de pedido"
    assert (text.lines, text.ends_with_newline) == (2, True)


def test_utf8_with_byte_order_mark(tmp_path: Path) -> None:
    text = _read(tmp_path, codecs.BOM_UTF8 + SPANISH.replace("\n", "\r\n").encode())
    assert text.encoding == "UTF-8 with byte-order mark"
    assert text.notes == ()  # plain UTF-8, as every reader expects
    assert text.data.decode() == SPANISH  # no mark, LF
    assert text.first_line.startswith("Fecha\t")
    assert text.line_ends == "CRLF"


@pytest.mark.parametrize(
    ("encoding", "words"), [("utf-16", "UTF-16 LE"), ("utf-16-be", "UTF-16 BE")]
)
def test_utf16_with_byte_order_mark(tmp_path: Path, encoding: str, words: str) -> None:
    data = JAPANESE.replace("\n", "\r\n").encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    text = _read(tmp_path, data)
    assert text.data.decode() == JAPANESE
    assert text.encoding == f"{words} with byte-order mark"
    assert text.notes == (f"{words} text (byte-order mark)",)


def test_utf16_without_byte_order_mark_by_its_nul_bytes(tmp_path: Path) -> None:
    text = _read(tmp_path, "amazon-order-id\tsku\n111-1\tGröße\n".encode("utf-16-le"))
    assert text.data.decode() == "amazon-order-id\tsku\n111-1\tGröße\n"
    assert text.notes == ("UTF-16 LE text (no byte-order mark: told by its NUL bytes)",)


@pytest.mark.parametrize("sample", [GERMAN, SPANISH], ids=["German", "Spanish"])
def test_windows_1252(tmp_path: Path, sample: str) -> None:
    text = _read(tmp_path, sample.encode("cp1252"))
    assert text.data.decode() == sample
    assert (text.encoding, text.codec, text.notes) == (
        "Windows-1252",
        "cp1252",
        ("Windows-1252 text",),
    )


def test_bytes_windows_1252_leaves_undefined_are_iso_8859_1(tmp_path: Path) -> None:
    text = _read(tmp_path, b"a\x81b\x9d\x80\n")
    assert text.data.decode() == "a\x81b\x9d\u20ac\n"
    assert text.notes == (
        "Windows-1252 text (bytes 0x81, 0x9D undefined there read as ISO-8859-1)",
    )


def test_shift_jis_by_its_characters(tmp_path: Path) -> None:
    text = _read(tmp_path, JAPANESE.encode("cp932"))
    assert text.data.decode() == JAPANESE
    assert text.encoding == "Shift_JIS (cp932)"
    assert text.notes == ("Shift_JIS (cp932) text (told by its double-byte characters)",)


def test_shift_jis_for_the_japanese_marketplace(tmp_path: Path) -> None:
    kanji_only = "日付\t評価\n東京都\t1\n"  # no kana: not told by the characters alone
    assert _read(tmp_path, kanji_only.encode("cp932")).codec == "cp1252"
    for marketplace in ("JP", "Amazon.co.jp", "A1VC38T7YXB528"):
        text = _read(tmp_path, kanji_only.encode("cp932"), marketplace=marketplace)
        assert text.data.decode() == kanji_only
        assert text.notes == (f"Shift_JIS (cp932) text (marketplace {marketplace})",)
    # The marketplace does not turn UTF-8 into Shift_JIS.
    assert _read(tmp_path, JAPANESE.encode(), marketplace="JP").codec == "utf-8"


def test_japanese_bytes_that_are_not_shift_jis_name_the_line_and_byte(tmp_path: Path) -> None:
    data = "日付\n".encode("cp932") + b"12\x81 \n"
    with pytest.raises(ReportFormatError, match=r"line 2: byte 7 \(column 3, b'\\x81'\)") as info:
        _read(tmp_path, data, marketplace="JP")
    assert "Shift_JIS (cp932)" in str(info.value) and "pass encoding=" in str(info.value)


def test_latin_text_that_forms_shift_jis_pairs_stays_windows_1252() -> None:
    # ä + t, ö + ß, é + d: lead and trail bytes of Shift_JIS, but no kana.
    sample = "Bestätigung, Größe, édition, Café crème, Año\n".encode("cp1252")
    assert looks_like_shift_jis(sample) is None
    assert looks_like_shift_jis("ワイヤレスイヤホン 黒".encode("cp932")) == "ワイヤレスイヤホン 黒"


# -- encoding= ----------------------------------------------------------------------------------


def test_encoding_given_overrides_the_decision(tmp_path: Path) -> None:
    mojibake_like = "Ã©t\n".encode()  # valid UTF-8, but the user knows better
    text = _read(tmp_path, mojibake_like, encoding="latin-1")
    assert text.data.decode() == "Ã\x83Â©t\n"
    assert text.notes == ("ISO-8859-1 text (encoding= given)",)
    text = _read(tmp_path, SPANISH.encode(), encoding="utf-8")
    assert text.notes == ("UTF-8 text (encoding= given)",)
    assert _read(tmp_path, GERMAN.encode("cp1252"), encoding="cp1252").data.decode() == GERMAN


def test_bytes_that_do_not_decode_in_the_encoding_given_name_line_and_byte(
    tmp_path: Path,
) -> None:
    data = GERMAN.encode("cp1252")
    with pytest.raises(UnreadableText, match=r"line 2: byte 39 \(column 14, b'\\xf6'\)") as info:
        _read(tmp_path, data, encoding="utf-8")
    assert "cannot be decoded as UTF-8 (encoding= given)" in str(info.value)
    assert info.value.line == 2
    assert data[39:40] == b"\xf6"


def test_an_unknown_encoding_is_an_error() -> None:
    with pytest.raises(OdrInputError, match=r"unknown encoding 'latin-9000'"):
        read_text(Path(__file__), encoding="latin-9000")


def test_a_utf8_byte_order_mark_before_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(UnreadableText, match=r"line 2: byte 6 .* as UTF-8 although it starts"):
        _read(tmp_path, codecs.BOM_UTF8 + b"a\nb\xe9\n")


# -- mojibake -----------------------------------------------------------------------------------


def test_mojibake_is_repaired_where_it_round_trips(tmp_path: Path) -> None:
    twice = SPANISH.encode().decode("latin-1").encode()  # NÃºmero de pedido
    text = _read(tmp_path, twice)
    assert text.data.decode() == SPANISH
    assert text.notes == ("repaired: UTF-8 read as Latin-1 (mojibake)",)
    quotes = "Comment — “quoted” €5\n"  # through Windows-1252: 0x9D is undefined there
    twice = quotes.encode().decode("cp1252", errors="odr-latin-1-fallback").encode()
    assert _read(tmp_path, twice).data.decode() == quotes


def test_a_mojibake_header_is_repaired_when_the_rows_are_right(tmp_path: Path) -> None:
    header, rest = SPANISH.split("\n", 1)
    data = header.encode().decode("latin-1") + "\n" + rest
    text = _read(tmp_path, data.encode())
    assert text.data.decode() == SPANISH
    assert text.notes == ("header repaired: UTF-8 read as Latin-1 (mojibake)",)


def test_correct_text_is_never_repaired() -> None:
    assert repair_mojibake("Número de pedido, Größe, 日本") is None
    assert repair_mojibake("plain ASCII") is None
    assert repair_mojibake("Ã alone") is None


# -- line ends, NUL, line count -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "line_ends", "notes"),
    [
        (b"a\tb\rc\td\r", "CR", ("CR line ends (Excel for Mac)",)),
        (b"a\tb\r\nc\td\r\n", "CRLF", ()),
        (b"a\tb\nc\td\n", "LF", ()),
        (
            b"a\tb\r\nc\td\n",
            "CRLF and LF",
            ("mixed CRLF and LF line ends (files pasted together?)",),
        ),
    ],
)
def test_line_ends_become_lf(
    tmp_path: Path, data: bytes, line_ends: str, notes: tuple[str, ...]
) -> None:
    for raw in (data, data.replace(b"b", "é".encode("cp1252"))):  # on both paths
        text = _read(tmp_path, raw)
        assert text.data.replace("é".encode(), b"b") == b"a\tb\nc\td\n"
        assert (text.line_ends, text.lines, text.ends_with_newline) == (line_ends, 2, True)
        assert text.notes[-len(notes) :] == notes if notes else True


def test_a_cr_inside_a_file_with_lf_line_ends_stays(tmp_path: Path) -> None:
    text = _read(tmp_path, b"a\tb\nc\rd\te\n")
    assert (text.data, text.lines, text.line_ends) == (b"a\tb\nc\rd\te\n", 2, "LF")


@pytest.mark.parametrize(
    ("data", "lines"),
    [(b"", 0), (codecs.BOM_UTF8, 0), (b"\n", 1), (b"h", 1), (b"h\nr", 2), (b"h\n\n\n", 3)],
)
def test_lines_are_counted_on_the_bytes(tmp_path: Path, data: bytes, lines: int) -> None:
    text = _read(tmp_path, data)
    assert text.lines == lines
    assert text.ends_with_newline == data.endswith(b"\n")


@pytest.mark.parametrize(
    ("data", "line", "offset"),
    [
        (b"a\tb\nc\x00d\n", 2, 5),
        (b"a\tb\rc\td\r\x00\r", 3, 8),  # CR line ends
        (b"\xef\xbb\xbfa\nb\n\x00", 3, 7),
        ("a\tb\nGr\xf6\xdfe\nc\x00\n".encode("latin-1"), 3, 11),
    ],
)
def test_a_nul_byte_is_an_error_naming_line_and_byte(
    tmp_path: Path, data: bytes, line: int, offset: int
) -> None:
    with pytest.raises(UnreadableText, match=rf"line {line}: holds a NUL byte at byte {offset}:"):
        _read(tmp_path, data)


def test_a_nul_character_in_utf16_text_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UnreadableText, match=r"line 2: holds a NUL byte at byte 8"):
        _read(tmp_path, "a\nb\x00c\n".encode("utf-16"))


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ReportFormatError, match=r"cannot be read \(") as info:
        read_text(tmp_path / "missing.txt")
    assert info.value.file == str(tmp_path / "missing.txt")


# -- the start of a file ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "first"),
    [
        (gzip.compress(JAPANESE.encode("cp932")), "日付\t評価\tコメント"),
        (JAPANESE.encode("utf-16"), "日付\t評価\tコメント"),
        (codecs.BOM_UTF8 + b"amazon-order-id\tsku\r\n1\t2\r\n", "amazon-order-id\tsku"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "\u2030PNG"),  # binary: no error here
    ],
    ids=["gzip cp932", "utf-16", "bom crlf", "binary"],
)
def test_first_line(tmp_path: Path, data: bytes, first: str) -> None:
    path = tmp_path / "file"
    path.write_bytes(data)
    line, head = first_line(path)
    assert line == first
    assert head.complete


def test_the_head_of_a_long_file_is_cut_without_breaking_a_character(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_bytes(("Größe\t" * 50 + "\n").encode() * 10)
    head = read_head(path, size=101)  # in the middle of a two-byte character
    assert not head.complete
    assert head.codec == "utf-8"
    assert head.first_line.startswith("Größe\tGröße")
    path.write_bytes(JAPANESE.encode("cp932") * 100)
    assert read_head(path, size=101).codec == "cp932"


# -- the file read as it is and the text made in memory agree ----------------------------------


@given(
    st.lists(
        st.text(alphabet=st.sampled_from("ab\t é日Ã©\r\n"), max_size=12), min_size=1, max_size=8
    ),
    st.booleans(),
)
def test_the_plain_path_and_the_decoded_path_agree(parts: list[str], bom: bool) -> None:
    raw = (codecs.BOM_UTF8 if bom else b"") + "".join(parts).encode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file.txt"
        path.write_bytes(raw)
        text = read_text(path)
        made = source._text(
            path, raw, compressed=False, encoding=None, marketplace=None, complete=True
        )
        assert (text.data, text.lines, text.line_ends, text.ends_with_newline) == (
            made.data,
            made.lines,
            made.line_ends,
            made.ends_with_newline,
        )
        assert text.notes == made.notes
        assert text.encoding == made.encoding
