"""Report photos: check an upload and make the copies the platform may show.

Pure image processing: bytes in, bytes out; no models and no storage. `process_photo` sniffs the
type from the bytes (a filename or a declared content type is never trusted), refuses what is
empty, too big, not an image, corrupt or a decompression bomb, and returns:

- the original, byte for byte as received (it may carry the reporter's GPS position: keep it
  private);
- a public JPEG re-encoded from the pixels, turned upright from the EXIF orientation, in sRGB,
  with no metadata at all (no EXIF, GPS, XMP, ICC profile or comment);
- a thumbnail JPEG, longest side at most 320 px, likewise without metadata.

Every refusal is a `DomainError` with status 422 on the field "photos" and a stable code:
photo_empty, photo_too_large, photo_not_image, photo_corrupt, photo_too_many_pixels and (from
`check_photo_count`) photo_too_many.

Limits are read from settings at each call: CIVICGRID_PHOTO_MAX_BYTES,
CIVICGRID_PHOTO_MAX_PIXELS, CIVICGRID_PHOTO_MAX_COUNT and (for all the photos of one request,
`process_uploads`) CIVICGRID_PHOTO_MAX_TOTAL_PIXELS. The pixel limits are checked against the
sizes in the headers before any pixel is decoded, whatever Pillow's global Image.MAX_IMAGE_PIXELS
is (the cases app sets it to the per-photo limit for every other reader); Pillow's own
DecompressionBombError/Warning become the same refusal.

The public copy is at most PUBLIC_MAX_SIDE pixels on its longest side; a bigger JPEG is decoded
at 1/2, 1/4 or 1/8 of its size (libjpeg's draft mode, `_draft_size`), so a big phone photo
costs a fraction of a full decode.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import warnings
import zlib
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from civicgrid.core.errors import DomainError

__all__ = [
    "ACCEPTED_FORMATS",
    "PUBLIC_CONTENT_TYPE",
    "THUMBNAIL_SIZE",
    "ProcessedPhoto",
    "check_photo_count",
    "check_total_pixels",
    "process_photo",
]

FIELD = "photos"

# Formats accepted, as Pillow names them, with the content type of each. An MPO (a JPEG with
# extra pictures appended, as many phones write) is reported as JPEG.
ACCEPTED_FORMATS: dict[str, str] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
_FORMAT_ALIASES = {"MPO": "JPEG"}

# The public copy and the thumbnail are always JPEG.
PUBLIC_CONTENT_TYPE = "image/jpeg"
THUMBNAIL_SIZE = 320
PUBLIC_MAX_SIDE = 2560
PUBLIC_QUALITY = 85
THUMBNAIL_QUALITY = 80
# JPEG cannot hold a side longer than 65535 px; refuse such a picture as too large.
_MAX_SIDE = 65_500

# What Pillow raises while parsing or decoding a damaged file.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    KeyError,
    struct.error,
    zlib.error,
)


@dataclass(frozen=True)
class ProcessedPhoto:
    """One accepted photo.

    `original` is the upload as received (private: it may hold GPS data); `public` and
    `thumbnail` are metadata-free JPEGs; `width`/`height` are those of `public`; `format` and
    `content_type` describe the upload as detected from its bytes; `sha256` is the hex digest of
    `original`.
    """

    original: bytes
    public: bytes
    thumbnail: bytes
    width: int
    height: int
    format: str
    content_type: str
    sha256: str

    def __repr__(self) -> str:  # keep the bytes out of logs and tracebacks
        return (
            f"ProcessedPhoto(format={self.format!r}, {self.width}x{self.height}, "
            f"original={len(self.original)} B, public={len(self.public)} B, "
            f"thumbnail={len(self.thumbnail)} B, sha256={self.sha256[:12]}…)"
        )


def check_photo_count(n: int) -> None:
    """Refuse attaching `n` photos to one report when that is more than the limit."""
    limit = settings.CIVICGRID_PHOTO_MAX_COUNT
    if n > limit:
        raise _error(
            "photo_too_many",
            f"照片太多：每次最多 {limit} 张，当前 {n} 张。",
            f"Too many photos: at most {limit} per report, got {n}.",
        )


def process_photo(data: bytes, *, filename: str = "") -> ProcessedPhoto:
    """Check one uploaded photo and make its public copy and thumbnail.

    `filename` is only used to name the photo in error messages; the type comes from the bytes.
    """
    data = bytes(data)
    name_zh, name_en = _names(filename)
    max_bytes = settings.CIVICGRID_PHOTO_MAX_BYTES
    max_pixels = settings.CIVICGRID_PHOTO_MAX_PIXELS

    if not data:
        raise _error("photo_empty", f"{name_zh}是空文件。", f"{name_en} is an empty file.")
    if len(data) > max_bytes:
        raise _error(
            "photo_too_large",
            f"{name_zh}太大：最大 {_mb(max_bytes)}，该文件 {_mb(len(data))}。",
            f"{name_en} is too large: at most {_mb(max_bytes)}, this file is {_mb(len(data))}.",
        )

    with warnings.catch_warnings():
        # Pillow warns (rather than raises) between MAX_IMAGE_PIXELS and twice that: refuse too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # 1. Identify from the header only and check the size before decoding any pixel.
            image_format = _check_header(data, name_zh, name_en, max_pixels)
            # 2. Check the file's structure (PNG: every chunk's CRC) on a first open.
            with _open(data) as probe:
                probe.verify()
            # 3. Re-open (verify leaves the image unusable) and decode every pixel.
            with _open(data) as image:
                _check_size(image.size, name_zh, name_en, max_pixels)
                if image.format in ("JPEG", "MPO"):
                    image.draft(None, _draft_size(image.size))
                image.load()
                _check_size(image.size, name_zh, name_en, max_pixels)
                public_image = _to_public_rgb(image)
                public_image.thumbnail((PUBLIC_MAX_SIDE, PUBLIC_MAX_SIDE), Image.Resampling.LANCZOS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(name_zh, name_en, max_pixels) from exc
        except UnidentifiedImageError as exc:
            # Pillow could not parse the header: damaged if it starts like a supported image.
            if _starts_like_accepted_image(data):
                raise _corrupt(name_zh, name_en) from exc
            raise _not_image(name_zh, name_en) from exc
        except _DECODE_ERRORS as exc:
            raise _corrupt(name_zh, name_en) from exc

    thumbnail_image = public_image.copy()
    thumbnail_image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return ProcessedPhoto(
        original=data,
        public=_encode_jpeg(public_image, PUBLIC_QUALITY),
        thumbnail=_encode_jpeg(thumbnail_image, THUMBNAIL_QUALITY),
        width=public_image.width,
        height=public_image.height,
        format=image_format,
        content_type=ACCEPTED_FORMATS[image_format],
        sha256=hashlib.sha256(data).hexdigest(),
    )


def process_uploads(files: list) -> list[ProcessedPhoto]:
    """Uploaded files (Django's UploadedFile: name, size, read()) checked and processed, in order.

    Refuses too many files, a file over the size limit before reading it into memory (process_photo
    would refuse it too, but only once it is all read), and photos whose pixels add up to more than
    CIVICGRID_PHOTO_MAX_TOTAL_PIXELS, from their headers, before decoding any of them.
    """
    check_photo_count(len(files))
    max_bytes = settings.CIVICGRID_PHOTO_MAX_BYTES
    received = []
    for upload in files:
        if upload.size > max_bytes:
            name_zh, name_en = _names(upload.name or "")
            raise _error(
                "photo_too_large",
                f"{name_zh}太大：最大 {_mb(max_bytes)}，该文件 {_mb(upload.size)}。",
                f"{name_en} is too large: at most {_mb(max_bytes)}, this file is {_mb(upload.size)}.",
            )
        received.append((upload.read(), upload.name or ""))
    check_total_pixels(received)
    return [process_photo(data, filename=name) for data, name in received]


def check_total_pixels(photos: list[tuple[bytes, str]]) -> None:
    """Refuse photos (bytes, filename) whose sizes add up to more than the request's budget.

    Counts the pixels that will be decoded (a JPEG's at its draft size). Reads headers only; a file whose header cannot be read counts nothing here (process_photo
    refuses it with its own reason).
    """
    budget = settings.CIVICGRID_PHOTO_MAX_TOTAL_PIXELS
    total = 0
    for data, _name in photos:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with _open(data) as header:
                    if header.format in ("JPEG", "MPO"):  # decoded at reduced size: count that
                        header.draft(None, _draft_size(header.size))
                    width, height = header.size
        except (Image.DecompressionBombError, UnidentifiedImageError, *_DECODE_ERRORS):
            continue
        total += max(width, 0) * max(height, 0)
        if total > budget:
            mp, got = f"{budget / 1_000_000:g}", f"{total / 1_000_000:.0f}"
            raise _error(
                "photo_total_too_many_pixels",
                f"照片总像素过多：一次最多 {mp} 百万像素，这些照片已超过 {got} 百万像素，请缩小或减少照片。",
                f"The photos have too many pixels together: at most {mp} megapixels per report, "
                f"these reach {got}; please scale them down or send fewer.",
            )


# --- Steps ------------------------------------------------------------------------------------


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)


def _check_header(data: bytes, name_zh: str, name_en: str, max_pixels: int) -> str:
    """Open lazily (header only), check the declared size, return the accepted format name."""
    with _open(data) as header:
        image_format = _FORMAT_ALIASES.get(header.format or "", header.format or "")
        if image_format not in ACCEPTED_FORMATS:
            raise _not_image(name_zh, name_en)
        _check_size(header.size, name_zh, name_en, max_pixels)
    return image_format


def _draft_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size to ask libjpeg for. A picture that fits the public copy is decoded whole; a bigger
    one at the smallest scale whose longest side stays at least half of PUBLIC_MAX_SIDE, so that
    it needs little or no resizing afterwards (libjpeg scales by 1/2, 1/4 or 1/8)."""
    width, height = size
    if max(width, height) <= PUBLIC_MAX_SIDE:
        return size
    ratio = (PUBLIC_MAX_SIDE / 2) / max(width, height)
    return max(1, math.ceil(width * ratio)), max(1, math.ceil(height * ratio))


def _starts_like_accepted_image(data: bytes) -> bool:
    return data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    )


