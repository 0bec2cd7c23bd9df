"""The sidebar's navigation in sections (app/dashboard.py), in a real browser: Explore, Training, Learn."""

from __future__ import annotations

from tests.test_browser import browser, imports, server  # noqa: F401 - the browser test's fixtures (Chromium, a server)

SECTIONS = {
    "Explore": ["Samples", "Interpolate", "Arithmetic", "Directions", "Project a photo"],
    "Training": ["Compare", "Training", "Diagnostics", "Ablation"],
    "Learn": ["Classic GANs", "Dynamics", "Architecture"],
}


def test_the_sidebar_lists_the_pages_in_three_sections_and_each_link_opens_its_page(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(server, timeout=120_000)
        page.get_by_role("heading", name="Samples").first.wait_for(timeout=120_000)
        nav = page.locator('[data-testid="stSidebarNav"]')
        words = [w.strip() for w in nav.inner_text().splitlines() if w.strip()]
        # each link's text starts with its icon's name: keep the section headers and the labels, in order
        labels = [w for w in words if w in SECTIONS or any(w in titles for titles in SECTIONS.values())]
        want = [x for section, titles in SECTIONS.items() for x in (section, *titles)]
        # "Training" is both a section and a page: the page follows "Compare"
        assert labels == want, labels
        for label in ("Architecture", "Ablation", "Directions"):
            nav.locator("a", has_text=label).first.click()
            page.get_by_role("heading", name=label).first.wait_for(timeout=120_000)
    finally:
        page.close()
