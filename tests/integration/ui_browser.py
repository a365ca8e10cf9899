#!/usr/bin/env python3
"""The dashboard in a real browser (headless chromium through chromedriver),
for tests/integration/t_ui.sh.

    ui_browser.py [--rootless] URL PD ROOT SHOTS_DIR

--rootless: only that the page (of a dashboard run as pdtest) lists
"usersown" and not root's "rootsown".  PD_UI_PULL_REF: an image in a
registry on loopback for the images page to pull.

URL is what `pocket-docker ui` printed (with ?token=); PD the binary, ROOT
the state root (the script starts and checks containers with the CLI).
Each check prints "ok NAME" or raises; screenshots go to
SHOTS_DIR/ui-*.png.  Exit 0 when every check passed."""
import json
import os
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ROOTLESS = sys.argv[1] == "--rootless"
if ROOTLESS:
    del sys.argv[1]
URL, PD, ROOT, SHOTS = sys.argv[1:5]
BASE = URL.split("/?")[0]
BUSYBOX = os.environ.get("BUSYBOX_DIR", "")
PULL_REF = os.environ.get("PD_UI_PULL_REF", "")
# What a container prints that would run as script if it were taken as HTML.
EVIL = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'


def pd(*args, check=True):
    r = subprocess.run([PD, "--root", ROOT, *args], capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError(f"pd {args}: {r.returncode} {r.stderr}")
    return r.stdout.strip()


def state(name):
    return pd("inspect", "--format", "{{.State.Status}}", name)


def wait_for(what, fn, timeout=15):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except Exception as e:  # the page may still be loading
            last = e
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last})")


def shot(driver, name):
    driver.save_screenshot(os.path.join(SHOTS, f"ui-{name}.png"))


def no_alert(driver):
    try:
        a = driver.switch_to.alert
        raise AssertionError(f"an alert opened: {a.text}")
    except NoAlertPresentException:
        pass


def new_driver():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
              "--disable-dev-shm-usage", "--no-first-run"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def rootless_checks():
    driver = new_driver()
    try:
        driver.get(URL)
        wait_for("usersown in the list",
                 lambda: driver.find_element(By.CSS_SELECTOR, 'tr[data-name="usersown"]'))
        wait_for("the count", lambda: "containers" in driver.find_element(By.ID, "count").text)
        names = [e.get_attribute("data-name") for e in
                 driver.find_elements(By.CSS_SELECTOR, "#containers tbody tr")]
        assert "rootsown" not in names, names
        assert driver.find_element(By.ID, "root").text.endswith("(rootless)"), \
            driver.find_element(By.ID, "root").text
        shot(driver, "rootless")
        print("ok the rootless page lists usersown, not rootsown")
    finally:
        driver.quit()


def main():
    if ROOTLESS:
        rootless_checks()
        return
    # Containers made from the CLI before the page opens.
    pd("run", "-d", "--name", "victim", "--rootfs", BUSYBOX, "sh", "-c",
       "trap 'exit 0' TERM; while :; do sleep 0.1; done")
    pd("run", "-d", "--name", "talker", "--rootfs", BUSYBOX, "sh", "-c",
       f"echo '{EVIL}'; while [ ! -e /tmp/go ]; do sleep 0.1; done; "
       "echo late-line-$((40+2)); exec sleep 1000")

    driver = new_driver()
    try:
        run_checks(driver)
    finally:
        driver.quit()


