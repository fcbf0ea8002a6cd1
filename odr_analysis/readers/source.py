"""The bytes of a report file, made into UTF-8 text: the one way every text reader opens a file.

:func:`read_text` reads a whole file into a :class:`Text` (UTF-8 bytes with LF line ends and no
byte-order mark, ready for a CSV parser); :func:`read_head` and :func:`first_line` read only the
start of a file, for recognising it. The rules, in the order they apply:

1. **gzip**: bytes starting with ``1f 8b`` are decompressed, whatever the file's name; a damaged
   or cut-off archive is an error naming the file.
2. **Encoding**, decided from the bytes and the marketplace, never by trying codecs until one
   does not raise:

   a. ``encoding=`` (any Python codec name) wins;
   b. a byte-order mark decides: UTF-8, UTF-16 LE, UTF-16 BE;
   c. UTF-16 without a mark is recognised by its NUL bytes: in text that is mostly ASCII (every
      report's header) one byte of each pair is NUL, always the same one;
   d. bytes that are valid UTF-8 are UTF-8 (text in another encoding practically never is);
   e. Shift_JIS (``cp932``) for the Japanese marketplace, or when every byte >= 0x80 belongs to
      a Shift_JIS character and kana are among them (:func:`looks_like_shift_jis`);
   f. otherwise Windows-1252, with ISO-8859-1 for the five bytes Windows-1252 leaves undefined
      (0x81, 0x8D, 0x8F, 0x90, 0x9D), so that any byte sequence reads.

   Bytes that do not decode in the encoding decided (a forced ``encoding=``, a byte-order mark,
   the Japanese marketplace) are an error naming the line and byte.
3. **Mojibake** (UTF-8 decoded once as Latin-1 or Windows-1252 and saved again as UTF-8:
   ``NÃºmero de pedido``) is repaired where the repair round-trips exactly
   (:func:`repair_mojibake`): the whole text, or else its header line; not when ``encoding=``
   is given (the text is then taken as that encoding reads it).
4. **Line ends**: CRLF becomes LF; in a file without any LF, CR (Excel for Mac) becomes LF. A CR
   alone in a file with LF line ends stays: it is inside a value.
5. A **NUL** character in the text is an error naming the line and byte (a binary file).

:attr:`Text.lines` counts the physical lines on the bytes, independently of any CSV parser.
Every decision that departs from plain UTF-8 (with or without a byte-order mark) with LF or CRLF
line ends is a note in :attr:`Text.notes`, worded for the ingest summary (``gzip-compressed``,
``Windows-1252 text``, ``CR line ends (Excel for Mac)``, ...). Byte offsets in messages count
from the start of the (decompressed) file, 0 being the first byte.

Speed: a file that is already plain UTF-8 (the usual case, and a 250 MB All Orders report) is
checked on a memory map and never copied: :attr:`Text.csv_source` is then the file itself, and
:attr:`Text.data` reads it only when asked. Every other file is made into UTF-8 in memory.
"""

from __future__ import annotations

import codecs
import gzip
import mmap
import os
import re
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Final, NamedTuple

import numpy as np

from odr_analysis.readers.marketplaces import marketplace_name
from odr_analysis.schema import OdrInputError

__all__ = [
    "ReportFormatError",
    "Text",
    "UnreadableText",
    "first_line",
    "looks_like_shift_jis",
    "read_head",
    "read_text",
    "repair_mojibake",
]

HEAD_SIZE: Final = 65536
"""Bytes :func:`read_head` reads (after decompression)."""


class ReportFormatError(OdrInputError):
    """A file that cannot be read as the report it should be.

    ``file`` names it; ``line`` (1 = the header) and ``column`` say where, when the problem is
    in one place.
    """

    def __init__(
        self, message: str, *, file: str, line: int | None = None, column: str | None = None
    ) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column


