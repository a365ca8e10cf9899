#!/usr/bin/env python3
"""The containers page's load time in headless chromium, for bench/ui.sh.

    ui_page.py URL RUNS [nav|tab]

URL is what `pocket-docker ui` printed.  Each run navigates afresh to the
containers page, from about:blank in the same tab (nav) or in a tab opened
for it (tab: as a user opens the printed address; the browser starts a
renderer process for the page), and reads the figures the page records with
performance.now() (from the navigation's start): `data-fetched` (the first
list is in: the server's part and the transfer), `data-loaded` (every row
is in the document) and `data-painted` (the browser's next frame after
that: the rows laid out and painted); "nan" for one a page does not
record.  Prints one line per run: "fetched loaded painted rows" in ms."""
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

URL, RUNS = sys.argv[1], int(sys.argv[2])
MODE = sys.argv[3] if len(sys.argv) > 3 else "nav"
BASE = URL.split("/?")[0]

opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
          "--disable-dev-shm-usage", "--no-first-run"):
    opts.add_argument(a)
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
try:
    d.get(URL)  # the cookie
    for _ in range(RUNS + 1):  # the first run warms the browser's caches up: not counted
        if MODE == "tab":
            if len(d.window_handles) > 1:
                d.close()
                d.switch_to.window(d.window_handles[0])
            d.switch_to.new_window("tab")
        else:
            d.get("about:blank")
        d.get(BASE + "/#/containers")
        end = time.time() + 20
        v = None
        loaded_at = None
        while time.time() < end:
            # A page that records no `painted` (an older one): once 1 s
            # passed after `loaded`, without it (nan).
            v = d.execute_script(
                "const b = document.body.dataset;"
                "if (!b.loaded || (!b.painted && !arguments[0])) return null;"
                "return [Number(b.fetched || NaN), Number(b.loaded), Number(b.painted || NaN),"
                " document.querySelectorAll('#containers tbody tr').length];",
                loaded_at is not None and time.time() > loaded_at + 1)
            if v:
                break
            if loaded_at is None and d.execute_script("return !!document.body.dataset.loaded"):
                loaded_at = time.time()
            time.sleep(0.01)
        if not v:
            sys.exit("the containers page never loaded")
        if _:
            ms = ["nan" if x is None else f"{x:.1f}" for x in v[:3]]  # JSON has no NaN: null
            print(*ms, v[3], flush=True)
finally:
    d.quit()
