"""`grader report --html`: a class graded by `grader batch`, its page opened in a real headless
Chromium (Debian's, driven by Selenium): no console errors, the numbers are `grader summary`'s,
search, sort and each student's feedback work, and hostile names stay text."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from grader.reports.html import text
from tests.conftest import BASE, CORRECT, GRADER, ROOT, SOLUTIONS, run_cli, sabotage

sys.path.insert(0, str(SOLUTIONS))
from mutants import MUTANTS, apply  # noqa: E402

# Each would set window.pwned if the page let it run.
HOSTILE_FILE = "zz\"'><img src=x onerror=\"window.pwned='name'\"><script>window.pwned='name';.py"
HOSTILE_PRINT = "</pre></td></tr></table><script>window.pwned='output'</script>"
HOSTILE_ERROR = "</pre><script>window.pwned='message'</script>"
HOSTILE_STUDENT = "<script>window.pwned='metadata'</script>"
HOSTILE_EMAIL = "\"><img src=x onerror=\"window.pwned='email'\">"
# The flags this machine needs (no internet): without them Chromium keeps trying to connect out.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1280,1000"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class of 66 graded with `grader batch`: the correct solutions, every mutant, a hang, a
    crash, a function raising a hostile message, a hostile file name and a Gradescope export
    whose metadata holds hostile names. Returns (folder, results, summary text, page)."""
    tmp = tmp_path_factory.mktemp("report")
    root = tmp / "class"
    root.mkdir()
    for path in CORRECT:
        shutil.copy(path, root / f"correct-{path.name}")
    for mutant in MUTANTS:
        (root / f"mutant-{mutant.name}.py").write_text(apply(BASE, mutant))
    (root / "hang.py").write_text(sabotage("dy_db1", "while True: pass"))
    (root / "crash.py").write_text("import ctypes\nctypes.string_at(0)\n" + BASE)
    (root / "raises.py").write_text(sabotage("relu_net", f"raise ValueError({HOSTILE_ERROR!r})"))
    (root / HOSTILE_FILE).write_text(BASE + f"\nprint({HOSTILE_PRINT!r})\n")
    for folder, source in (("submission_7", BASE), ("submission_8", apply(BASE, MUTANTS[0]))):
        (root / folder).mkdir()
        (root / folder / "dis02.py").write_text(source)
    (root / "submission_metadata.yml").write_text(yaml.safe_dump({
        "submission_7": {":submitters": [{":name": HOSTILE_STUDENT, ":email": HOSTILE_EMAIL, ":sid": "7"}]},
        "submission_8": {":submitters": [{":name": "Ada Lovelace", ":email": "ada@example.edu", ":sid": "1815"}]}}))
    results, page = tmp / "results.jsonl", tmp / "report.html"
    batch = run_cli("batch", root, "--out", results, "-j", "2", timeout=900)
    assert batch.returncode == 0, batch.stderr
    summary = run_cli("summary", results, "--top", "10")
    assert summary.returncode == 0, summary.stderr
    made = run_cli("report", results, "--html", page, "--top", "10")
    assert made.returncode == 0 and f"wrote {page}" in made.stderr, made.stderr
    return root, results, summary.stdout, page


def parse_summary(output: str) -> dict:
    """What `grader summary` printed, read back from its text."""
    head = re.match(r"(\d+) submissions; total mean (\S+) / (\S+), median (\S+), min (\S+), max (\S+)\n", output)
    assert head, output
    blocks = output.split("\n\n")
    parts = [line.split() for line in blocks[1].splitlines()[1:]]

    def ranked(title: str) -> list[tuple[int, str]]:
        block = next(b for b in blocks if b.startswith(title))
        return [(int(count), name) for count, name in
                (line.strip().split("  ", 1) for line in block.splitlines()[1:] if line.strip() != "none")]

    errors = next(b for b in blocks if b.startswith("errors ("))
    timeouts = next(b for b in blocks if b.startswith("timeouts ("))
    return {"count": head[1], "mean": head[2], "max_total": head[3], "median": head[4], "min": head[5],
            "max": head[6], "parts": [(p[0], p[1], p[2], p[3]) for p in parts],
            "failing": ranked("most common failing checks"), "mistakes": ranked("most common mistakes"),
            "error_count": re.match(r"errors \((\d+)", errors)[1],
            "error_lines": errors.splitlines()[1:],
            "timeout_count": re.match(r"timeouts \((\d+)", timeouts)[1],
            "timeout_lines": [line.strip() for line in timeouts.splitlines()[1:]]}