class UnreadableText(ReportFormatError):
    """A file whose bytes cannot be made into text; ``problem`` is the message without the
    file's name, so that a reader can word it for its own kind of file."""

    def __init__(self, file: str, problem: str, *, line: int | None = None) -> None:
        where = f"file '{file}'" + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {problem}", file=file, line=line)
        self.problem = problem


@dataclass(frozen=True)
class Text:
    """A file's text as UTF-8 bytes, and how it was decided.

    Attributes
    ----------
    path
        The file.
    encoding
        The encoding decided, in words (``UTF-8``, ``Windows-1252``, ``Shift_JIS (cp932)``,
        ``UTF-16 LE`` ...; ``with byte-order mark`` when the file had one).
    codec
        The Python codec that decoded it (``utf-8``, ``cp1252``, ``cp932``, ``utf-16-le`` ...).
    compressed
        Whether the file was gzip-compressed.
    line_ends
        ``LF``, ``CRLF``, ``CR``, ``CRLF and LF`` or ``none`` (a single line without a line end).
    lines
        The number of physical lines (a last line without a line end counts; an empty file has
        none).
    ends_with_newline
        Whether the last line has its line end.
    notes
        Every decision that departs from plain UTF-8 with LF or CRLF line ends, in words.
    complete
        False for :func:`read_head`: the text is only the start of the file.
    decoded
        The text when it had to be made (decompressed, decoded, line ends or mojibake
        repaired); ``None`` when the file's own bytes are UTF-8 text a CSV parser reads as they
        are (a byte-order mark and CRLF line ends are fine there): then the file is not held in
        memory (:attr:`csv_source` is the file itself).
    """

    path: Path
    encoding: str
    codec: str
    compressed: bool
    line_ends: str
    lines: int
    ends_with_newline: bool
    notes: tuple[str, ...] = ()
    complete: bool = True
    decoded: bytes | None = field(default=None, repr=False)

    @cached_property
    def data(self) -> bytes:
        """The text: UTF-8, LF line ends, no byte-order mark."""
        if self.decoded is not None:
            return self.decoded
        data = self.path.read_bytes().removeprefix(codecs.BOM_UTF8)
        return data.replace(b"\r\n", b"\n") if "CRLF" in self.line_ends else data

    @property
    def csv_source(self) -> Path | bytes:
        """What a CSV parser reads: the file itself, or the text made from it."""
        return self.path if self.decoded is None else self.decoded

    @property
    def first_line(self) -> str:
        """The first line (the header), without its line end."""
        if self.decoded is None:
            with self.path.open("rb") as handle:
                line = handle.readline().removeprefix(codecs.BOM_UTF8).rstrip(b"\n").rstrip(b"\r")
        else:
            end = self.decoded.find(b"\n")
            line = self.decoded[: end if end >= 0 else None]
        return line.decode("utf-8", errors="replace")


# -- encodings ---------------------------------------------------------------------------------

_UNDEFINED_IN_CP1252: Final = b"\x81\x8d\x8f\x90\x9d"
_LATIN1_FALLBACK: Final = "odr-latin-1-fallback"


def _latin1_fallback(error: UnicodeError) -> tuple[str | bytes, int]:
    """Error handler: the bytes Windows-1252 leaves undefined are ISO-8859-1 (both ways)."""
    if isinstance(error, UnicodeDecodeError):
        return chr(error.object[error.start]), error.start + 1
    if isinstance(error, UnicodeEncodeError):
        char = error.object[error.start]
        if char in _UNDEFINED_IN_CP1252.decode("latin-1"):
            return char.encode("latin-1"), error.start + 1
    raise error


codecs.register_error(_LATIN1_FALLBACK, _latin1_fallback)

_WORDS: Final = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "cp932": "Shift_JIS (cp932)",
    "shift_jis": "Shift_JIS",
    "cp1252": "Windows-1252",
    "latin-1": "ISO-8859-1",
    "iso8859-1": "ISO-8859-1",
    "iso8859-15": "ISO-8859-15",
}
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_KANA_UTF8: Final = (b"\xe3\x81", b"\xe3\x82", b"\xe3\x83")  # U+3040-U+30FF in UTF-8


