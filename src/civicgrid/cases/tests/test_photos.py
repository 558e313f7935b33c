"""Report photos: the public copy carries no location, bad or hostile files are refused clearly."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import time
import warnings
import zlib

import pytest
from PIL import Image, ImageCms, ImageFile

from civicgrid.cases.photos import (
    PUBLIC_CONTENT_TYPE,
    THUMBNAIL_SIZE,
    ProcessedPhoto,
    check_photo_count,
    process_photo,
    process_uploads,
)
from civicgrid.core.errors import DomainError

GPS_IFD = 0x8825
ORIENTATION = 0x0112
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="39,36.5N"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


# --- Building images in memory ----------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def gps_exif(orientation: int | None = None) -> Image.Exif:
    """EXIF with a camera model and a GPS position (Kangbashi, Ordos), optionally an orientation."""
    exif = Image.Exif()
    exif[0x0110] = "Phone X"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (39.0, 36.0, 30.0)
    gps[3] = "E"
    gps[4] = (109.0, 47.0, 15.0)
    return exif


def noise(size: tuple[int, int]) -> Image.Image:
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_markers(data: bytes) -> list[int]:
    """The marker codes of a JPEG's segments, from SOI up to the start of the scan."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [], 2
    while pos < len(data):
        assert data[pos] == 0xFF, f"not a marker at {pos}"
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    return markers


def assert_no_metadata(jpeg: bytes) -> None:
    markers = jpeg_markers(jpeg)
    assert not [m for m in markers if 0xE1 <= m <= 0xEF], f"APPn segments in {markers}"
    assert 0xFE not in markers, "a COM segment"
    for needle in (b"Exif\x00\x00", b"http://ns.adobe.com/xap/1.0/", b"ICC_PROFILE", b"GPS", b"Phone X"):
        assert needle not in jpeg
    with Image.open(io.BytesIO(jpeg)) as image:
        assert image.format == "JPEG"
        assert image.mode == "RGB"
        assert not image.getexif()
        assert not image.getexif().get_ifd(GPS_IFD)
        for key in ("exif", "xmp", "icc_profile", "comment"):
            assert key not in image.info


