"""What an evidence file is, judged by its content, not its first bytes or its name.

Issue 12: a check of the first bytes let through HTML starting with ``%PDF-`` saved as
``.pdf``, HTML saved as ``.txt``/``.csv`` and a zip bomb saved as ``.xlsx``. Each accepted
type now has a check of the whole file:

- PDF: starts with ``%PDF-`` and pypdf reads its page tree (at least one page); a
  password-protected PDF the panel cannot open is refused.
- DOCX, XLSX, PPTX, ODT: a valid zip (every member's CRC checked while unpacking) with the
  parts of its type (``[Content_Types].xml`` and ``word/``, ``xl/`` or ``ppt/``; ODT's
  ``mimetype`` member naming an OpenDocument text), unpacking to at most
  ``OFFICE_MAX_UNPACKED`` bytes in all, with no member compressed more than
  ``OFFICE_MAX_RATIO`` times: a zip bomb is refused while unpacking, before it is whole.
- CSV and text: UTF-8 (with or without a byte-order mark) or Windows-1252 (what Excel
  writes; it covers Latin-1 text), no NUL bytes, and not an HTML document (refused when
  it starts, after white space, with ``<!doctype``, ``<html``, ``<script`` or ``<svg``).

``check_evidence_content`` raises ``ValidationError`` with a message that names the file
and the reason.
"""

import io
import zipfile

from django.core.exceptions import ValidationError

PDF_MAGIC = b"%PDF-"
# The unpacked size of an Office file, all members together, and the largest compression
# ratio of one member. Real documents unpack to a few times their size (XML compresses
# about 10:1, images not at all); a zip bomb unpacks a thousand times or more.
OFFICE_MAX_UNPACKED = 100 * 1024 * 1024
OFFICE_MAX_RATIO = 200
OFFICE_MAX_MEMBERS = 10_000
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# Office types: the folder of the document's own parts, and what to call the type.
OFFICE_PARTS = {
    ".docx": ("word/", "Word document (DOCX)"),
    ".xlsx": ("xl/", "Excel workbook (XLSX)"),
    ".pptx": ("ppt/", "PowerPoint presentation (PPTX)"),
}
HTML_STARTS = ("<!doctype", "<html", "<script", "<svg")
_CHUNK = 1024 * 1024


def check_evidence_content(name: str, suffix: str, content: bytes) -> None:
    """Refuse ``content`` unless it really is a file of type ``suffix``."""
    if suffix == ".pdf":
        _check_pdf(name, content)
    elif suffix in OFFICE_PARTS or suffix == ".odt":
        _check_office(name, suffix, content)
    elif suffix in (".csv", ".txt"):
        _check_text(name, content)
    else:  # pragma: no cover: EVIDENCE_TYPES names the suffixes above only
        raise ValidationError(f"{name}: files of type {suffix} are not accepted.")


def _check_pdf(name: str, content: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not content.startswith(PDF_MAGIC):
        raise ValidationError(f"{name}: the content is not a PDF file.")
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(
                f"{name}: the PDF is protected by a password, so the panel could not open "
                "it; upload it without the password."
            )
        pages = len(reader.pages)
    except ValidationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        # A damaged PDF makes pypdf raise more kinds than its own errors.
        pages = 0
    if pages < 1:
        raise ValidationError(
            f"{name}: the file starts like a PDF but is not a readable PDF document."
        )


def check_office_content(name: str, suffix: str, content: bytes) -> None:
    """``ValidationError`` unless ``content`` is an office file of its kind (``.docx``,
    ``.xlsx``, ``.pptx``, ``.odt``) that unpacks within the limits: what evidence uploads
    and the ratings import check before anything opens it (a 1.5 MB XLSX may unpack to
    gigabytes)."""
    _check_office(name, suffix, content)


def _check_office(name: str, suffix: str, content: bytes) -> None:
    kind = suffix.lstrip(".").upper()
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError):
        article = "an" if kind in ("XLSX", "ODT") else "a"  # "an ex-el-es-ex"
        raise ValidationError(f"{name}: the content is not {article} {kind} file.") from None
    with archive:
        members = archive.infolist()
        names = {m.filename for m in members}
        if len(members) > OFFICE_MAX_MEMBERS:
            raise ValidationError(f"{name}: the file holds {len(members)} parts; too many.")
        if suffix == ".odt":
            if not members or members[0].filename != "mimetype":
                raise ValidationError(f"{name}: the content is not an ODT (OpenDocument) file.")
        else:
            folder, label = OFFICE_PARTS[suffix]
            if "[Content_Types].xml" not in names or not any(n.startswith(folder) for n in names):
                article = "an" if label.startswith("Excel") else "a"
                raise ValidationError(
                    f"{name}: the content is not {article} {label}: its {folder} parts are missing."
                )
        first = _unpack_within_limits(name, archive, members)
    if suffix == ".odt" and first.strip() != ODT_MIMETYPE:
        raise ValidationError(
            f"{name}: the content is not an ODT text document (its mimetype is not "
            f"{ODT_MIMETYPE.decode()})."
        )


def _unpack_within_limits(name: str, archive: zipfile.ZipFile, members) -> bytes:
    """Unpack every member, counting the bytes it really gives (its declared size may lie);
    refuse as soon as a limit is passed. Returns the first member's content (ODT's
    ``mimetype``, a few bytes)."""
    total, first = 0, b""
    for index, member in enumerate(members):
        unpacked = 0
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(_CHUNK):
                    unpacked += len(chunk)
                    total += len(chunk)
                    if index == 0 and len(first) < 256:
                        first += chunk[:256]
                    if total > OFFICE_MAX_UNPACKED:
                        raise ValidationError(
                            f"{name}: the file unpacks to more than "
                            f"{OFFICE_MAX_UNPACKED // 1_048_576} MB; it is refused as a "
                            "possible zip bomb."
                        )
                    if unpacked > OFFICE_MAX_RATIO * max(member.compress_size, 1) and (
                        unpacked > _CHUNK
                    ):
                        raise ValidationError(
                            f"{name}: a part of the file unpacks to more than "
                            f"{OFFICE_MAX_RATIO} times its packed size; it is refused as a "
                            "possible zip bomb."
                        )
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError):
            # RuntimeError: an encrypted member; BadZipFile: a CRC or header mismatch.
            raise ValidationError(
                f"{name}: the file is damaged or encrypted (part {member.filename} cannot be read)."
            ) from None
        except NotImplementedError:
            raise ValidationError(
                f"{name}: part {member.filename} uses a compression method that is not supported."
            ) from None
    return first


def _check_text(name: str, content: bytes) -> None:
    if b"\x00" in content:
        raise ValidationError(f"{name}: the content is not plain text.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            raise ValidationError(
                f"{name}: the content is not plain text (neither UTF-8 nor Windows-1252); "
                "save it from your spreadsheet or editor as CSV UTF-8."
            ) from None
    if text.lstrip().lower().startswith(HTML_STARTS):
        raise ValidationError(
            f"{name}: the content is a web page (HTML), not plain text; upload it as PDF."
        )
