"""Nothing cut off (#23 item 9), in Chromium at 1400×1000: no button or checkbox label truncated on the pages that
had them (Samples' inspector, Directions, Project, Classic GANs), the Architecture page's formula column whole and
its layer tables without a scroll bar of their own, and the Ablation chart's legend clear of its axis title."""

import os

import pytest

from tests.test_browser import CHROMIUM, serving  # noqa: F401 - CHROMIUM: that module skips without chromium

# Every element inside a button or a checkbox label whose text overflows its box (the ellipsis), as "label: text".
TRUNCATED = """() => {
  const boxes = document.querySelectorAll(
    '[data-testid="stMain"] button, [data-testid="stMain"] [data-testid="stCheckbox"] label');
  const cut = [];
  for (const b of boxes) {
    if (!b.offsetParent) continue;  // not shown (a closed expander)
    for (const el of [b, ...b.querySelectorAll('*')]) {
      if (!(el.innerText || '').trim()) continue;  // icons, and the visually hidden parts of a checkbox
      if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && getComputedStyle(el).overflow !== 'visible') {
        cut.push(b.innerText.trim()); break;
      }
    }
  }
  return cut;
}"""
WAIT = """() => document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') !== 'running'
  && !document.querySelector('[data-testid="stStatusWidget"]')"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serving(tmp_path_factory.mktemp("cwd"), dict(os.environ, GANSCOPE_IMPORT_DIR=str(tmp_path_factory.mktemp("imp"))))


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        pg = b.new_page(viewport={"width": 1400, "height": 1000})
        yield pg
        b.close()


def _open(page, url: str, heading: str) -> None:
    page.goto(url, timeout=120_000)
    page.get_by_role("heading", name=heading).first.wait_for(timeout=120_000)
    page.wait_for_function(WAIT, timeout=120_000)
    page.wait_for_timeout(800)
    page.wait_for_function(WAIT, timeout=120_000)


@pytest.mark.parametrize(
    ("path", "heading", "must_show"),
    [
        ("/?run=mnist-dcgan", "Samples", "Use as interpolation start"),
        ("/directions?run=mnist-dcgan", "Directions", "Use as interpolation end"),
        ("/project?run=faces-orl", "Project a photo", "Crop the face (MTCNN)"),
        ("/classic?run=mnist-dcgan", "Classic GANs", "ring-8"),
    ],
)
def test_no_label_is_cut_off(server, page, path, heading, must_show, tmp_path):
    _open(page, server + path, heading)
    assert page.get_by_text(must_show).first.is_visible()
    cut = page.evaluate(TRUNCATED)
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert cut == [], f"{heading}: truncated labels {cut}"


def test_architecture_formulas_whole_and_tables_unscrolled(server, page):
    _open(page, server + "/architecture?run=faces-orl", "Architecture")  # its generator has 14 layers
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    formulas = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid="stTable"] table')).map(t => {
             const main = document.querySelector('[data-testid="stMain"]');
             const heads = Array.from(t.querySelectorAll('th')).map(th => th.innerText.trim());
             const col = heads.indexOf('formula');
             const cells = Array.from(t.querySelectorAll('tbody tr')).map(r => r.children[col]);
             return {col, right: Math.max(...cells.map(c => c.getBoundingClientRect().right)),
                     edge: main.getBoundingClientRect().right,
                     cut: cells.filter(c => c.scrollWidth > c.clientWidth + 1).length, n: cells.length};
           })"""
    )
    assert len(formulas) == 2, formulas  # the generator's and the discriminator's plans
    for f in formulas:
        assert f["col"] >= 0 and f["n"] > 0 and f["cut"] == 0 and f["right"] <= f["edge"] + 1, f
    inner = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller'))
                 .map(s => s.scrollHeight - s.clientHeight)"""
    )
    assert inner and max(inner) <= 2, inner  # no table scrolls inside itself


def test_ablation_legend_clear_of_axis_title(server, page):
    _open(page, server + "/ablation?run=mnist-dcgan", "MLP ablation")
    plot = page.locator('[data-testid="stMain"] .js-plotly-plot').last
    plot.wait_for(timeout=60_000)
    boxes = plot.evaluate(
        """p => ['.legend', '.g-xtitle'].map(s => { const r = p.querySelector(s).getBoundingClientRect();
                                                   return [r.left, r.top, r.right, r.bottom]; })"""
    )
    (l1, t1, r1, b1), (l2, t2, r2, b2) = boxes
    assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, boxes  # the two boxes do not overlap