def _browser_or_reason() -> str | None:
    if shutil.which("chromium") and shutil.which("chromedriver"):
        return None
    if os.geteuid() == 0 and shutil.which("apt-get"):
        pytest.fail("Chromium can be installed here (root, apt-get) but is not: run `make setup`")
    return ("needs Debian's chromium and chromium-driver, which `make setup` installs only as root "
            "with apt-get")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    reason = _browser_or_reason()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})   # the console, for get_log
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    yield driver
    driver.quit()


def open_page(driver, page):
    driver.get_log("browser")     # empties the log: each test reads what its own visit said, load included
    driver.get(page.as_uri())


def console_errors(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def texts(driver, selector: str) -> list[str]:
    from selenium.webdriver.common.by import By
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, selector)]


def visible_names(driver) -> list[str]:
    return [name for name in texts(driver, "#students tr.student td.sub") if name]


def open_feedback(driver, name: str):
    """Click the row of submission `name`; its feedback row."""
    from selenium.webdriver.common.by import By
    row = next(r for r in driver.find_elements(By.CSS_SELECTOR, "#students tr.student")
               if r.find_element(By.CSS_SELECTOR, "td.sub").text == name)
    row.click()
    return row.find_element(By.XPATH, "following-sibling::tr[1]")


def test_page_numbers_equal_summary(graded, browser):
    root, _, summary_text, page = graded
    expected = parse_summary(summary_text)
    assert expected["count"] == str(len(list(root.iterdir())) - 1)      # every entry but the metadata
    assert len(expected["mistakes"]) >= 5 and expected["error_count"] != "0" and expected["timeout_count"] != "0"
    open_page(browser, page)
    assert console_errors(browser) == []      # anything the page's load logged, CSP refusals included
    shown = {key: browser.find_element("id", key).text
             for key in ("count", "mean", "median", "min", "max", "error-count", "timeout-count")}
    assert shown == {"count": expected["count"], "mean": expected["mean"], "median": expected["median"],
                     "min": expected["min"], "max": expected["max"], "error-count": expected["error_count"],
                     "timeout-count": expected["timeout_count"]}
    assert browser.find_element("css selector", "#overview .of").text == f"/ {expected['max_total']}"
    parts = [tuple(row.split(" ")[:1] + row.rsplit(" ", 3)[1:])
             for row in texts(browser, "#parts tbody tr")]
    assert parts == expected["parts"]
    for ident, key in (("mistakes", "mistakes"), ("failing", "failing")):
        items = browser.find_elements("css selector", f"#{ident} > li")
        assert [(int(li.find_element("class name", "count").text),
                 li.find_element("class name", "part").text + ": " + li.find_element("class name", "what").text)
                for li in items] == expected[key]
    page_errors = [f"  {li.find_element('class name', 'sub').text}: {li.text.split(': ', 1)[1][:150]}"
                   for li in browser.find_elements("css selector", "#errors li")]
    assert page_errors[:10] == expected["error_lines"]
    assert texts(browser, "#timeouts li") == expected["timeout_lines"] == ["hang.py"]
    assert len(browser.find_elements("css selector", "#students tr.student")) == int(expected["count"])
    assert browser.find_element("css selector", "img.plot").get_attribute("naturalWidth") not in ("0", None)


