"""The CSV file editors work in: write it from the FAQ, read it back with line numbers.

Encoding: UTF-8 *with* a byte-order mark. Excel opens a double-clicked CSV in the PC's legacy
code page unless the file starts with a BOM, which turns Chinese and Ukrainian into mojibake;
with the BOM it reads UTF-8. LibreOffice, Google Sheets and Python (``utf-8-sig``) accept it,
and reading accepts the file with or without one. Rows end with CRLF (RFC 4180, as Excel
writes); line breaks inside a cell are LF. Reading also accepts ``;`` as the separator, which
Excel uses when it saves a CSV in French, Romanian, Lithuanian or Ukrainian locales.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, List, Optional, Protocol, Tuple

from switchboard.faq_sheet.model import COLUMNS, Faq

ENCODING = "utf-8-sig"


class _LineReader(Protocol):
    """What ``csv.reader`` gives: rows of cells, and how many physical lines it has read."""

    line_num: int

    def __iter__(self) -> Iterator[List[str]]: ...


@dataclass(frozen=True)
class Problem:
    """Something wrong in the CSV, at the physical line where its row starts."""

    line: Optional[int]
    message: str

    def render(self, sheet: Path) -> str:
        """``file:line: message``, the form editors and editors' tools both understand."""
        return f"{sheet}:{self.line}: {self.message}" if self.line else f"{sheet}: {self.message}"


@dataclass(frozen=True)
class Row:
    """One data row of the sheet, cleaned up: cells stripped, questions split into lines."""

    line: int
    topic: str
    language: str
    questions: Tuple[str, ...]
    answer: str


@dataclass
class Sheet:
    """What reading a CSV gave: its rows, and the problems that stopped rows being read."""

    path: Path
    rows: List[Row] = field(default_factory=list)
    problems: List[Problem] = field(default_factory=list)


# -- export ------------------------------------------------------------------------------


def sheet_rows(faq: Faq) -> Iterator[Tuple[str, str, str, str]]:
    """One (topic, language, questions, answer) row per entry, questions one per line."""
    for topic, entries in faq.items():
        for language, entry in entries.items():
            yield topic, language, "\n".join(entry.questions), entry.answer or ""


def write_sheet(faq: Faq, out: Path) -> int:
    """Write the CSV at ``out`` (folders created); return the number of data rows."""
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = list(sheet_rows(faq))
    with out.open("w", encoding=ENCODING, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return len(rows)


# -- import ------------------------------------------------------------------------------


def read_sheet(path: Path) -> Sheet:
    """Read a CSV; encoding, syntax and header problems come back in ``Sheet.problems``."""
    sheet = Sheet(path)
    text = _decode(sheet)
    if text is None:
        return sheet
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        columns = _header(sheet, next(reader, []))
        if columns is not None:
            _read_rows(sheet, reader, columns)
    except csv.Error as error:
        sheet.problems.append(
            Problem(reader.line_num, f"the CSV is malformed ({error}); check for a stray double quote \" in a cell")
        )
    return sheet


def _decode(sheet: Sheet) -> Optional[str]:
    """The file's text, or None (with a problem) if it is unreadable or not UTF-8."""
    try:
        data = sheet.path.read_bytes()
    except OSError as error:
        sheet.problems.append(Problem(None, f"cannot read the file ({error.strerror})"))
        return None
    try:
        return data.decode(ENCODING)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        sheet.problems.append(
            Problem(line, "the file is not UTF-8; in Excel use File > Save As > 'CSV UTF-8 (Comma delimited)'")
        )
        return None


def _delimiter(text: str) -> str:
    """``,`` unless the header line only has ``;`` (Excel in many European locales)."""
    header = text.split("\n", 1)[0]
    return ";" if ";" in header and "," not in header else ","


def _header(sheet: Sheet, cells: List[str]) -> Optional[List[str]]:
    """The column names (lower-cased), or None (with problems) if any is unknown or missing."""
    names = [cell.strip().lower() for cell in cells]
    unknown = [name or "(empty)" for name in names if name not in COLUMNS]
    missing = [name for name in COLUMNS if name not in names]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    expected = ",".join(COLUMNS)
    if unknown:
        sheet.problems.append(Problem(1, f"unknown column(s) {', '.join(unknown)}; the header must be {expected} "
                                         "(delete extra columns, fix the spelling)"))
    if missing:
        sheet.problems.append(Problem(1, f"missing column(s) {', '.join(missing)}; the header must be {expected}"))
    if repeated:
        sheet.problems.append(Problem(1, f"column(s) {', '.join(repeated)} appear twice; keep one of each"))
    return None if unknown or missing or repeated else names


def _read_rows(sheet: Sheet, reader: _LineReader, columns: List[str]) -> None:
    """Read the data rows, each with the physical line it starts on."""
    start = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            row = _row(sheet, start, columns, cells)
            if row is not None:
                sheet.rows.append(row)
        start = reader.line_num + 1


def _row(sheet: Sheet, line: int, columns: List[str], cells: List[str]) -> Optional[Row]:
    """One row from its cells; too many cells is a problem (an unquoted comma, usually)."""
    if len(cells) > len(columns):
        sheet.problems.append(Problem(line, f"the row has {len(cells)} cells but the header has {len(columns)}; "
                                            "a cell containing a comma must be in double quotes"))
        return None
    values = dict(zip(columns, [_unify_newlines(cell) for cell in cells] + [""] * (len(columns) - len(cells))))
    questions = tuple(q.strip() for q in values["questions"].split("\n") if q.strip())
    return Row(line, values["topic"].strip(), values["language"].strip(), questions, values["answer"].strip())


def _unify_newlines(cell: str) -> str:
    """A cell with CRLF or CR line breaks turned into LF."""
    return cell.replace("\r\n", "\n").replace("\r", "\n")