def _check_size(size: tuple[int, int], name_zh: str, name_en: str, max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise SyntaxError(f"image declares an empty size {width}x{height}")
    if width * height > max_pixels or max(width, height) > _MAX_SIDE:
        raise _too_many_pixels(name_zh, name_en, max_pixels)


def _to_public_rgb(image: Image.Image) -> Image.Image:
    """The decoded image turned upright, flattened on white and converted to sRGB, no metadata."""
    icc_profile = image.info.get("icc_profile")
    try:
        upright = ImageOps.exif_transpose(image)
    except _DECODE_ERRORS:
        # Unreadable EXIF: keep the pixels as stored; the metadata is dropped anyway.
        upright = image.copy()

    rgb = _flatten_to_rgb(upright)
    if icc_profile:
        rgb = _to_srgb(rgb, upright, icc_profile)
    rgb.info.clear()  # Pillow copies e.g. a JPEG comment from info when saving
    return rgb


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode.startswith("I") or mode == "F":  # 16-bit or 32-bit greyscale: scale, do not clip
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
        mode = image.mode
    has_alpha = mode in {"RGBA", "RGBa", "LA", "La", "PA"} or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        white.alpha_composite(rgba)
        return white.convert("RGB")
    if mode == "RGB":
        return image.copy()
    return image.convert("RGB")


def _to_srgb(rgb: Image.Image, source: Image.Image, icc_profile: bytes) -> Image.Image:
    """Convert from the embedded colour profile to sRGB so the colours survive dropping it."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        if source.mode == "CMYK":  # convert from the CMYK pixels, not the naive RGB guess
            converted = ImageCms.profileToProfile(source, profile, srgb, outputMode="RGB")
        else:
            converted = ImageCms.profileToProfile(rgb, profile, srgb, outputMode="RGB")
    except (ImageCms.PyCMSError, *_DECODE_ERRORS):
        return rgb  # a broken or mismatched profile: keep the pixels as they are
    if converted is None or converted.size != rgb.size:
        return rgb
    return converted


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    """Encode pixels only: no EXIF, ICC profile, XMP, comment or DPI is written."""
    clean = image if image.mode == "RGB" else image.convert("RGB")
    clean.info.clear()
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


# --- Errors -----------------------------------------------------------------------------------


def _error(code: str, message_zh: str, message_en: str) -> DomainError:
    return DomainError(code, message_zh, message_en, field=FIELD, status=422)


def _not_image(name_zh: str, name_en: str) -> DomainError:
    return _error(
        "photo_not_image",
        f"{name_zh}不是图片或格式不受支持：只接受 JPEG、PNG、WebP 或 GIF 图片。",
        f"{name_en} is not an image or its format is not supported: only JPEG, PNG, WebP or GIF.",
    )


def _corrupt(name_zh: str, name_en: str) -> DomainError:
    return _error(
        "photo_corrupt",
        f"{name_zh}已损坏或不完整，无法读取，请重新拍摄或选择。",
        f"{name_en} is damaged or incomplete and cannot be read; please take or choose it again.",
    )


def _too_many_pixels(name_zh: str, name_en: str, max_pixels: int) -> DomainError:
    mp = f"{max_pixels / 1_000_000:g}"
    return _error(
        "photo_too_many_pixels",
        f"{name_zh}像素过多：最多 {mp} 百万像素，请缩小后再上传。",
        f"{name_en} has too many pixels: at most {mp} megapixels; please scale it down and try again.",
    )


def _names(filename: str) -> tuple[str, str]:
    """How messages refer to the photo: by its base name when one was given."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()[:80]
    if not base:
        return "照片", "The photo"
    return f"照片“{base}”", f"The photo “{base}”"


def _mb(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"
