"""Broken PDFs made on the fly: corrupt, truncated, encrypted, image-only (no text layer)."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import (
    ContentStream,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

from tests.test_loading import build_pdf, encrypt_pdf


def text_pdf(text: str) -> bytes:
    """A valid one-page PDF showing ``text`` (one PDF line per text line)."""
    return build_pdf([text])


def corrupt_pdf(text: str) -> bytes:
    """Header and trailer intact, body replaced by garbage."""
    data = text_pdf(text)
    return data[:20] + b"\x00garbage" * 40 + data[-60:]


def truncated_pdf(text: str) -> bytes:
    """A download cut in the middle."""
    data = text_pdf(text)
    return data[: len(data) // 2]


def encrypted_pdf(text: str) -> bytes:
    """Needs a user password to open."""
    return encrypt_pdf(text_pdf(text), user_password="mot-de-passe")


def blank_pages_pdf(pages: int = 2) -> bytes:
    """Pages with nothing on them (pypdf ``add_blank_page``)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    return _written(writer)


def image_only_pdf() -> bytes:
    """One page that only paints an image XObject: what a scanner produces."""
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    image = DecodedStreamObject()
    image.set_data(b"\x00\xff\xff\x00")
    image.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(2),
            NameObject("/Height"): NumberObject(2),
            NameObject("/ColorSpace"): NameObject("/DeviceGray"),
            NameObject("/BitsPerComponent"): NumberObject(8),
        }
    )
    resources = {NameObject("/Im1"): writer._add_object(image)}
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject(resources)}
    )
    content = ContentStream(None, writer)
    content.set_data(b"q 200 0 0 200 0 0 cm /Im1 Do Q")
    page.replace_contents(content)
    return _written(writer)


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
