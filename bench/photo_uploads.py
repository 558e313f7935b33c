"""CPU seconds the upload path (cases.photos.process_uploads) spends on sets of big photos.

    PYTHONPATH=src .venv/bin/python bench/photo_uploads.py

Prints one line per set: its size, the CPU time of this process and whether it was accepted (with
the public copy's size) or refused (with the code), then the JSON line every bench ends with. CPU
time, not wall time: the figure does not depend on what else the machine runs.
"""

from __future__ import annotations

import io
import json
import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image  # noqa: E402

from civicgrid.cases.photos import process_uploads  # noqa: E402
from civicgrid.core.errors import DomainError  # noqa: E402


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG", optimize=True)
    return out.getvalue()


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 80, 40)).save(out, "JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    big_png = png(6300, 6300)
    sets = [
        ("PNG 6300x6300", 9, big_png),
        ("PNG 6300x6300", 3, big_png),
        ("JPEG 6000x4000", 9, jpeg(6000, 4000)),
        ("JPEG 4000x3000", 9, jpeg(4000, 3000)),
    ]
    results = []
    for label, n, data in sets:
        files = [SimpleUploadedFile(f"p{i}", data) for i in range(n)]
        started = time.process_time()
        try:
            out = process_uploads(files)
            result = f"accepted, public {out[0].width}x{out[0].height}"
        except DomainError as exc:
            result = f"refused: {exc.code}"
        seconds = time.process_time() - started
        print(f"{n} x {label}: {len(data) * n / 1024:.0f} KB in all, {seconds:.2f} s CPU, {result}")
        results.append({"set": f"{n} x {label}", "cpu_s": round(seconds, 2), "result": result})
    print(json.dumps({"bench": "photo_uploads", "results": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
