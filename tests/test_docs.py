"""The docs hold together: every file the README, docs/*.md and benchmarks/README.md link to or show exists,
and the README stays a short newcomer's page (everything else lives under docs/ by topic)."""

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

README_MAX_LINES = 220  # a newcomer's page; the rest belongs under docs/
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")  # [text](target) and ![alt](target)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]


def relative_targets(md: Path) -> list[str]:
    """The relative link and image targets of one Markdown file (code blocks, web links and bare anchors left out),
    without their #anchors."""
    text = FENCE.sub("", md.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code is not a link
    targets = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # http(s), mailto: and links within the page
        targets.append(target.split("#", 1)[0])
    return targets


def broken_links(md: Path) -> list[str]:
    return [t for t in relative_targets(md) if not (md.parent / t).exists()]


def anchors(md: Path) -> set[str]:
    """GitHub's anchors for the headings of ``md``: lower case, punctuation dropped, spaces as hyphens."""
    text = FENCE.sub("", md.read_text(encoding="utf-8"))
    heads = re.findall(r"^#{1,6}\s+(.+?)\s*$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in heads}


def broken_anchors(md: Path) -> list[str]:
    """``page.md#part`` links whose page has no heading ``part``."""
    text = re.sub(r"`[^`\n]*`", "", FENCE.sub("", md.read_text(encoding="utf-8")))
    bad = []
    for target in LINK.findall(text):
        path, _, anchor = target.partition("#")
        if anchor and path.endswith(".md") and not re.match(r"^[a-z][a-z0-9+.-]*:", path, re.I):
            page = md.parent / path
            if page.exists() and anchor not in anchors(page):
                bad.append(target)
    return bad


@pytest.mark.parametrize("md", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_linked_file_exists(md):
    assert md.exists(), f"{md.relative_to(ROOT)} is missing"
    assert broken_links(md) == [], f"{md.relative_to(ROOT)} links to files that do not exist"
    assert broken_anchors(md) == [], f"{md.relative_to(ROOT)} links to headings that do not exist"


def test_the_checker_finds_links_and_a_broken_one(tmp_path):
    (tmp_path / "here.md").write_text("x")
    md = tmp_path / "page.md"
    md.write_text(
        "[ok](here.md#part) ![pic](img/gone.png) [web](https://example.org/x.md) [anchor](#top)\n"
        "```\n[in code](nothing.md)\n```\n`[inline](nothing-either.md)`\n"
    )
    assert relative_targets(md) == ["here.md", "img/gone.png"]
    assert broken_links(md) == ["img/gone.png"]
    (tmp_path / "here.md").write_text("# Part\n## The `run` folder, again\n")
    assert anchors(tmp_path / "here.md") == {"part", "the-run-folder-again"}
    assert broken_anchors(md) == []
    md.write_text("[a](here.md#part) [b](here.md#the-run-folder-again) [c](here.md#gone)")
    assert broken_anchors(md) == ["here.md#gone"]


def test_the_readme_links_every_topic_page():
    readme = ROOT / "README.md"
    linked = {(readme.parent / t).resolve() for t in relative_targets(readme)}
    unlinked = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.resolve() not in linked]
    assert unlinked == [], "docs pages the README does not link to"


def test_the_readme_is_short():
    lines = len((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move details into docs/"
