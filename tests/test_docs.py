"""The documentation's links hold.

Every relative link and image in README.md, docs/*.md and the notebook's
source points at a file (or folder) of the repository, every ``#anchor`` at a
heading of its page, and every generated file a page cites
(``docs/results/...``, in a link or in a command's ``--docs`` prefix) exists.
A moved or renamed page, figure or table fails here, not in a reader's
browser; a table copied from a generated file must still be that file's.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
         ROOT / "notebooks" / "why_rand_fails.py"]

# [text](target) and ![alt](target); the target ends at the first space or ")".
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
CITED = re.compile(r"docs/results/[A-Za-z0-9_\-]+\.(?:md|png|json)")
DOCS_PREFIX = re.compile(r"--docs\s+(docs/results/[A-Za-z0-9_\-]+)")

# Pages that other sessions write; the README links them before they land.
def slug(heading: str) -> str:
    """The anchor a code-hosting site gives a heading: lower case, markup
    and punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(h) for h in HEADING.findall(FENCE.sub("", page.read_text()))}


def links(page: Path) -> list[str]:
    """The page's link targets, outside fenced code blocks."""
    return LINK.findall(FENCE.sub("", page.read_text()))


def test_there_are_pages_and_links():
    assert len(PAGES) >= 10
    assert sum(len(links(p)) for p in PAGES) > 50


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_image_resolves(page):
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.\-]*:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        name = resolved.relative_to(ROOT).as_posix() if resolved.is_relative_to(ROOT) else None
        if name is None or not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading gives #{anchor}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_generated_file_a_page_cites_exists(page):
    text = page.read_text()
    cited = set(CITED.findall(text))
    missing = sorted(c for c in cited if not (ROOT / c.rstrip(".")).exists())
    # A command's --docs PREFIX names files PREFIX.png, PREFIX.md, ... or
    # PREFIX_part.md: at least one of them must be there.
    for prefix in DOCS_PREFIX.findall(text):
        folder, stem = (ROOT / prefix).parent, (ROOT / prefix).name
        if not any(p.stem == stem or p.stem.startswith(stem + "_") for p in folder.iterdir()):
            missing.append(f"{prefix}.*")
    assert not missing, f"{page.relative_to(ROOT)} cites missing files: {missing}"


def test_every_generated_file_is_cited_by_a_page():
    """Nothing in docs/results/ is left without a page that shows or links it."""
    text = "\n".join(p.read_text() for p in PAGES)
    orphans = [p.name for p in sorted((ROOT / "docs" / "results").iterdir())
               if f"results/{p.name}" not in text]
    assert not orphans, f"no page cites {orphans}"


def test_docs_folder_keeps_prose_and_generated_files_apart():
    """Prose in docs/*.md, what scripts write in docs/results/."""
    loose = [p.name for p in (ROOT / "docs").iterdir()
             if p.is_file() and p.suffix != ".md"]
    assert not loose, f"generated files belong in docs/results/: {loose}"
    assert not [p for p in (ROOT / "docs" / "results").iterdir() if p.suffix not in
                {".md", ".png", ".json"}]


def test_slug_follows_the_hosting_sites_rule():
    assert slug("The book's session, as printed") == "the-books-session-as-printed"
    assert slug("Why `zeros` learns only a little: symmetry is never broken") == \
        "why-zeros-learns-only-a-little-symmetry-is-never-broken"


TABLE = re.compile(r"(?:^\|.*\n)+", re.MULTILINE)


def test_every_generated_table_a_page_shows_is_copied_whole():
    """A table whose header a script writes is a copy of one generated file,
    row for row: a rerun that changes a number fails here until the page
    shows the new one (and a page never mixes rows of two runs)."""
    generated = {p.name: set(p.read_text().splitlines())
                 for p in (ROOT / "docs" / "results").glob("*.md")}
    headers = set().union(*generated.values())
    stale, copies = [], 0
    for page in PAGES:
        for table in TABLE.findall(FENCE.sub("", page.read_text())):
            lines = table.splitlines()
            if lines[0] not in headers:
                continue  # a table written by hand (formulas, mappings, benchmarks)
            copies += 1
            if not any(set(lines) <= rows for rows in generated.values()):
                stale.append(f"{page.relative_to(ROOT)}: {lines[0][:60]}")
    assert copies >= 14 and not stale, f"tables not in any docs/results file: {stale}"


def test_the_diagnosis_page_quotes_the_generated_reports():
    page = (ROOT / "docs" / "diagnostics.md").read_text()
    generated = "".join((ROOT / "docs" / "results" / f"{name}.md").read_text()
                        for name in ("my_network", "diagnoses"))
    blocks = re.findall(r"```text\n(.*?)```", page, re.DOTALL)
    blocks = [b for b in blocks if not b.startswith("python -m diagnostics: error")]
    assert len(blocks) >= 5 and all(block in generated for block in blocks)


def test_the_readmes_diagnosis_excerpt_is_the_generated_report():
    """Every line of the README's excerpt (but its '...') stands in the report
    that ``python -m experiments.diagnoses`` wrote, in the same order."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Is my network healthy?"):]
    excerpt = re.search(r"```text\n(.*?)```", section, re.DOTALL).group(1)
    generated = (ROOT / "docs" / "results" / "diagnoses.md").read_text()
    at = 0
    for line in excerpt.splitlines():
        if line.strip() == "...":
            continue
        found = generated.find(line + "\n", at)
        assert found >= 0, f"README line not in docs/results/diagnoses.md after the last: {line!r}"
        at = found + len(line)


def test_the_readmes_sessions_are_the_generated_transcripts():
    """The README's two book sessions show lines of the seed-0 transcripts that
    ``python -m experiments.sessions`` wrote, and its History line."""
    readme = (ROOT / "README.md").read_text()
    generated = (ROOT / "docs" / "results" / "sessions.md").read_text()
    section = readme[readme.index("## The book's session"):readme.index("## The main experiment")]
    shown = [line for block in re.findall(r"```python\n(.*?)```", section, re.DOTALL)
             for line in block.splitlines() if line and not line.startswith((">>>", "..."))]
    assert len(shown) >= 10
    missing = [line for line in shown if line not in generated.splitlines()]
    assert not missing, missing
    history = re.search(r"`(History\(30 epochs[^`]*)`", section).group(1)
    assert history in generated