def run_checks(driver):
    driver.get(URL)
    # The token went into a cookie and out of the address.
    wait_for("the redirect", lambda: "token=" not in driver.current_url)
    cookies = driver.get_cookies()
    assert any(c["httpOnly"] and c.get("sameSite") == "Strict" for c in cookies), cookies
    assert driver.execute_script("return document.cookie") == "", "the cookie is readable by script"
    print("ok token becomes an HttpOnly cookie")

    row = wait_for("victim in the list",
                   lambda: driver.find_element(By.CSS_SELECTOR, 'tr[data-name="victim"]'))
    assert "Up" in row.find_element(By.CSS_SELECTOR, "td.state").text
    print("ok the list shows a container started from the CLI")

    # The table is laid out as a grid of rows (app.css): the header's
    # columns and each row's must be the same ones, side by side.
    cols = driver.execute_script("""
        const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.right]; };
        const head = [...document.querySelectorAll('#containers thead th')].map(box);
        const rows = [...document.querySelectorAll('#containers tbody tr')].slice(0, 3)
            .map((tr) => [...tr.children].map(box));
        return [head, rows];""")
    head, rows = cols
    assert len(head) == 11, head
    for r in rows:
        assert len(r) == len(head), (r, head)
        for i, (h, c) in enumerate(zip(head, r)):
            assert abs(h[0] - c[0]) < 1 and abs(h[1] - c[1]) < 1, f"column {i}: header {h}, cell {c}"
            assert i == 0 or r[i - 1][1] <= c[0] + 0.5, f"column {i} overlaps the one before: {r}"
    print("ok the header's columns and the rows' line up")

    # 500 rows are measured apart; here the first frame's time.
    loaded = driver.execute_script("return document.body.dataset.loaded")
    print(f"info containers page drawn at {float(loaded):.0f} ms")
    time.sleep(2.2)  # a second frame: CPU column
    shot(driver, "containers")

    row = driver.find_element(By.CSS_SELECTOR, 'tr[data-name="victim"]')
    row.find_element(By.CSS_SELECTOR, 'button[data-action="stop"]').click()
    wait_for("the confirmation", lambda: driver.find_element(By.ID, "modal-yes").is_displayed())
    driver.find_element(By.ID, "modal-yes").click()
    wait_for("victim to exit", lambda: state("victim") == "exited")
    ps = pd("ps", "-a", "--format", "{{.Names}} {{.State}}")
    assert "victim exited" in ps, ps
    wait_for("the page to show it exited", lambda: "Exited" in driver.find_element(
        By.CSS_SELECTOR, 'tr[data-name="victim"] td.state').text)
    print("ok stop from the page stops the container (ps says exited)")

    # rm, with its confirmation: Cancel keeps it, Yes removes it.
    rm = lambda: driver.find_element(By.CSS_SELECTOR, 'tr[data-name="victim"] button[data-action="rm"]')
    wait_for("the rm button", rm).click()
    wait_for("the confirmation", lambda: driver.find_element(By.ID, "modal-no").is_displayed())
    assert "victim" in driver.find_element(By.ID, "modal-text").text
    driver.find_element(By.ID, "modal-no").click()
    time.sleep(0.5)
    assert "victim" in pd("ps", "-a", "--format", "{{.Names}}").split(), "Cancel removed it"
    rm().click()
    wait_for("the confirmation", lambda: driver.find_element(By.ID, "modal-yes").is_displayed())
    driver.find_element(By.ID, "modal-yes").click()
    wait_for("victim to be gone", lambda: "victim" not in pd("ps", "-a", "--format", "{{.Names}}").split())
    wait_for("the page to drop its row",
             lambda: not driver.find_elements(By.CSS_SELECTOR, 'tr[data-name="victim"]'))
    print("ok rm from the page, once confirmed, removes the container (ps -a no longer lists it)")

    # One container: logs follow, text only.
    driver.find_element(By.CSS_SELECTOR, 'tr[data-name="talker"] a.name').click()
    logs = wait_for("the log", lambda: driver.find_element(By.ID, "logs"))
    wait_for("the first line", lambda: EVIL in logs.text)
    pd("exec", "talker", "touch", "/tmp/go")
    wait_for("the late line", lambda: "late-line-42" in logs.text)
    print("ok logs stream a line printed after the page opened")
    assert driver.execute_script("return document.getElementById('logs').textContent").startswith(EVIL)
    assert driver.execute_script("return window.pwned === undefined"), "container output ran as script"
    assert not driver.find_elements(By.CSS_SELECTOR, "#logs img, #logs script")
    no_alert(driver)
    print("ok container output is shown as text, never run")

    # Terminal: exec -it sh.
    driver.find_element(By.ID, "term-open").click()
    wait_for("a prompt", lambda: "#" in term_text(driver))
    area = driver.find_element(By.CSS_SELECTOR, "#terminal textarea")
    area.send_keys("echo answer-$((6*7))" + Keys.ENTER)
    wait_for("the command's output", lambda: "answer-42" in term_text(driver).replace("answer-$((6*7))", ""))
    print("ok the terminal runs a command and shows its output")
    # Resize: the shell sees the terminal's new width.
    driver.set_window_size(1000, 900)
    time.sleep(0.5)
    cols = driver.execute_script("return window.pdTerm.cols")
    area.send_keys("stty size" + Keys.ENTER)
    wait_for("stty's size", lambda: f" {cols}" in term_text(driver).split("stty size")[-1])
    print(f"ok resize reaches the shell ({cols} columns)")
    time.sleep(1.2)
    shot(driver, "container")

    driver.get(BASE + "/#/images")
    wait_for("the images table", lambda: driver.find_element(By.ID, "images"))
    if PULL_REF:
        assert PULL_REF not in pd("images", "--format", "{{.Repository}}:{{.Tag}}")
        driver.find_element(By.ID, "pull-ref").send_keys(PULL_REF)
        driver.find_element(By.CSS_SELECTOR, "form.toolbar button[type=submit]").click()
        progress = driver.find_element(By.ID, "pull-progress")
        wait_for("the pull's progress", lambda: progress.text.strip() != "")
        wait_for("the image in the table", lambda: PULL_REF.rsplit(":", 1)[0] in
                 driver.find_element(By.ID, "images").text, timeout=60)
        wait_for("the pull to end", lambda: "pulled" in driver.execute_script(
            "return document.getElementById('pull-progress').dataset.state || ''"), timeout=60)
        text = progress.text
        assert driver.execute_script("return document.getElementById('pull-progress').dataset.state") \
            == "pulled", text
        assert PULL_REF.split("/", 1)[1].split(":")[0] in text, text
        assert PULL_REF in pd("images", "--format", "{{.Repository}}:{{.Tag}}"), "the CLI does not list it"
        print("ok the images page pulls from a registry, with its progress (" +
              text.strip().splitlines()[-1][:60] + ")")
    shot(driver, "images")
    driver.get(BASE + "/#/run")
    wait_for("the run form", lambda: driver.find_element(By.ID, "run-submit"))
    driver.find_element(By.ID, "run-rootfs").send_keys(BUSYBOX)
    driver.find_element(By.ID, "run-name").send_keys("fromform")
    driver.find_element(By.ID, "run-cmd").send_keys("sh -c 'echo from the form; sleep 1000'")
    driver.find_element(By.ID, "run-submit").click()
    wait_for("fromform to run", lambda: state("fromform") == "running")
    print("ok the run form starts a container")
    shot(driver, "run")
    driver.get(BASE + "/#/events")
    wait_for("the events stream", lambda: driver.find_element(By.ID, "events-state").text == "live")
    # Recorded before the page opened: among the past ones shown.
    wait_for("a past event", lambda: driver.find_elements(By.CSS_SELECTOR, '#events tr[data-actor="fromform"]'))
    assert not driver.find_elements(By.CSS_SELECTOR, '#events tr[data-action="stop"][data-actor="fromform"]')
    pd("stop", "-t", "1", "fromform")
    wait_for("the stop event", lambda: driver.find_elements(
        By.CSS_SELECTOR, '#events tr[data-action="stop"][data-actor="fromform"]'))
    wait_for("the die event", lambda: driver.find_elements(
        By.CSS_SELECTOR, '#events tr[data-action="die"][data-actor="fromform"]'))
    print("ok the events page shows the stop the CLI made after it opened")
    shot(driver, "events")
    # The filter: another container's events only.
    driver.find_element(By.ID, "events-container").send_keys("talker")
    driver.find_element(By.CSS_SELECTOR, "#view form.toolbar button[type=submit]").click()
    wait_for("talker's events", lambda: driver.find_elements(By.CSS_SELECTOR, '#events tr[data-actor="talker"]'))
    assert not driver.find_elements(By.CSS_SELECTOR, '#events tr[data-actor="fromform"]'), "the filter"
    print("ok the events page filters by container")
    shot(driver, "events-filtered")
    no_alert(driver)
    assert driver.execute_script("return window.pwned === undefined")
    cross_site_opener(driver)


