#!/usr/bin/python3
"""console_check.py: FlyteConsole (v1.10.4, built from source) in headless Chromium against `flytec serve`.

Run by tests/integration/flyteconsole_test.sh with the console's origin, the admin's URL, the project, a finished
execution's name and an output directory for screenshots. Each check loads a console page, waits until the text
it needs shows up (the console decodes the admin's protobuf answers; with JSON it shows nothing), saves a
screenshot, and prints "PASS name" or "FAIL name: why".
"""
import json
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

console, admin, project, execution, out = sys.argv[1:6]
domain = "development"
TIMEOUT = 75  # seconds per page: generous, a loaded CI machine under ASan renders slowly


def driver():
    o = Options()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--no-first-run", "--disable-extensions", "--window-size=1400,1000"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    # A network like a real deployment's: 40 ms per request. On loopback the admin answers in about a millisecond,
    # often before React has drawn the list's LOADING state, and FlyteConsole 1.10.4 then leaves the list idle
    # (see page()); with a real network's latency it does not.
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.emulateNetworkConditions",
                      {"offline": False, "latency": 40, "downloadThroughput": -1, "uploadThroughput": -1})
    return d


def body_text(d):
    try:
        return d.find_element(By.TAG_NAME, "body").text
    except Exception:
        return ""


def report(name, ok, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)), flush=True)


def page(d, n, name, path, wants, timeout=TIMEOUT, loads=1):
    """Open console path; pass when every string of `wants` is in the page's text (case-insensitive).

    loads > 1 opens the page again when the text has not come within timeout/loads seconds: FlyteConsole 1.10.4's
    useFetchableData can leave a list in its IDLE state for good (it resets the fetch when its cache key is first
    set during a render, and its effect that starts a load only runs again when "is idle" changes), so a page
    sometimes stays empty although every admin answer came back 200; a user reloads. Each reload is printed."""
    text = ""
    for load in range(loads):
        if load:
            print("%s: the console left a list unloaded; opening the page again (%d of %d)" % (name, load + 1, loads),
                  flush=True)
        d.get(console + "/console" + path)
        end = time.time() + timeout / loads
        while time.time() < end:
            text = body_text(d)
            if all(w.lower() in text.lower() for w in wants):
                break
            time.sleep(0.5)
        if all(w.lower() in text.lower() for w in wants):
            break
    d.save_screenshot("%s/%02d-%s.png" % (out, n, name))
    missing = [w for w in wants if w.lower() not in text.lower()]
    report(name, not missing, "missing %s; page text: %s" % (missing, " ".join(text.split())[:300]))
    if missing:
        browser_errors(d)
    return not missing


def browser_errors(d):
    """Print the page's own console errors (a failed page is usually a script error in the console's code)."""
    try:
        for e in d.get_log("browser"):
            if e.get("level") in ("SEVERE", "WARNING"):
                print("browser %s: %s" % (e["level"], e["message"][:600]), flush=True)
    except Exception as e:
        print("browser log unavailable: %s" % e, flush=True)


def admin_json(path):
    with urllib.request.urlopen(admin + path, timeout=10) as r:
        return json.load(r)


def executions():
    d = admin_json("/api/v1/executions/%s/%s?limit=100" % (project, domain))
    return {x["id"]["name"] for x in d.get("executions", [])}


def click_text(d, labels, timeout=TIMEOUT):
    """Click the first visible button whose text is one of `labels`; True when clicked."""
    end = time.time() + timeout
    while time.time() < end:
        for b in d.find_elements(By.XPATH, "//button|//*[@role='button']"):
            try:
                if b.is_displayed() and b.text.strip().lower() in labels and b.get_attribute("disabled") is None:
                    d.execute_script("arguments[0].scrollIntoView(true); arguments[0].click();", b)
                    return True
            except Exception:
                pass
        time.sleep(0.5)
    return False


def main():
    d = driver()
    try:
        base = "/projects/%s/domains/%s" % (project, domain)
        page(d, 1, "project-list", "/select-project", [project])
        page(d, 2, "workflows", base + "/workflows", ["hello", "orders_etl", "train_and_publish"])
        page(d, 3, "tasks", base + "/tasks", ["greet", "remember"])
        page(d, 4, "launch-plans", base + "/launchPlans", ["hello", "orders_etl"])
        versions = admin_json("/api/v1/workflows/%s/%s/hello?limit=5" % (project, domain))["workflows"]
        page(d, 5, "workflow-versions", base + "/workflows/hello", ["versions", versions[0]["id"]["version"]],
             timeout=3 * TIMEOUT, loads=6)
        x = admin_json("/api/v1/executions/%s/%s/%s" % (project, domain, execution))
        nodes = admin_json("/api/v1/node_executions/%s/%s/%s" % (project, domain, execution))["nodeExecutions"]
        node_ids = [n["id"]["nodeId"] for n in nodes if n["closure"]["phase"] == "SUCCEEDED"]
        ok = x["closure"]["phase"] == "SUCCEEDED" and node_ids
        if not ok:
            report("execution-nodes", False, "the API says %s, nodes %s" % (x["closure"]["phase"], node_ids))
        else:
            page(d, 6, "execution-nodes", "/projects/%s/domains/%s/executions/%s" % (project, domain, execution),
                 node_ids + ["succeeded"])
        # relaunch from the execution page: the button opens the launch form (pre-filled), whose Launch button
        # creates a new execution through POST /api/v1/executions with a protobuf body
        before = executions()
        clicked = click_text(d, {"relaunch"})
        if clicked:
            time.sleep(2)
            d.save_screenshot("%s/07-relaunch-form.png" % out)
            clicked = click_text(d, {"launch"})
        new = set()
        end = time.time() + TIMEOUT
        while clicked and time.time() < end and not new:
            new = executions() - before
            time.sleep(0.5)
        time.sleep(2)
        d.save_screenshot("%s/08-relaunched.png" % out)
        report("relaunch", clicked and bool(new),
               "buttons clicked: %s; new executions: %s; page text: %s" %
               (clicked, sorted(new), " ".join(body_text(d).split())[:300]))
    finally:
        d.quit()


main()