def png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def bomb_png(width: int, height: int) -> bytes:
    """A complete, valid 1-bit PNG of width × height, all black, tiny on disk."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = bomb_png(20_000, 20_000)  # 400 million pixels
    assert len(data) < 200_000
    return data


@pytest.fixture
def no_pixel_decoding(monkeypatch):
    """Fail the test if Pillow decodes any pixel data."""

    def refuse(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def refused(data: bytes, code: str, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as exc:
        process_photo(data, **kwargs)
    error = exc.value
    assert error.code == code
    assert error.status == 422
    assert error.field == "photos"
    assert error.message_zh and error.message_en and error.message_zh != error.message_en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message_zh)
    return error


# --- Location and metadata --------------------------------------------------------------------


@pytest.mark.parametrize("with_icc", [False, True], ids=["no colour profile", "with colour profile"])
def test_a_jpeg_with_gps_loses_it_in_the_public_copy_and_thumbnail_but_the_original_keeps_it(with_icc):
    extra = {"icc_profile": srgb_icc()} if with_icc else {}
    data = encode(noise((64, 48)), "JPEG", exif=gps_exif(), xmp=XMP, comment=b"taken at home", **extra)
    with Image.open(io.BytesIO(data)) as before:  # the fixture really carries a location
        assert before.getexif().get_ifd(GPS_IFD)[2] == (39.0, 36.0, 30.0)

    photo = process_photo(data, filename="IMG_0001.JPG")

    assert isinstance(photo, ProcessedPhoto)
    assert photo.original == data
    with Image.open(io.BytesIO(photo.original)) as original:
        assert original.getexif().get_ifd(GPS_IFD)[4] == (109.0, 47.0, 15.0)
        assert "xmp" in original.info
    assert_no_metadata(photo.public)
    assert_no_metadata(photo.thumbnail)
    assert (photo.width, photo.height) == (64, 48)
    assert (photo.format, photo.content_type) == ("JPEG", "image/jpeg")
    assert PUBLIC_CONTENT_TYPE == "image/jpeg"


@pytest.mark.parametrize(
    ("fmt", "params"),
    [
        ("PNG", {"exif": gps_exif(), "pnginfo": None}),
        ("WEBP", {"exif": gps_exif(), "xmp": XMP}),
    ],
    ids=["png eXIf", "webp EXIF+XMP"],
)
def test_other_formats_with_gps_lose_it_too(fmt, params):
    params = {k: v for k, v in params.items() if v is not None}
    data = encode(noise((40, 30)), fmt, **params)
    photo = process_photo(data)
    assert photo.format == fmt
    assert_no_metadata(photo.public)
    assert_no_metadata(photo.thumbnail)


def test_the_orientation_is_applied_to_the_pixels():
    # Stored 40×20: left half red, right half blue; orientation 6 = turn 90° clockwise to view.
    image = Image.new("RGB", (40, 20), (255, 0, 0))
    image.paste((0, 0, 255), (20, 0, 40, 20))
    data = encode(image, "JPEG", exif=gps_exif(orientation=6), quality=95)

    photo = process_photo(data)

    assert (photo.width, photo.height) == (20, 40)
    with Image.open(io.BytesIO(photo.public)) as public:
        assert public.size == (20, 40)
        top, bottom = public.getpixel((10, 5)), public.getpixel((10, 34))
    assert top[0] > 200 and top[2] < 60  # the stored left (red) is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert_no_metadata(photo.public)
    with Image.open(io.BytesIO(photo.thumbnail)) as thumbnail:
        assert thumbnail.height > thumbnail.width


# --- Modes and sizes --------------------------------------------------------------------------


def test_a_png_with_alpha_becomes_an_rgb_jpeg_on_white():
    image = Image.new("RGBA", (50, 50), (0, 0, 0, 0))  # fully transparent…
    image.paste((200, 0, 0, 255), (0, 0, 25, 50))  # …but an opaque red left half
    photo = process_photo(encode(image, "PNG"))

    assert (photo.format, photo.content_type) == ("PNG", "image/png")
    with Image.open(io.BytesIO(photo.public)) as public:
        assert (public.format, public.mode) == ("JPEG", "RGB")
        assert all(channel > 245 for channel in public.getpixel((40, 25)))
        red = public.getpixel((5, 25))
    assert red[0] > 180 and red[1] < 40 and red[2] < 40


@pytest.mark.parametrize(
    "make",
    [
        lambda: Image.new("P", (30, 30), 0).convert("P"),
        lambda: Image.new("LA", (30, 30), (0, 0)),
        lambda: Image.new("L", (30, 30), 128),
        lambda: Image.new("1", (30, 30), 1),
    ],
    ids=["P", "LA", "L", "1"],
)
def test_other_png_modes_become_rgb(make):
    image = make()
    params = {"transparency": 0} if image.mode == "P" else {}
    photo = process_photo(encode(image, "PNG", **params))
    with Image.open(io.BytesIO(photo.public)) as public:
        assert public.mode == "RGB"
    if image.mode in ("P", "LA"):  # transparent everywhere: white
        with Image.open(io.BytesIO(photo.public)) as public:
            assert all(channel > 245 for channel in public.getpixel((15, 15)))


def test_a_16_bit_greyscale_png_is_scaled_not_clipped():
    photo = process_photo(encode(Image.new("I;16", (20, 20), 40_000), "PNG"))
    with Image.open(io.BytesIO(photo.public)) as public:
        value = public.getpixel((10, 10))
    assert all(140 < channel < 170 for channel in value)  # 40000/65535 ≈ 61 % grey, not white


def test_a_cmyk_jpeg_becomes_rgb():
    photo = process_photo(encode(Image.new("CMYK", (20, 20), (0, 0, 0, 0)), "JPEG"))
    with Image.open(io.BytesIO(photo.public)) as public:
        assert public.mode == "RGB"
        assert all(channel > 240 for channel in public.getpixel((10, 10)))


def test_an_embedded_colour_profile_is_applied_then_dropped():
    image = Image.new("RGB", (20, 20), (30, 120, 200))
    photo = process_photo(encode(image, "PNG", icc_profile=srgb_icc()))
    with Image.open(io.BytesIO(photo.public)) as public:
        assert "icc_profile" not in public.info
        r, g, b = public.getpixel((10, 10))
    assert abs(r - 30) < 8 and abs(g - 120) < 8 and abs(b - 200) < 8


def test_a_broken_colour_profile_does_not_refuse_the_photo():
    photo = process_photo(encode(Image.new("RGB", (20, 20), "green"), "JPEG", icc_profile=b"not a profile"))
    assert_no_metadata(photo.public)


@pytest.mark.parametrize(
    ("size", "thumb"), [((1000, 500), (320, 160)), ((300, 1200), (80, 320)), ((100, 60), (100, 60))]
)
def test_the_thumbnail_fits_in_320_px(size, thumb):
    photo = process_photo(encode(noise(size), "JPEG"))
    assert (photo.width, photo.height) == size
    with Image.open(io.BytesIO(photo.thumbnail)) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert max(thumbnail.size) <= THUMBNAIL_SIZE == 320
        assert thumbnail.size == thumb


def test_an_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (30, 20), colour) for colour in ("red", "blue", "green")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    photo = process_photo(data)
    assert (photo.format, photo.content_type, photo.width, photo.height) == ("GIF", "image/gif", 30, 20)
    with Image.open(io.BytesIO(photo.public)) as public:
        r, g, b = public.getpixel((15, 10))
    assert r > 200 and g < 50 and b < 50


def test_a_phone_mpo_counts_as_jpeg():
    data = encode(noise((40, 30)), "MPO", save_all=True, append_images=[noise((40, 30))], exif=gps_exif())
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "MPO"
    photo = process_photo(data)
    assert (photo.format, photo.content_type) == ("JPEG", "image/jpeg")
    assert_no_metadata(photo.public)


def test_sha256_is_of_the_original_bytes():
    data = encode(noise((30, 30)), "PNG")
    photo = process_photo(data)
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert len(photo.sha256) == 64
    assert str(len(data)) in repr(photo) and "\\x" not in repr(photo)


def test_the_result_is_frozen():
    photo = process_photo(encode(noise((10, 10)), "PNG"))
    with pytest.raises(AttributeError):
        photo.width = 1  # type: ignore[misc]


# --- Refusals ---------------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    refused(b"", "photo_empty")


def test_a_text_file_named_jpg_is_refused():
    error = refused(b"hello, this is not a photo\n", "photo_not_image", filename="x.jpg")
    assert "x.jpg" in error.message_zh and "x.jpg" in error.message_en


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        encode(Image.new("RGB", (10, 10)), "BMP"),
        encode(Image.new("RGB", (10, 10)), "TIFF"),
        b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>",
    ],
    ids=["pdf", "bmp", "tiff", "svg"],
)
def test_other_files_and_unsupported_formats_are_refused(data):
    refused(data, "photo_not_image", filename="photo.jpg")


def test_a_file_over_the_byte_limit_is_refused_before_decoding(settings, no_pixel_decoding):
    settings.CIVICGRID_PHOTO_MAX_BYTES = 1000
    refused(b"\x00" * 1001, "photo_too_large")  # garbage: refused for size, not as "not an image"
    refused(encode(noise((60, 60)), "PNG"), "photo_too_large")


def test_a_file_at_the_byte_limit_is_accepted(settings):
    data = encode(Image.new("RGB", (10, 10)), "PNG")
    settings.CIVICGRID_PHOTO_MAX_BYTES = len(data)
    assert process_photo(data).original == data


def test_a_truncated_jpeg_is_refused_as_corrupt():
    data = encode(noise((200, 200)), "JPEG", quality=95)
    refused(data[: len(data) // 2], "photo_corrupt")


def test_a_truncated_png_is_refused_as_corrupt():
    data = encode(noise((100, 100)), "PNG")
    refused(data[: len(data) // 2], "photo_corrupt")


@pytest.mark.parametrize(
    "data",
    [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n\x00\x00", b"GIF89a\x01", b"RIFF\x10\x00\x00\x00WEBPVP8 "],
    ids=["jpeg", "png", "gif", "webp"],
)
def test_a_file_cut_inside_its_header_is_refused_as_corrupt(data):
    refused(data, "photo_corrupt")


def test_a_png_with_a_bad_checksum_after_the_pixels_is_refused_as_corrupt():
    data = encode(noise((20, 20)), "PNG")
    iend = data.index(b"IEND") - 4
    bad_chunk = struct.pack(">I", 4) + b"tEXt" + b"a\x00bc" + b"\x00\x00\x00\x00"  # wrong CRC
    data = data[:iend] + bad_chunk + data[iend:]
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # decoding alone does not notice; verify() does
    refused(data, "photo_corrupt")


def test_a_png_with_a_damaged_chunk_is_refused_as_corrupt():
    data = bytearray(encode(noise((50, 50)), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 100] ^= 0xFF  # the CRC no longer matches
    refused(bytes(data), "photo_corrupt")


@pytest.mark.parametrize(
    "pillow_limit",
    [None, Image.MAX_IMAGE_PIXELS, 10**12],
    ids=["pillow unlimited", "pillow default", "pillow huge"],
)
def test_a_decompression_bomb_is_refused_from_its_header(bomb, monkeypatch, no_pixel_decoding, pillow_limit):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
    started = time.perf_counter()
    refused(bomb, "photo_too_many_pixels", filename="bomb.png")
    assert time.perf_counter() - started < 1.0


def test_the_pixel_limit_follows_the_setting(settings):
    settings.CIVICGRID_PHOTO_MAX_PIXELS = 10_000
    assert process_photo(encode(Image.new("RGB", (100, 100)), "PNG")).width == 100
    refused(encode(Image.new("RGB", (101, 100)), "PNG"), "photo_too_many_pixels")
    refused(encode(Image.new("RGB", (200, 100)), "JPEG"), "photo_too_many_pixels")


def test_a_side_too_long_for_jpeg_is_refused(no_pixel_decoding):
    refused(bomb_png(70_000, 1), "photo_too_many_pixels")


@pytest.mark.parametrize("size", [(12, 12), (20, 20)], ids=["pillow warning", "pillow error"])
def test_pillows_own_bomb_warning_and_error_become_the_same_refusal(monkeypatch, size):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 144 px warns, 400 px raises
    filters_before = list(warnings.filters)
    refused(encode(Image.new("RGB", size), "PNG"), "photo_too_many_pixels")
    assert warnings.filters == filters_before


def test_check_photo_count(settings):
    check_photo_count(0)
    check_photo_count(9)
    with pytest.raises(DomainError) as exc:
        check_photo_count(10)
    assert (exc.value.code, exc.value.status, exc.value.field) == ("photo_too_many", 422, "photos")
    assert "9" in exc.value.message_zh and "9" in exc.value.message_en

    settings.CIVICGRID_PHOTO_MAX_COUNT = 3
    check_photo_count(3)
    with pytest.raises(DomainError):
        check_photo_count(4)


class Upload:
    """An uploaded file as Django gives it to a view (name, size, read()), counting the reads."""

    def __init__(self, data: bytes, name: str) -> None:
        self.data, self.name, self.size, self.reads = data, name, len(data), 0

    def read(self) -> bytes:
        self.reads += 1
        return self.data


def test_process_uploads_keeps_the_order_and_refuses_too_many(settings):
    uploads = [Upload(encode(Image.new("RGB", (10 + i, 10)), "PNG"), f"p{i}.png") for i in range(3)]
    assert [p.width for p in process_uploads(uploads)] == [10, 11, 12]
    settings.CIVICGRID_PHOTO_MAX_COUNT = 2
    with pytest.raises(DomainError) as exc:
        process_uploads(uploads)
    assert exc.value.code == "photo_too_many"


def test_process_uploads_refuses_a_large_file_before_reading_it(settings):
    settings.CIVICGRID_PHOTO_MAX_BYTES = 1000
    small, large = Upload(encode(Image.new("RGB", (8, 8)), "PNG"), "ok.png"), Upload(b"\0" * 1001, "big.jpg")
    with pytest.raises(DomainError) as exc:
        process_uploads([small, large])
    assert (exc.value.code, exc.value.field) == ("photo_too_large", "photos")
    assert "big.jpg" in exc.value.message_zh and "big.jpg" in exc.value.message_en
    assert large.reads == 0


def test_a_windows_path_is_named_by_its_base_name():
    error = refused(b"nope", "photo_not_image", filename="C:\\fakepath\\IMG_7.HEIC")
    assert "IMG_7.HEIC" in error.message_en and "fakepath" not in error.message_en
