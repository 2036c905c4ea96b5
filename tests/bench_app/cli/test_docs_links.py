"""README.md and docs/*.md: every relative link names a file that exists, and every ``#anchor``
a heading of that file (GitHub's slugs), so moving a section cannot leave a dead link behind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {_slug(m) for m in re.findall(r"^#+ (.+)$", text, flags=re.M)}


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_relative_links_and_anchors_resolve(doc):
    bad = []
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target):
            continue  # http(s), mailto
        path_part, _, anchor = target.partition("#")
        dest = (doc.parent / path_part).resolve() if path_part else doc
        if not dest.exists():
            bad.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            bad.append(f"{target}: no heading #{anchor} in {dest.name}")
    assert not bad, f"{doc.name}: " + "; ".join(bad)


def test_the_user_docs_exist_and_readme_is_short():
    for name in ("user-guide", "cli", "architecture", "contributing", "glossary"):
        assert (REPO / "docs" / f"{name}.md").is_file(), name
    assert len((REPO / "README.md").read_bytes()) < 12 * 1024


def test_every_doc_is_linked_from_the_readme_or_another_doc():
    linked: set[Path] = set()
    for doc in DOCS:
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            path_part = target.partition("#")[0]
            if path_part and not re.match(r"^[a-z]+:", path_part):
                linked.add((doc.parent / path_part).resolve())
    orphans = [d.name for d in DOCS[1:] if d.resolve() not in linked]
    assert not orphans, (
        f"{orphans}: linked from nowhere; add a row to README.md's Documentation table"
    )
