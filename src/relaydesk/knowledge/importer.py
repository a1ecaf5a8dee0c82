"""Articles from uploaded files: Markdown (one article per file) or CSV (one per row).

A Markdown file's title is its first ``# heading`` (else the file name); an optional front
matter block (``---`` lines around ``title:``, ``url:``, ``tags: a, b``, ``language:``)
sets the other fields. A CSV has a header row with ``title`` and ``body`` columns and
optionally ``url``, ``tags`` (separated by ``;`` or ``,``) and ``language``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import PurePath

from relaydesk.errors import Invalid, UnsupportedMediaType

MARKDOWN = (".md", ".markdown", ".txt")
MAX_ARTICLES = 1000


@dataclass
class Draft:
    title: str
    body: str
    url: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    source: str = ""


def _split_tags(value: str) -> list[str]:
    sep = ";" if ";" in value else ","
    return [t.strip() for t in value.strip().strip("[]").split(sep) if t.strip()]


def _front_matter(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    if not lines or lines[0].strip() != "---":
        return {}, lines
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            meta: dict[str, str] = {}
            for line in lines[1:end]:
                key, sep, value = line.partition(":")
                if sep:
                    meta[key.strip().lower()] = value.strip().strip("'\"")
            return meta, lines[end + 1 :]
    return {}, lines


def markdown(name: str, content: str) -> Draft:
    meta, lines = _front_matter(content.replace("\r\n", "\n").split("\n"))
    title = meta.get("title", "")
    if not title:
        for i, line in enumerate(lines):
            if line.startswith("# "):
                title = line[2:].strip()
                lines = lines[:i] + lines[i + 1 :]
                break
            if line.strip():
                break
    title = title or PurePath(name).stem.replace("-", " ").replace("_", " ").strip()
    return Draft(
        title=title,
        body="\n".join(lines).strip(),
        url=meta.get("url") or None,
        tags=_split_tags(meta.get("tags", "")),
        language=meta.get("language") or None,
        source=name,
    )


def csv_rows(name: str, content: str) -> list[Draft]:
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    if not {"title", "body"} <= columns:
        raise Invalid(f"{name}: the header row needs title and body columns.", code="bad_import")
    drafts = []
    for n, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "") for k, v in raw.items() if k is not None}
        drafts.append(
            Draft(
                title=row.get("title", "").strip(),
                body=row.get("body", "").strip(),
                url=row.get("url", "").strip() or None,
                tags=_split_tags(row.get("tags", "")),
                language=row.get("language", "").strip() or None,
                source=f"{name} line {n}",
            )
        )
    return drafts


def drafts(name: str, data: bytes) -> list[Draft]:
    """The articles in one uploaded file; 415 for other file types, 422 for bad content."""
    suffix = PurePath(name.lower()).suffix
    if suffix != ".csv" and suffix not in MARKDOWN:
        raise UnsupportedMediaType(
            f"{name}: import Markdown (.md) or CSV (.csv) files.", code="unsupported_import"
        )
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"{name} is not UTF-8 text.", code="bad_import") from exc
    if "\x00" in content:
        raise Invalid(f"{name} holds a NUL character.", code="bad_import")
    if suffix == ".csv":
        return csv_rows(name, content)
    return [markdown(name, content)]
