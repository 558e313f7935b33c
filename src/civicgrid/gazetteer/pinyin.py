"""Search keys of a Chinese name: its full pinyin and its initials (pypinyin), lower case, no tones.

"人民路" → ("renminlu", "rml"). Latin letters and digits are kept as they are ("G6高速" → "g6gaosu", "g6gs").
"""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_KEEP = re.compile(r"[^0-9a-z]")


def search_keys(name: str) -> tuple[str, str]:
    full, initials = [], []
    for chunk in lazy_pinyin(name, style=Style.NORMAL, errors="default"):
        key = _KEEP.sub("", chunk.lower())
        if not key:
            continue
        full.append(key)
        # A chunk that is in the name as written is not Chinese (letters, digits): kept whole.
        initials.append(key if chunk in name else key[0])
    full, initials = "".join(full), "".join(initials)
    return full[:400], initials[:100]


def query_key(q: str) -> str:
    """A typed query reduced to what the keys hold (letters and digits, lower case)."""
    return _KEEP.sub("", q.lower())
