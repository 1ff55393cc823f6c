#!/usr/bin/python3
"""flytec_console_check.py: flytec's own console (/console/) in headless Chromium against a real `flytec serve`.

Run by tests/integration/console_test.sh with the admin's URL, its token, the watched repository directory and an
output directory for screenshots. The server runs with --token-file and --public-reads: pages load without the
token, changes need it. Each check drives the page as a person would (clicks, typing, keys), waits for what it needs
to appear (never a fixed sleep as the condition), saves a screenshot and prints "PASS name" or "FAIL name: why".
"""
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

admin, token, repo, out = sys.argv[1:5]
MODE = sys.argv[5] if len(sys.argv) > 5 else "all"  # "token-only": the server has a token and no public reads
P, D = "examples", "development"
TIMEOUT = 60  # seconds for one condition: a loaded CI machine under ASan renders and runs slowly
shot_no = [0]


def report(name, ok, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)), flush=True)
    return ok


def shot(d, name):
    shot_no[0] += 1
    d.save_screenshot("%s/%02d-%s.png" % (out, shot_no[0], name))


def api(method, path, body=None, auth=True):
    req = urllib.request.Request(admin + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if auth:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def launch(name, lp, inputs):
    lits = {}
    for k, v in inputs.items():
        lits[k] = {"scalar": {"primitive": {"integer": str(v)} if isinstance(v, int) else {"stringValue": v}}}
    return api("POST", "/api/v1/executions", {"project": P, "domain": D, "name": name,
                                               "spec": {"launchPlan": {"project": P, "domain": D, "name": lp}},
                                               "inputs": {"literals": lits}})


def driver():
    o = Options()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--no-first-run", "--disable-extensions", "--window-size=1280,800"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_script_timeout(60)
    return d


def text(d):
    try:
        return d.find_element(By.TAG_NAME, "body").text
    except WebDriverException:
        return ""


def wait(d, cond, timeout=TIMEOUT):
    """Poll cond(d) until it is truthy; its last value (falsy on time-out)."""
    end = time.time() + timeout
    v = None
    while time.time() < end:
        try:
            v = cond(d)
        except WebDriverException:
            v = None
        if v:
            return v
        time.sleep(0.2)
    return v


def goto(d, hashpath):
    # a hash change opens a page without loading the document again: mark the page shown now, then wait for a
    # new page's heading (each page draws into its own element)
    try:
        d.execute_script("var p = document.querySelector('main .page'); if (p) p.setAttribute('data-old', '1');")
    except WebDriverException:
        pass
    d.get(admin + "/console/" + hashpath)
    wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "main .page:not([data-old]) h1"))
    # mark the window so a reload would be seen
    d.execute_script("window.__noReload = 1;")


def page(d, name, hashpath, wants):
    goto(d, hashpath)
    ok = wait(d, lambda d: all(w in text(d) for w in wants))
    shot(d, name)
    missing = [w for w in wants if w not in text(d)]
    return report(name, ok and not missing, "missing %s; page text: %s" % (missing, " ".join(text(d).split())[:400]))


def phase_of(d):
    els = d.find_elements(By.ID, "exec-phase")
    return els[0].get_attribute("textContent") if els else ""


def no_alert(d):
    try:
        a = d.switch_to.alert
        msg = a.text
        a.dismiss()
        return "an alert opened: %r" % msg
    except NoAlertPresentException:
        return ""