def cross_site_opener(driver):
    """A page of another site (127.0.0.2 is another site than 127.0.0.1)
    opens the dashboard in a window: the browser sends it no cookie
    (SameSite=Strict), so that window holds a 401 and nothing of the
    dashboard; why the page needs no Cross-Origin-Opener-Policy."""
    import http.server
    import threading

    page = ("<!doctype html><title>other site</title><script>"
            f"window.w = window.open({json.dumps(BASE + '/api/info')}, 'dash');</script>").encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.2", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    main_window = driver.current_window_handle
    try:
        driver.get(f"http://127.0.0.2:{srv.server_address[1]}/")
        wait_for("the window it opened", lambda: len(driver.window_handles) == 2)
        opener = driver.current_window_handle
        popup = [h for h in driver.window_handles if h != opener][0]
        driver.switch_to.window(popup)
        body = wait_for("the opened window's text", lambda: driver.find_element(By.TAG_NAME, "body").text)
        assert body.startswith("401"), body
        driver.close()
        driver.switch_to.window(opener)
        # The same address, opened by the user (no other site involved): the cookie goes.
        driver.get(BASE + "/api/info")
        assert '"root"' in driver.find_element(By.TAG_NAME, "body").text
    finally:
        srv.shutdown()
        driver.switch_to.window(main_window)
    print("ok a window another site opens on the dashboard gets 401 (no cookie)")


def term_text(driver):
    return driver.execute_script(
        "const b = window.pdTerm.buffer.active; let s = '';"
        "for (let i = 0; i < b.length; i++) { const l = b.getLine(i); if (l) s += l.translateToString(true) + '\\n'; }"
        "return s;")


if __name__ == "__main__":
    main()
    print("all browser checks passed")