def _codec_name(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def _words(codec: str) -> str:
    name = codecs.lookup(codec).name
    return _WORDS.get(name, name)


def looks_like_shift_jis(raw: bytes, *, final: bool = True) -> str | None:
    """``raw`` decoded as cp932 if it is Shift_JIS text, else ``None``.

    Shift_JIS text: every byte >= 0x80 belongs to a Shift_JIS character (a lead byte 0x81-0x9F or
    0xE0-0xFC but not the user-defined 0xF0-0xF9, followed by a trail byte 0x40-0x7E or
    0x80-0xFC; or a half-width katakana 0xA1-0xDF), as the cp932 codec parses it, and at least
    one double-byte character in ten is a kana (hiragana, katakana:
    lead byte 0x82 or 0x83), as in any Japanese text. Windows-1252 text can form such pairs by
    chance (``ä`` + a letter is a lead and a trail byte), but not kana: 0x82 and 0x83 are its
    rare low quotation mark and florin sign.

    >>> looks_like_shift_jis("注文番号 ワイヤレス".encode("cp932"))
    '注文番号 ワイヤレス'
    >>> looks_like_shift_jis("Bestätigung".encode("cp1252")) is None  # ä + t is a valid pair
    True
    """
    utf8 = _shift_jis_as_utf8(raw, final=final)
    return None if utf8 is None else utf8.decode("utf-8")


def _shift_jis_as_utf8(raw: bytes, *, final: bool) -> bytes | None:
    """The UTF-8 bytes of ``raw`` if it is Shift_JIS text (:func:`looks_like_shift_jis`)."""
    try:
        text = codecs.getincrementaldecoder("cp932")().decode(raw, final=final)
    except UnicodeDecodeError:
        return None
    double = len(raw) - len(text)  # each double-byte character is two bytes, one character
    if double <= 0:
        return None
    utf8 = text.encode("utf-8")
    kana = sum(utf8.count(prefix) for prefix in _KANA_UTF8)
    # U+0080 and the private use area U+E000-U+F8FF: what cp932 gives for bytes that are no
    # Shift_JIS character (0x80, 0xA0, 0xFD-0xFF) and for its user-defined lead bytes F0-F9.
    if kana * 10 < double or b"\xc2\x80" in utf8 or b"\xee" in utf8:
        return None
    if b"\xef" in utf8 and re.search(rb"\xef[\x80-\xa3]", utf8):
        return None
    return utf8


def _utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when the first 4 KiB show UTF-16's NUL pattern.

    At least 8 and a quarter of the two-byte units have a NUL in the same place (ASCII text:
    every report's header), one in twenty or fewer in the other place (``一`` is U+4E00, so a
    few are allowed; a binary file has NULs in both).
    """
    sample = raw[: min(len(raw), 4096) // 2 * 2]
    units = len(sample) // 2
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    for codec, nuls, others in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if nuls >= max(8, units / 4) and others <= units / 20:
            return codec
    return None


def _is_utf8(raw: bytes | mmap.mmap, *, final: bool, start: int = 0) -> bool:
    """Whether ``raw[start:]`` is valid UTF-8 (checked in slices: the text is not built)."""
    if isinstance(raw, bytes) and raw.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    step = 1 << 16  # small slices: the text decoded (and dropped) stays in the cache
    with memoryview(raw) as view:
        try:
            for at in range(start, len(view), step):
                with view[at : at + step] as part:
                    decoder.decode(part)
            decoder.decode(b"", final=final)
        except UnicodeDecodeError:
            return False
    return True


# -- mojibake ----------------------------------------------------------------------------------

# A mojibake pair in UTF-8 bytes: a character U+00C2-U+00F4 (what a UTF-8 lead byte becomes in
# Latin-1) followed by one that a UTF-8 continuation byte 0x80-0xBF becomes in Latin-1 (U+0080-
# U+00BF) or in Windows-1252 (its letters, quotes, dashes, euro and trade mark signs at 0x80-0x9F).
_MOJIBAKE_UTF8: Final = re.compile(
    rb"\xc3[\x82-\xb4](?:\xc2[\x80-\xbf]|\xc5[\x92\x93\xa0\xa1\xb8\xbd\xbe]|\xc6\x92"
    rb"|\xcb[\x86\x9c]|\xe2\x80[\x93\x94\x98-\x9a\x9c-\x9e\xa0-\xa2\xa6\xb0\xb9\xba]"
    rb"|\xe2\x82\xac|\xe2\x84\xa2)"
)


def repair_mojibake(text: str) -> str | None:
    """The text ``text`` was before UTF-8 bytes were decoded as Latin-1 / Windows-1252, or None.

    The repair is made only where it round-trips exactly: encoding ``text`` back to those bytes
    gives valid UTF-8, and that text, decoded the wrong way again, gives ``text``. ASCII text
    and correct accented text (``Número``: ``ú`` alone is not UTF-8) are left alone.

    >>> repair_mojibake("NÃºmero de pedido"), repair_mojibake("Número de pedido")
    ('Número de pedido', None)
    >>> repair_mojibake("Correo electrÃ³nico del evaluador")
    'Correo electrónico del evaluador'
    """
    for codec in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(codec, errors=_LATIN1_FALLBACK).decode("utf-8")
        except UnicodeError:
            continue
        if fixed != text and fixed.encode("utf-8").decode(codec, _LATIN1_FALLBACK) == text:
            return fixed
    return None


def _repaired(data: bytes) -> tuple[bytes, str | None]:
    """``data`` with its mojibake repaired (the whole text, or else the header line)."""
    if not _MOJIBAKE_UTF8.search(data):
        return data, None
    whole = repair_mojibake(data.decode("utf-8", errors="replace"))
    if whole is not None:
        return whole.encode("utf-8"), "repaired: UTF-8 read as Latin-1 (mojibake)"
    end = data.find(b"\n")
    end = len(data) if end < 0 else end
    fixed = repair_mojibake(data[:end].decode("utf-8", errors="replace"))
    if fixed is not None:
        note = "header repaired: UTF-8 read as Latin-1 (mojibake)"
        return fixed.encode("utf-8") + data[end:], note
    return data, None


# -- reading -----------------------------------------------------------------------------------


def _line_of(raw: bytes, offset: int, codec: str) -> tuple[int, int]:
    """The line (1 = first) and column (1 = first character) of ``raw[offset]``."""
    before = raw[:offset].decode(codec, errors="replace")
    end = "\n" if b"\n" in raw else "\r"  # a file without LF has CR line ends
    return before.count(end) + 1, len(before) - (before.rfind(end) + 1) + 1


def _decode_error(
    where: str, raw: bytes, exc: UnicodeDecodeError, codec: str, why: str
) -> UnreadableText:
    line, column = _line_of(raw, exc.start, codec)
    return UnreadableText(
        where,
        f"byte {exc.start} (column {column}, {raw[exc.start : exc.start + 1]!r}) cannot be "
        f"decoded as {_words(codec)}{why}",
        line=line,
    )


def _nul_error(where: str, raw: bytes, offset: int, codec: str) -> UnreadableText:
    line, _ = _line_of(raw, offset, codec)
    return UnreadableText(
        where,
        f"holds a NUL byte at byte {offset}: a binary file (a spreadsheet, an archive?), "
        "not a text report",
        line=line,
    )


class _Decision(NamedTuple):
    codec: str
    bom: int  # bytes of byte-order mark to skip
    note: str | None  # None: plain UTF-8
    why: str  # for a decoding error: why this encoding
    utf8: bytes | None = None  # already made while deciding
    valid_utf8: bool = False  # already checked


def _forced(raw: bytes, encoding: str) -> _Decision:
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise OdrInputError(
            f"unknown encoding {encoding!r}: give a Python codec name such as 'utf-8', "
            "'cp1252' or 'cp932'"
        ) from None
    bom = 3 if codec == "utf-8" and raw.startswith(codecs.BOM_UTF8) else 0
    return _Decision(codec, bom, f"{_words(codec)} text (encoding= given)", " (encoding= given)")


def _decide(raw: bytes, *, encoding: str | None, marketplace: str | None, final: bool) -> _Decision:
    if encoding is not None:
        return _forced(raw, encoding)
    for mark, codec in _BOMS:
        if raw.startswith(mark):
            note = None if codec == "utf-8" else f"{_words(codec)} text (byte-order mark)"
            return _Decision(codec, len(mark), note, " although it starts with its byte-order mark")
    utf16 = _utf16_without_bom(raw)
    if utf16 is not None:
        note = f"{_words(utf16)} text (no byte-order mark: told by its NUL bytes)"
        return _Decision(utf16, 0, note, " (told by its NUL bytes)")
    if _is_utf8(raw, final=final):
        return _Decision("utf-8", 0, None, "", valid_utf8=True)
    return _legacy(raw, marketplace=marketplace, final=final)


def _legacy(raw: bytes, *, marketplace: str | None, final: bool) -> _Decision:
    """Text that is not UTF-8: Shift_JIS or Windows-1252."""
    if marketplace is not None and marketplace_name(marketplace) == "Amazon.co.jp":
        why = ", the encoding of Amazon.co.jp reports: pass encoding= if it is in another one"
        return _Decision("cp932", 0, f"Shift_JIS (cp932) text (marketplace {marketplace})", why)
    utf8 = _shift_jis_as_utf8(raw, final=final)
    if utf8 is not None:
        note = "Shift_JIS (cp932) text (told by its double-byte characters)"
        return _Decision("cp932", 0, note, "", utf8=utf8)
    undefined = [f"0x{b:02X}" for b in _UNDEFINED_IN_CP1252 if bytes([b]) in raw]
    extra = (
        f" (bytes {', '.join(undefined)} undefined there read as ISO-8859-1)" if undefined else ""
    )
    return _Decision("cp1252", 0, f"Windows-1252 text{extra}", "")


def _line_ends(data: bytes) -> tuple[bytes, str, str | None]:
    """``data`` with LF line ends, what they were, and the note (``None`` for LF or CRLF)."""
    if b"\r" not in data:
        return data, "LF" if b"\n" in data else "none", None
    lf = data.count(b"\n")
    if not lf:
        return data.replace(b"\r", b"\n"), "CR", "CR line ends (Excel for Mac)"
    crlf = data.count(b"\r\n")
    if not crlf:
        return data, "LF", None
    data = data.replace(b"\r\n", b"\n")
    if crlf == lf:
        return data, "CRLF", None
    return data, "CRLF and LF", "mixed CRLF and LF line ends (files pasted together?)"


def _utf8(raw: bytes, where: str, decision: _Decision, *, final: bool, strict: bool) -> bytes:
    """The UTF-8 bytes of ``raw`` (decoded in ``decision.codec``), byte-order mark removed."""
    codec, bom = decision.codec, decision.bom
    if codec == "utf-8":
        body = raw[bom:]
        if decision.valid_utf8 or _is_utf8(body, final=final):
            return body  # UTF-8 already: no need to build the text
    if decision.utf8 is not None:
        return decision.utf8  # made while deciding (Shift_JIS)
    errors = _LATIN1_FALLBACK if codec == "cp1252" else "strict" if strict else "replace"
    try:
        text = codecs.getincrementaldecoder(codec)(errors).decode(raw[bom:], final=final)
    except UnicodeDecodeError as exc:
        exc.start += bom
        raise _decode_error(where, raw, exc, codec, decision.why) from None
    text = text.removeprefix("\ufeff")  # utf-16, utf-8-sig ... keep theirs
    if strict and "\x00" in text:  # ASCII-compatible encodings were checked on the bytes
        index = text.index("\x00")
        raise _nul_error(where, raw, bom + len(text[:index].encode(codec)), codec)
    return text.encode("utf-8")


def _text(
    path: Path,
    raw: bytes,
    *,
    compressed: bool,
    encoding: str | None,
    marketplace: str | None,
    complete: bool,
    strict: bool = True,
) -> Text:
    """The text of ``raw``; ``strict``: errors for a NUL and for bytes that do not decode
    (else they become U+FFFD: recognising a file only needs its first line)."""
    where = str(path)
    decision = _decide(raw, encoding=encoding, marketplace=marketplace, final=complete)
    if strict and b"\x00" in raw and not decision.codec.startswith(("utf-16", "utf-32")):
        raise _nul_error(where, raw, raw.index(b"\x00"), decision.codec)
    data = _utf8(raw, where, decision, final=complete, strict=strict)
    data, line_ends, ends_note = _line_ends(data)
    given = encoding is not None  # the encoding given is taken as it is
    data, repaired = (data, None) if given or data.isascii() else _repaired(data)
    notes = ["gzip-compressed"] if compressed else []
    notes += [n for n in (decision.note, ends_note, repaired) if n]
    words = _words(decision.codec) + (" with byte-order mark" if decision.bom else "")
    ends = data.endswith(b"\n")
    lines = _counts(data)[0] + (1 if data and not ends else 0)
    return Text(
        path,
        words,
        decision.codec,
        compressed,
        line_ends,
        lines,
        ends,
        tuple(notes),
        complete,
        decoded=data,
    )


def _counts(mapped: bytes | mmap.mmap) -> tuple[int, int, int]:
    """LF bytes, CRLF pairs (-1: no CR at all) and the largest byte, without a copy (numpy
    counts a byte faster than ``bytes.count``)."""
    array = np.frombuffer(mapped, np.uint8)
    step = 1 << 20
    lf = crlf = top = 0
    chunk = array[:0]
    has_cr = mapped.find(b"\r") >= 0
    for start in range(0, len(array), step):
        chunk = array[start : start + step + 1]  # one byte more: a CRLF across the cut
        lf += int(np.count_nonzero(chunk[:step] == 10))
        top = max(top, int(chunk.max()))
        if has_cr:
            crlf += int(np.count_nonzero((chunk[:-1] == 13) & (chunk[1:] == 10)))
    del array, chunk  # release the buffer before the map closes
    return lf, crlf if has_cr else -1, top


def _plain(path: Path, mapped: mmap.mmap, encoding: str | None) -> Text | None:
    """The :class:`Text` of a file whose own bytes are UTF-8 text with LF or CRLF line ends
    (perhaps a UTF-8 byte-order mark), checked on a memory map without reading the file into
    memory; ``None`` for any other file (it is read and made into text)."""
    start = mapped[:4]
    if encoding is not None and _codec_name(encoding) not in ("utf-8", "utf-8-sig"):
        return None
    if start.startswith((b"\x1f\x8b", codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if mapped.find(b"\x00") >= 0:  # UTF-16 without byte-order mark, or a binary file
        return None
    lf, crlf, top = _counts(mapped)
    if crlf == 0 and not lf:  # CR line ends
        return None
    bom = 3 if start.startswith(codecs.BOM_UTF8) else 0
    if top >= 0x80 and (
        not _is_utf8(mapped, final=True, start=bom) or _MOJIBAKE_UTF8.search(mapped)
    ):
        return None
    ends = mapped[-1:] == b"\n"
    lines = 0 if len(mapped) == bom else lf + (0 if ends else 1)
    line_ends = "none" if not lf else "LF" if crlf <= 0 else "CRLF" if crlf == lf else "CRLF and LF"
    notes = ["UTF-8 text (encoding= given)"] if encoding is not None else []
    if line_ends == "CRLF and LF":
        notes.append("mixed CRLF and LF line ends (files pasted together?)")
    words = "UTF-8 with byte-order mark" if bom else "UTF-8"
    return Text(path, words, "utf-8", False, line_ends, lines, ends, tuple(notes))


def _damaged(where: str, exc: BaseException) -> UnreadableText:
    detail = str(exc) or type(exc).__name__
    return UnreadableText(where, f"is a damaged or cut-off gzip file ({detail}); download it again")


def _open_error(where: str, exc: OSError) -> UnreadableText:
    return UnreadableText(where, f"cannot be read ({exc.strerror or exc})")


def read_text(
    path: str | Path, *, encoding: str | None = None, marketplace: str | None = None
) -> Text:
    """Read a whole file as text, following the rules of this module.

    Parameters
    ----------
    path
        The file.
    encoding
        A Python codec name that overrides the decision (``cp1252``, ``cp932``, ``utf-16``).
    marketplace
        The account's marketplace (name, country code or id): Japan reads non-UTF-8 text as
        Shift_JIS (cp932).

    Raises
    ------
    UnreadableText
        (a :class:`ReportFormatError`) naming the file: it cannot be read, is a damaged gzip
        file, holds a NUL byte, or does not decode in the encoding decided (line and byte).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> path = folder / "claims.csv"
    >>> _ = path.write_bytes("order-id;note\\r111-1;Rückerstattung\\r".encode("cp1252"))
    >>> text = read_text(path)
    >>> text.data.decode(), text.lines
    ('order-id;note\\n111-1;Rückerstattung\\n', 2)
    >>> text.notes
    ('Windows-1252 text', 'CR line ends (Excel for Mac)')
    """
    path = Path(path)
    where = str(path)
    try:
        with path.open("rb") as handle:
            raw = b""
            if os.fstat(handle.fileno()).st_size:
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                    plain = _plain(path, mapped, encoding)
                    if plain is not None:
                        return plain
                    raw = mapped[:]
    except OSError as exc:
        raise _open_error(where, exc) from None
    compressed = raw.startswith(b"\x1f\x8b")
    if compressed:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise _damaged(where, exc) from None
    return _text(
        path, raw, compressed=compressed, encoding=encoding, marketplace=marketplace, complete=True
    )


def read_head(
    path: str | Path,
    *,
    encoding: str | None = None,
    marketplace: str | None = None,
    size: int = HEAD_SIZE,
) -> Text:
    """The start of a file (``size`` bytes after decompression) as text, to recognise it.

    The same rules as :func:`read_text`, decided on the start only; bytes that do not decode
    become U+FFFD and a NUL byte is no error here (a binary file is simply not recognised).
    ``complete`` is true when the start is the whole file. Raises for a file that cannot be
    read or a damaged gzip start.
    """
    path = Path(path)
    where = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(size + 1)
            compressed = raw.startswith(b"\x1f\x8b")
            if compressed:
                handle.seek(0)
                with gzip.GzipFile(fileobj=handle) as unzipped:
                    raw = unzipped.read(size + 1)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise _damaged(where, exc) from None
    except OSError as exc:
        raise _open_error(where, exc) from None
    complete = len(raw) <= size
    return _text(
        path,
        raw[:size],
        compressed=compressed,
        encoding=encoding,
        marketplace=marketplace,
        complete=complete,
        strict=False,
    )


def first_line(
    path: str | Path, *, encoding: str | None = None, marketplace: str | None = None
) -> tuple[str, Text]:
    """The first line of a file as text, and the :class:`Text` of its start
    (:func:`read_head`): what recognising a file needs."""
    head = read_head(path, encoding=encoding, marketplace=marketplace)
    return head.first_line, head