def test_search_sort_and_feedback(graded, browser, tmp_path_factory):
    from selenium.webdriver.common.by import By
    root, _, _, page = graded
    open_page(browser, page)
    every = visible_names(browser)
    search = browser.find_element(By.ID, "search")

    search.send_keys("mutant-y-")
    wanted = sorted(f"mutant-{m.name}.py" for m in MUTANTS if m.name.startswith("y-"))
    assert len(wanted) >= 3 and sorted(visible_names(browser)) == wanted
    assert browser.find_element(By.ID, "shown").text == f"{len(wanted)} of {len(every)} shown"
    search.clear()
    search.send_keys("LOVELACE 1815")               # a student's name and SID, from the export
    assert visible_names(browser) == ["submission_8"]
    search.clear()
    search.send_keys(" ")
    assert visible_names(browser) == every

    total = browser.find_element(By.XPATH, "//table[@id='students']//th[.//button[text()='total']]")
    totals = lambda: [float(cell.get_attribute("data-value")) for cell in
                      browser.find_elements(By.CSS_SELECTOR, "#students tr.student td:nth-child(3)")]
    total.find_element(By.TAG_NAME, "button").click()
    assert total.get_attribute("aria-sort") == "ascending"
    assert totals() == sorted(totals()) and totals()[0] < totals()[-1]
    total.find_element(By.TAG_NAME, "button").click()
    assert total.get_attribute("aria-sort") == "descending" and totals() == sorted(totals(), reverse=True)

    # After sorting, a row still opens its own student's feedback: what `grader check` prints.
    name = "mutant-db2-zero.py"
    row = browser.find_element(By.XPATH, f"//tr[@class='student'][.//button[text()='{name}']]")
    feedback = row.find_element(By.XPATH, "following-sibling::tr[1]")
    assert not feedback.is_displayed()
    row.find_elements(By.TAG_NAME, "td")[2].click()
    assert feedback.is_displayed()
    check = run_cli("check", name, cwd=root)
    assert check.returncode == 1 and re.search(r"FAIL\s+1a", check.stdout)
    assert feedback.text == check.stdout.strip()
    shots = Path(os.environ.get("GRADER_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", feedback)
    browser.save_screenshot(str(shots / "feedback-open.png"))
    row.click()
    assert not feedback.is_displayed()

    # A name in the list of errors links to that student's row and opens it, search or no search.
    search.send_keys("mutant-")
    crash = browser.find_element(By.XPATH, "//table[@id='students']//tr[.//button[text()='crash.py']]")
    assert not crash.is_displayed()
    browser.find_element(By.XPATH, "//ul[@id='errors']//a[text()='crash.py']").click()
    assert crash.is_displayed() and search.get_attribute("value") == ""
    assert "SIGSEGV" in crash.find_element(By.XPATH, "following-sibling::tr[1]").text
    assert console_errors(browser) == []
    _full_page_screenshot(browser, shots / "report.png", page)
    print(f"screenshots in {shots}")


def _full_page_screenshot(driver, path, page):
    import base64
    open_page(driver, page)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "format": "png"})
    path.write_bytes(base64.b64decode(shot["data"]))


def test_hostile_names_are_text(graded, browser):
    from selenium.webdriver.common.by import By
    _, _, _, page = graded
    open_page(browser, page)
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.execute_script("return document.scripts.length") == 1
    assert len(browser.find_elements(By.TAG_NAME, "img")) == 1          # the plot, and nothing injected
    assert HOSTILE_FILE in visible_names(browser)
    who = texts(browser, "#students td.who")
    assert any(HOSTILE_STUDENT in cell and HOSTILE_EMAIL in cell for cell in who)
    row = browser.find_element(By.XPATH, "//tr[@class='student'][.//td[@class='who'][contains(., 'window.pwned')]]")
    assert row.find_element(By.CSS_SELECTOR, "td.sub").text == "submission_7"
    assert HOSTILE_PRINT in open_feedback(browser, HOSTILE_FILE).text
    assert HOSTILE_ERROR in open_feedback(browser, "raises.py").text
    assert browser.execute_script("return window.pwned === undefined")
    assert console_errors(browser) == []


def test_without_matplotlib_tables_take_the_plots_place(graded, browser, tmp_path):
    from selenium.webdriver.common.by import By
    _, results, summary_text, _ = graded
    page = tmp_path / "plain.html"
    blocked = ("import sys; sys.modules['matplotlib'] = None; from grader.cli import main; "
               f"sys.argv = ['grader', 'report', {str(results)!r}, '--html', {str(page)!r}]; main()")
    made = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, cwd=ROOT,
                          stdin=subprocess.DEVNULL, timeout=300)
    assert made.returncode == 0, made.stderr
    assert "matplotlib is not installed" in made.stderr
    open_page(browser, page)
    assert browser.find_elements(By.TAG_NAME, "img") == []
    assert "pip install 'sandgrade[plot]'" in browser.find_element(By.ID, "no-plot").text
    rows = [row.split() for row in texts(browser, "#distribution tbody tr")]
    totals = [doc_score for doc_score in _scores(results)]
    assert [(float(total), int(count)) for total, count in rows] == \
        sorted((t, totals.count(t)) for t in set(totals))
    assert browser.find_element(By.ID, "mean").text == parse_summary(summary_text)["mean"]
    assert console_errors(browser) == []