def main():
    d = driver()
    try:
        run_token_only(d) if MODE == "token-only" else run(d)
    except Exception as e:  # a check that cannot go on is a failure, never a silent stop
        report("browser-check", False, "stopped early: %s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
        raise
    finally:
        logs = []
        try:
            logs = [e for e in d.get_log("browser") if e.get("level") == "SEVERE" and "favicon" not in e.get("message", "")]
        except WebDriverException:
            pass
        for e in logs[:20]:
            print("browser console: %s" % e.get("message"))
        d.quit()


def run_token_only(d):
    """Without public reads every page needs the token: the page says so, and works once it is entered."""
    shot_no[0] = 90
    goto(d, "")
    need = wait(d, lambda d: "needs a token" in text(d))
    shot(d, "token-needed")
    report("reads-need-token", need and "examples" not in text(d), " ".join(text(d).split())[:300])
    d.find_element(By.ID, "token-input").send_keys(token + Keys.ENTER)
    ok = wait(d, lambda d: "examples" in text(d) and "development" in text(d))
    stored = d.execute_script("return sessionStorage.getItem('flytec.token') === arguments[0]", token)
    report("token-entered-once", ok and stored, "page: %s" % " ".join(text(d).split())[:300])
    page(d, "token-execution-list", "#/p/%s/%s/executions" % (P, D), ["console-form"])


def run(d):
    # pages a person opens first
    page(d, "projects", "", ["examples", "development"])
    page(d, "project", "#/p/%s/%s" % (P, D), ["hello", "gated", "xss_wf", "greet", "Launch plans"])
    # a spec's `description:` reaches the console through the registration (named entity, description entity),
    # shown as text next to the name and on the workflow's page
    GATED_DESC = "Waits for <b>approval</b> & a bonus <img src=x onerror=alert(4)>"
    listed = wait(d, lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, 'li[data-name="gated"] .entity-description') if GATED_DESC in e.text])
    if page(d, "workflow-description", "#/p/%s/%s/workflow/gated" % (P, D), [GATED_DESC]):
        shown = [e.text for e in d.find_elements(By.CSS_SELECTOR, "main p.description")]
        markup = d.execute_script("return document.querySelectorAll('main b, main img').length")
        report("spec-description-as-text", listed and GATED_DESC in shown and markup == 0 and not no_alert(d),
               "project page %r; workflow page %r; %d b/img elements in main" % (listed, shown, markup))
    if page(d, "workflow-dag", "#/p/%s/%s/workflow/hello" % (P, D), ["Graph", "greet", "who to greet", "hello.yaml in the watched repository"]):
        n = len(d.find_elements(By.CSS_SELECTOR, "svg.dag g.node"))
        d.execute_script("document.querySelector('svg.dag').scrollIntoView({block: 'center'})")
        shot(d, "workflow-dag-picture")
        report("workflow-dag-nodes", n == 4, "%d nodes drawn, want 4 (start, greet, remember, end)" % n)
    if page(d, "workflow-branch-array", "#/p/%s/%s/workflow/train_and_publish" % (P, D), ["array of train_candidate", "else"]):
        d.execute_script("document.querySelector('svg.dag').scrollIntoView({block: 'center'})")
        shot(d, "workflow-branch-array-picture")
    # 500 nodes: drawn, and the layout's own time measured in the page
    t0 = time.time()
    if page(d, "workflow-500", "#/p/%s/%s/workflow/wide500" % (P, D), ["502 nodes"]):
        print("the 500-node workflow page drawn in %.2f s (load, fetch, layout, SVG)" % (time.time() - t0), flush=True)
        ms = d.execute_async_script("""
            const done = arguments[arguments.length - 1];
            Promise.all([import('/console/dag.js'), fetch('/api/v1/workflows/examples/development/wide500?limit=1').then(r => r.json())])
              .then(([dag, res]) => {
                const prim = res.workflows[0].closure.compiledWorkflow.primary;
                const t0 = performance.now();
                for (let i = 0; i < 5; i++) dag.layout(dag.graphOf(prim));
                done((performance.now() - t0) / 5);
              }, (e) => done(-1));""")
        print("layout of 502 nodes: %.1f ms" % ms, flush=True)
        report("dag-500-layout", 0 <= ms < 1000, "layout took %.1f ms" % ms)
    page(d, "task", "#/p/%s/%s/task/greet" % (P, D), ["raw-container", "debian:12-slim", "name"])
    page(d, "schedules", "#/schedules", ["orders_nightly", "Europe/Berlin"])

    # the event-stream reader the live pages use (api.js), fed a scripted stream through a stand-in fetch: events
    # split across chunks, CRLF line ends, comments (pings), multi-line data, an event without a type
    got = d.execute_async_script(r"""
        const done = arguments[arguments.length - 1];
        import('/console/api.js').then(async (api) => {
          const chunks = [': ping\n\nid: 1\nevent: execution\ndata: {"a":', '1}\n\n', 'id: 2\r\nevent: nodes\r\n',
                          'data: [1,\r\ndata: 2]\r\n\r\n: ping\n\ndata: plain\n\n', 'event: execution\ndata: {"a":2}\n\n'];
          const real = window.fetch;
          window.fetch = async () => new Response(new ReadableStream({
            start(c) { for (const x of chunks) c.enqueue(new TextEncoder().encode(x)); c.close(); } }), { status: 200 });
          const seen = [];
          try { await api.stream('/x', (t, data) => seen.push([t, data])); } finally { window.fetch = real; }
          done(JSON.stringify(seen));
        }, (e) => done('import failed: ' + e));""")
    want = [["execution", '{"a":1}'], ["nodes", "[1,\n2]"], ["message", "plain"], ["execution", '{"a":2}']]
    report("event-stream-reader", got == json.dumps(want, separators=(",", ":")), "got %s" % got)

    # keyboard: Tab reaches the skip link first; the DAG zooms with "+"
    goto(d, "#/p/%s/%s/workflow/hello" % (P, D))
    wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "svg.dag g.view[transform]"))
    d.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    first = d.switch_to.active_element.text
    svg = d.find_element(By.CSS_SELECTOR, "svg.dag")
    before = d.find_element(By.CSS_SELECTOR, "svg.dag g.view").get_attribute("transform")
    d.execute_script("arguments[0].focus()", svg)
    d.switch_to.active_element.send_keys("+")
    after = wait(d, lambda d: (lambda t: t if t != before else None)(d.find_element(By.CSS_SELECTOR, "svg.dag g.view").get_attribute("transform")), 10)
    report("keyboard", first == "Skip to content" and after, "first Tab stop %r; transform %r -> %r" % (first, before, after))

    # the token case: a launch without the token is refused and nothing is created
    goto(d, "#/p/%s/%s/launchplan/hello" % (P, D))
    wait(d, lambda d: d.find_elements(By.ID, "launch-btn"))
    d.find_element(By.ID, "exec-name").send_keys("console-notoken")
    d.find_element(By.ID, "launch-btn").click()
    msg = wait(d, lambda d: (lambda t: t if "refused" in t else None)(d.find_element(By.CLASS_NAME, "form-status").text))
    shot(d, "launch-without-token")
    code, _ = api("GET", "/api/v1/executions/%s/%s/console-notoken" % (P, D))
    report("token-refused", msg and "token" in msg and code == 404, "status %r; execution lookup %d" % (msg, code))

    # in-page type checks on the gated launch plan's integer input
    goto(d, "#/p/%s/%s/launchplan/gated" % (P, D))
    field = wait(d, lambda d: d.find_elements(By.ID, "in-x"))
    if field:
        field[0].send_keys("abc")
        err = wait(d, lambda d: d.find_element(By.ID, "in-x-err").text, 10)
        shot(d, "launch-form-type-check")
        report("form-type-check", err and "integer" in err, "field message %r" % err)
    else:
        report("form-type-check", False, "no input x on the gated launch plan")

    # enter the token once in the header; the launch form then works and the execution runs to SUCCEEDED live
    d.find_element(By.ID, "token-input").send_keys(token)
    d.find_element(By.ID, "token-input").send_keys(Keys.ENTER)
    wait(d, lambda d: "set" in d.find_element(By.ID, "token-state").text, 10)
    goto(d, "#/p/%s/%s/launchplan/hello" % (P, D))
    name_in = wait(d, lambda d: d.find_elements(By.ID, "in-name"))
    name_in[0].clear()
    name_in[0].send_keys("console")
    d.find_element(By.ID, "exec-name").send_keys("console-form")
    d.find_element(By.ID, "launch-btn").click()
    wait(d, lambda d: phase_of(d))
    seen = set()

    def done(d):
        seen.add(phase_of(d))
        return phase_of(d) == "SUCCEEDED"

    ok = wait(d, done)
    reloaded = d.execute_script("return window.__noReload !== 1")
    shot(d, "execution-succeeded")
    report("launch-live-succeeded", ok and not reloaded and "console-form" in d.current_url,
           "phases seen %s; reloaded %s; url %s" % (sorted(seen), reloaded, d.current_url))
    greeting = wait(d, lambda d: (lambda e: e and "Hello, console!" in e[0].text)(d.find_elements(By.ID, "outputs")), 20)
    report("execution-outputs", greeting, "the workflow's output greeting is not shown under Outputs")
    painted = d.execute_script("return [...document.querySelectorAll('svg.dag g.node')].map(n => n.getAttribute('data-phase'))")
    d.execute_script("document.querySelector('svg.dag').scrollIntoView({block: 'end'})")
    shot(d, "execution-dag")
    report("execution-page", "name" in text(d) and "console" in text(d) and painted.count("SUCCEEDED") >= 2,
           "DAG phases %s; outputs shown %s" % (painted, bool(greeting)))

    # relaunch: a new execution with the same inputs, followed live on its own page
    d.find_element(By.ID, "relaunch").click()
    moved = wait(d, lambda d: "console-form" not in d.current_url and "/execution/" in d.current_url)
    ok = wait(d, lambda d: phase_of(d) == "SUCCEEDED")
    shot(d, "relaunched")
    report("relaunch", moved and ok and "console" in text(d) and d.execute_script("return window.__noReload === 1"),
           "url %s; phase %r" % (d.current_url, phase_of(d)))
    goto(d, "#/p/%s/%s/execution/console-form" % (P, D))
    wait(d, lambda d: phase_of(d) == "SUCCEEDED" and d.find_elements(By.CSS_SELECTOR, "#nodes button.linkish"))

    # a task's log, from the node's attempt
    btn = [b for b in d.find_elements(By.CSS_SELECTOR, "#nodes button.linkish") if b.text == "greet"]
    if btn:
        btn[0].click()
        show = wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#node-detail button.show-log"))
        show[0].click()
        code, body = api("GET", "/api/v1/logs/%s/%s/console-form/greet?attempt=0" % (P, D))
        want = "Hello" if code == 200 else "logs unavailable"
        log = wait(d, lambda d: (lambda e: e[0].text if e and want in e[0].text else None)(d.find_elements(By.CSS_SELECTOR, "pre.log")))
        d.execute_script("var e = document.querySelector('pre.log'); if (e) e.scrollIntoView({block: 'center'});")
        shot(d, "task-log")
        report("task-log", log, "want %r in the log view (the logs endpoint answered %d)" % (want, code))
    else:
        report("task-log", False, "no greet row in the node table")

    # a running attempt's log follows: the view opened while the task prints shows its later lines without a click
    code, body = launch("console-tick", "ticking", {})
    goto(d, "#/p/%s/%s/execution/console-tick" % (P, D))
    row = wait(d, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, "#nodes button.linkish") if b.text == "tick"])
    first, last, state = None, None, None
    if row:
        row[0].click()
        show = wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#node-detail button.show-log"))
        if show:
            show[0].click()
            first = wait(d, lambda d: (lambda e: e[0].text if e and "tick" in e[0].text else None)(d.find_elements(By.CSS_SELECTOR, "pre.log")))
            last = wait(d, lambda d: (lambda e: e[0].text if e and "tick 8" in e[0].text else None)(d.find_elements(By.CSS_SELECTOR, "pre.log")))
            state = wait(d, lambda d: (lambda e: e[0].get_attribute("data-state") if e and e[0].get_attribute("data-state") == "complete" else None)(
                d.find_elements(By.CSS_SELECTOR, "pre.log")), 40)
    d.execute_script("var e = document.querySelector('pre.log'); if (e) e.scrollIntoView({block: 'center'});")
    shot(d, "task-log-followed")
    report("task-log-follows", first and "tick 8" not in first and last and last.count("tick ") == 8 and state == "complete",
           "launch %d; first view %r; later %r; state %r" % (code, first, last, state))
    # the page opened while the run went on: its updates came through the watch stream, not the polling stand-in
    # (#live counts both)
    wait(d, lambda d: phase_of(d) == "SUCCEEDED")
    via = d.execute_script("var l = document.getElementById('live'); return l ? [l.getAttribute('data-via'), "
                           "Number(l.getAttribute('data-events')), Number(l.getAttribute('data-polls'))] : null")
    report("execution-live-via-stream", via and via[0] == "stream" and via[1] >= 4 and via[2] == 0 and phase_of(d) == "SUCCEEDED",
           "phase %r; live element %r (want via stream, >= 4 stream events, 0 polls)" % (phase_of(d), via))

    # nested nodes (array children, the subworkflow's nodes, the branch's case) are coloured in their parent's box
    # and listed under their parent in the node table
    code, body = launch("console-nested", "nested", {})
    goto(d, "#/p/%s/%s/execution/console-nested" % (P, D))
    wait(d, lambda d: phase_of(d) == "SUCCEEDED")

    def nested(d):
        got = d.execute_script("""
            const o = {};
            for (const g of document.querySelectorAll('svg.dag g.node')) {
              const r = [...g.querySelectorAll('rect.nested-node')].map(x => x.getAttribute('data-phase'));
              if (r.length) o[g.getAttribute('data-node')] = r;
            }
            o.rows = [...document.querySelectorAll('#nodes tr.nested')].map(r => r.getAttribute('data-parent'));
            return o;""")
        ok = all(k in got and got[k] and all(p == "SUCCEEDED" for p in got[k]) for k in ("fan", "sub", "pick"))
        return got if ok and len(got["fan"]) == 3 and len(got["sub"]) >= 2 and len(got["rows"]) >= 6 else None
    got = wait(d, nested, 30)
    d.execute_script("document.querySelector('svg.dag').scrollIntoView({block: 'center'})")
    shot(d, "execution-nested")
    report("execution-nested-colours", got, "launch %d; nested squares and rows %r" % (code, nested.__name__ and d.execute_script(
        "return [...document.querySelectorAll('svg.dag rect.nested-node')].map(x => x.getAttribute('data-node') + '=' + x.getAttribute('data-phase'))")))

    # 600 node executions: the first page of the node table holds 500 (the stream's first event), "More nodes"
    # asks the rest through the list's token, and then the button is gone
    # (opened once the run ended: a page open while it runs gets every node through the stream's changes instead)
    code, body = launch("console-600", "wide600", {"x": 6})
    wait(d, lambda d: b'"SUCCEEDED"' in api("GET", "/api/v1/executions/%s/%s/console-600" % (P, D))[1], 120)
    goto(d, "#/p/%s/%s/execution/console-600" % (P, D))
    wait(d, lambda d: phase_of(d) == "SUCCEEDED")
    rows = lambda d: len(d.find_elements(By.CSS_SELECTOR, "#nodes tr[data-node]"))
    first = wait(d, lambda d: rows(d) == 500 and d.find_elements(By.ID, "more-nodes-button"))
    shot(d, "execution-600-first-page")
    report("nodes-first-page-500", first and "500 nodes shown, more to come" in text(d),
           "launch %d, phase %s, rows %d, more: %r" % (code, phase_of(d), rows(d),
                                                      [e.text for e in d.find_elements(By.ID, "more-nodes")]))
    if first:
        d.execute_script("document.getElementById('more-nodes-button').click()")
        all_rows = wait(d, lambda d: rows(d) == 600 and not d.find_elements(By.ID, "more-nodes-button"))
        shot(d, "execution-600-all")
        names = d.execute_script("return [...document.querySelectorAll('#nodes tr[data-node]')].map(r => r.getAttribute('data-node'))")
        report("nodes-more-pages-all-600", all_rows and sorted(names) == sorted("m%d" % i for i in range(600)),
               "rows %d, distinct %d, button still there: %s" % (rows(d), len(set(names)),
                                                                 bool(d.find_elements(By.ID, "more-nodes-button"))))

    # the executions list: filters and times in the viewer's zone with UTC on hover
    if page(d, "executions-filtered", "#/p/%s/%s/executions?phase=SUCCEEDED" % (P, D), ["console-form", "answered in"]):
        title = d.find_element(By.CSS_SELECTOR, "#exec-list time").get_attribute("title")
        report("times-utc-hover", title.endswith("(UTC)"), "title %r" % title)
    goto(d, "#/p/%s/%s/executions?phase=FAILED" % (P, D))
    empty = wait(d, lambda d: "No executions match" in text(d))
    report("executions-filter-excludes", empty and "console-form" not in text(d), " ".join(text(d).split())[:300])

    # terminate a running execution from its page
    code, body = launch("console-slow", "slow", {})
    goto(d, "#/p/%s/%s/execution/console-slow" % (P, D))
    term = wait(d, lambda d: d.find_elements(By.ID, "terminate"))
    if term:
        term[0].click()
        wait(d, lambda d: d.switch_to.alert, 10).accept()
        ok = wait(d, lambda d: phase_of(d) == "ABORTED")
        shot(d, "execution-terminated")
        report("terminate", ok, "phase %r (launch answered %d)" % (phase_of(d), code))
    else:
        report("terminate", False, "no Terminate button; launch answered %d %s; phase %r" % (code, body[:200], phase_of(d)))

    # approve a gate
    code, body = launch("console-gate", "gated", {"x": 4})
    goto(d, "#/p/%s/%s/execution/console-gate" % (P, D))
    appr = wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#gates button.approve"))
    shot(d, "gate-waiting")
    if appr:
        appr[0].click()
        gone = wait(d, lambda d: not d.find_elements(By.CSS_SELECTOR, '#gates [data-signal="release"]'))
        report("approve-gate", gone, "the release gate still waits")
        # the signal gate: its value is checked against the signal's type before it is sent
        field = wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, '#gates form[data-signal="bonus"] input'))
        if field:
            field[0].send_keys("seven")
            field[0].send_keys(Keys.ENTER)
            err = wait(d, lambda d: d.find_element(By.CSS_SELECTOR, '#gates form[data-signal="bonus"] .field-error').text, 10)
            field = d.find_elements(By.CSS_SELECTOR, '#gates form[data-signal="bonus"] input')
            field[0].clear()
            field[0].send_keys("7")
            field[0].send_keys(Keys.ENTER)
            ok = wait(d, lambda d: phase_of(d) == "SUCCEEDED")
            shot(d, "gate-approved-signal-set")
            code, body = api("GET", "/api/v1/signals/%s/%s/console-gate" % (P, D))
            report("set-signal", ok and err and "integer" in err and b'"integer":"7"' in body.replace(b" ", b""),
                   "phase %r; type message %r; signals %s" % (phase_of(d), err, body[:300]))
        else:
            report("set-signal", False, "no field for the bonus signal; page: %s" % " ".join(text(d).split())[:300])
    else:
        report("approve-gate", False, "no Approve button; launch answered %d; page: %s" % (code, " ".join(text(d).split())[:300]))

    # the executions list follows new runs without a reload (the change stream, or its polling stand-in)
    goto(d, "#/p/%s/%s/executions" % (P, D))
    wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#exec-list tr[data-name]"))
    code, _ = launch("console-listed", "hello", {"name": "list"})
    seen = wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, '#exec-list tr[data-name="console-listed"]'))
    shot(d, "executions-live")
    report("executions-list-live", seen and d.execute_script("return window.__noReload === 1"),
           "launch answered %d; rows %s" % (code, [e.get_attribute("data-name") for e in d.find_elements(By.CSS_SELECTOR, "#exec-list tr[data-name]")]))

    # the launch plan filter: only the gated run
    page(d, "executions-by-launch-plan", "#/p/%s/%s/executions?launchplan=gated" % (P, D), ["console-gate"])
    names = [e.get_attribute("data-name") for e in d.find_elements(By.CSS_SELECTOR, "#exec-list tr[data-name]")]
    report("executions-filter-launch-plan", names == ["console-gate"], "rows %s" % names)

    # the XSS case: markup in a description and a default value is shown as text; nothing runs
    if page(d, "xss", "#/p/%s/%s/workflow/xss_wf" % (P, D), ["<script>alert(1)</script> shown as text", "<script>alert(3)</script>"]):
        injected = d.execute_script("return document.querySelectorAll('main script, main img').length")
        report("xss-inert", not no_alert(d) and injected == 0, "%s; %d script/img elements in main" % (no_alert(d), injected))
    goto(d, "#/p/%s/%s/launchplan/xss_wf" % (P, D))
    val = wait(d, lambda d: (lambda e: e[0].get_attribute("value") if e else None)(d.find_elements(By.ID, "in-note")))
    report("xss-default-as-text", val == "<img src=x onerror=alert(2)>" and not no_alert(d), "value %r" % val)

    # the watched repository: a spec broken while the page is open shows its error with the caret line
    page(d, "repository", "#/repository", ["hello.yaml", "0 failing"])
    with open(os.path.join(repo, "broken_console.yaml"), "w") as f:
        f.write("project: examples\nworkflows:\n  - name: broken_console\n    nodes:\n      - {id: a, task: no_such_task}\n")
    diag = wait(d, lambda d: (lambda e: e[0].text if e else None)(d.find_elements(By.CSS_SELECTOR, 'section.diag[data-path="broken_console.yaml"] pre')))
    shot(d, "repository-broken")
    ok = diag and re.search(r"broken_console\.yaml:\d+:\d+: error", diag) and "^" in diag and "no_such_task" in diag
    report("repository-diagnostic", ok and "1 failing" in text(d) and d.execute_script("return window.__noReload === 1"),
           "diagnostics %r" % diag)

    # a file that compiled before breaks: its last good versions are listed as still registered
    path = os.path.join(repo, "hello.yaml")
    with open(path) as f:
        spec = f.read()
    with open(path, "w") as f:
        f.write(spec.replace("task: remember", "task: rememberr"))
    still = wait(d, lambda d: (lambda e: e[0].text if e and "hello@" in e[0].text else None)(
        d.find_elements(By.CSS_SELECTOR, 'section.diag[data-path="hello.yaml"] .still-active')))
    d.execute_script("var e = document.querySelector('section.diag[data-path=\"hello.yaml\"]'); if (e) e.scrollIntoView();")
    shot(d, "repository-last-good")
    report("repository-last-good", still and "workflow examples/development/hello@" in still and "launch plan" in still
           and "2 failing" in text(d), "still-active text %r" % still)

    # narrow window: nothing wider than the window
    d.set_window_size(420, 900)
    goto(d, "#/p/%s/%s/execution/console-form" % (P, D))
    wait(d, lambda d: phase_of(d) == "SUCCEEDED")
    wide = d.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    shot(d, "narrow-execution")
    report("narrow", wide[0] <= wide[1] + 2, "page %dpx wide in a %dpx window" % tuple(wide))
    d.set_window_size(1280, 800)


if __name__ == "__main__":
    main()