def _scores(results) -> list[float]:
    import json
    return [json.loads(line)["score"] for line in results.read_text().splitlines()]


def test_summary_lists_ties_in_one_order_whatever_the_hash_seed(graded):
    """The page must equal `grader summary`'s text, which must not change from run to run."""
    results, summary_text = graded[1], graded[2]
    for seed in ("0", "1", "2", "3"):
        again = subprocess.run([*GRADER, "summary", str(results), "--top", "10"], capture_output=True, text=True,
                               cwd=ROOT, stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONHASHSEED": seed})
        assert again.returncode == 0 and again.stdout == summary_text, seed


def test_the_page_loads_nothing_from_outside(graded):
    html = graded[3].read_text()
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)[1]
    assert "default-src 'none'" in policy and "img-src data:;" in policy and "unsafe-inline" not in policy
    assert html.count("<script") == 1 and html.count("<img") == 1
    for hostile in (HOSTILE_FILE, HOSTILE_PRINT, HOSTILE_ERROR, HOSTILE_STUDENT, HOSTILE_EMAIL):
        assert hostile not in html and text(hostile) in html
    for address in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert address.startswith(("data:", "#")), address


def test_every_string_of_a_document_is_escaped(graded):
    """Documents from elsewhere (merged, edited, another version) with markup in every text field:
    names, titles, part ids, check names, hints, messages, output, load messages, students."""
    import json
    from grader.reports.html import build
    marker = "<script>window.pwned=1</script>"

    def spoil(value, key=""):
        if isinstance(value, dict):
            return {k: spoil(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [spoil(v, key) for v in value]
        if isinstance(value, str) and key not in ("status", "kind"):   # words from a fixed list, checked
            return value + marker
        return value

    docs = [spoil(json.loads(line)) for line in graded[1].read_text().splitlines()]
    assert any(check.get("hint") for doc in docs for part in doc["parts"] for check in part["checks"])
    page, _ = build(docs, top=100, source=marker)
    assert marker not in page and page.count(text(marker)) > 1000
    assert page.count("<script") == 1


def test_text_escapes_markup_quotes_and_controls():
    assert text("<b title=\"x\">'&</b>") == "&lt;b title=&quot;x&quot;&gt;&#x27;&amp;&lt;/b&gt;"
    assert text("a\x1b[31mred\x00\udcff") == "a\\x1b[31mred\\x00\\xff"   # visible, as everywhere
    assert text("tab\tnew\nline") == "tab\tnew\nline"


@pytest.mark.parametrize("content, message", [
    ("", "no score documents"),
    ('{"submission": "a.py"}\n', "document 1 of the file is not a score document"),
    ('[1, 2]\n', "document 1 of the file is not a score document"),
])
def test_bad_results_are_usage_errors(tmp_path, content, message):
    results = tmp_path / "results.jsonl"
    results.write_text(content)
    made = run_cli("report", results, "--html", tmp_path / "r.html")
    assert made.returncode == 2 and message in made.stderr and "Traceback" not in made.stderr
    assert not (tmp_path / "r.html").exists()


def test_binary_file_and_missing_option_are_usage_errors(tmp_path):
    results = tmp_path / "results.jsonl"
    results.write_bytes(b"\xff\xfe\x00garbage")
    made = run_cli("report", results, "--html", tmp_path / "r.html")
    assert made.returncode == 2 and "no score documents to report on" in made.stderr and "Traceback" not in made.stderr
    made = subprocess.run([*GRADER, "report", str(results)], capture_output=True, text=True, cwd=ROOT,
                          stdin=subprocess.DEVNULL, timeout=120)
    assert made.returncode == 2 and "--html" in made.stderr
