"""The class report's stylesheet and script (grader/html_report.py puts both inside the page).

They are strings in a module rather than data files so that every wheel of grader carries them
(the Gradescope and student-kit wheels take only .py, .toml and .json files). The page's
Content-Security-Policy allows exactly these two texts, by their hashes.
"""

STYLE = r"""
:root {
  --text: #1f2328; --muted: #59636e; --line: #d1d9e0; --page: #f6f8fa; --accent: #0969da;
  --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9;
  --error: #8a5a00; --error-bg: #fff4c2;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--page); color: var(--text);
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 1.25rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; }
h2 { font-size: 1.2rem; margin: 0 0 .75rem; }
h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
.meta { color: var(--muted); margin: 0; }
nav { display: flex; flex-wrap: wrap; gap: .2rem 1.1rem; margin-top: .6rem; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
          padding: 1rem 1.25rem; margin: 1rem 0; }
.explain { color: var(--muted); margin: -.4rem 0 .75rem; font-size: .9rem; }
.stats { display: flex; flex-wrap: wrap; gap: .6rem; margin: 0 0 1rem; }
.stats div { border: 1px solid var(--line); border-radius: 6px; padding: .45rem .9rem; min-width: 7rem; }
.stats dt { color: var(--muted); font-size: .75rem; text-transform: uppercase; letter-spacing: .04em; }
.stats dd { margin: 0; font-size: 1.35rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.stats .of { color: var(--muted); font-size: .95rem; font-weight: 400; }
img.plot { display: block; max-width: 100%; height: auto; }
.note { background: var(--error-bg); border-left: 4px solid var(--error); padding: .5rem .75rem; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--page); font-weight: 600; white-space: nowrap; }
.num { text-align: right; }
table.narrow { width: auto; min-width: 50%; }
meter { width: 9rem; height: 1rem; }
ol.ranked { list-style: none; padding: 0; margin: 0; }
ol.ranked li { display: grid; grid-template-columns: 2.2rem 4.2rem 2.4rem 1fr; column-gap: .3rem;
                align-items: baseline; padding: .35rem 0; border-bottom: 1px solid var(--line); }
ol.ranked li:last-child { border-bottom: 0; }
.count { text-align: right; font-weight: 700; font-variant-numeric: tabular-nums; }
.unit { color: var(--muted); font-size: .85rem; }
.part { font-weight: 600; }
ol.ranked details { grid-column: 4; margin-top: .2rem; }
summary { cursor: pointer; color: var(--accent); font-size: .9rem; }
pre { background: var(--page); border: 1px solid var(--line); border-radius: 6px; margin: .4rem 0;
      padding: .6rem .8rem; max-height: 36rem; overflow: auto; white-space: pre-wrap;
      overflow-wrap: anywhere; font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
ul.problems { margin: 0; padding-left: 1.2rem; }
.sub { font-weight: 600; overflow-wrap: anywhere; }
.tools { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.25rem; margin-bottom: .6rem; }
input[type=search] { font: inherit; padding: .35rem .6rem; width: 24rem; max-width: 100%;
                     border: 1px solid var(--line); border-radius: 6px; }
#shown { color: var(--muted); }
.legend span { display: inline-block; padding: 0 .45rem; border-radius: 4px; margin-left: .25rem; font-size: .85rem; }
#students thead th { position: sticky; top: 0; z-index: 1; box-shadow: 0 1px 0 var(--line); }
#students th button { font: inherit; color: inherit; background: none; border: 0; padding: 0; cursor: pointer; }
#students th[aria-sort=ascending] button::after { content: " \25B2"; font-size: .7em; }
#students th[aria-sort=descending] button::after { content: " \25BC"; font-size: .7em; }
#students tbody { scroll-margin-top: 2.5rem; }   /* below the sticky heading */
#students td.sub { min-width: 15rem; }
#students .score { width: 2.6rem; }
tr.student { cursor: pointer; }
tr.student:hover td { filter: brightness(.96); }
tr.student td { background: #fff; }
button.open { font: inherit; color: var(--accent); background: none; border: 0; padding: 0;
              cursor: pointer; text-align: left; overflow-wrap: anywhere; }
button.open[aria-expanded=true]::before { content: "\25BE  "; }
button.open[aria-expanded=false]::before { content: "\25B8  "; }
.who { min-width: 9rem; overflow-wrap: anywhere; }
.who small { display: block; color: var(--muted); }
tr.student td.passed, .legend .passed { background: var(--pass-bg); color: var(--pass); }
tr.student td.failed, .legend .failed { background: var(--fail-bg); color: var(--fail); }
tr.student td.error, .legend .error { background: var(--error-bg); color: var(--error); }
tr.feedback > td { background: #fbfcfd; padding: .25rem .75rem .75rem; }
"""

# Sorting, searching and opening a student's feedback: a few lines over the table the page
# already holds, so no library is needed.
SCRIPT = r"""
"use strict";
(() => {
  const table = document.getElementById("students");
  const search = document.getElementById("search");
  const shown = document.getElementById("shown");
  const groups = () => Array.from(table.tBodies);   // one <tbody> per student: its row, its feedback
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function filter() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let count = 0;
    for (const group of groups()) {
      const who = group.querySelector("td.who");      // only when a Gradescope export names students
      const text = (group.rows[0].cells[0].textContent + " " + (who ? who.textContent : "")).toLowerCase();
      group.hidden = !words.every((word) => text.includes(word));
      count += group.hidden ? 0 : 1;
    }
    shown.textContent = `${count} of ${table.tBodies.length} shown`;
  }

  function sortBy(header) {
    const column = header.cellIndex;
    const numeric = header.dataset.type === "number";
    const ascending = header.getAttribute("aria-sort") !== "ascending";
    for (const cell of header.parentElement.cells) cell.removeAttribute("aria-sort");
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const key = (group) => {
      const cell = group.rows[0].cells[column];
      return numeric ? Number(cell.dataset.value) : cell.textContent.trim();
    };
    const order = (a, b) => (numeric ? key(a) - key(b) : collator.compare(key(a), key(b)));
    table.append(...groups().sort((a, b) => (ascending ? order(a, b) : order(b, a))));
  }

  table.tHead.addEventListener("click", (event) => {
    const header = event.target.closest("th[data-type]");
    if (header) sortBy(header);
  });
  function show(group, open) {
    group.rows[1].hidden = !open;
    group.querySelector("button.open").setAttribute("aria-expanded", String(open));
  }

  // A link to a student (#s-N, from the lists above the table, or shared) opens their feedback,
  // clearing a search that hides them, before the browser scrolls there.
  function follow(hash) {
    const group = hash.startsWith("#s-") ? document.getElementById(hash.slice(1)) : null;
    if (!group || group.parentElement !== table) return;
    if (group.hidden) {
      search.value = "";
      filter();
    }
    show(group, true);
  }

  table.addEventListener("click", (event) => {
    const row = event.target.closest("tr.student");
    if (row) show(row.parentElement, row.nextElementSibling.hidden);
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#s-']");
    if (link) follow(link.getAttribute("href"));
  });
  search.addEventListener("input", filter);
  filter();
  if (location.hash) {
    follow(location.hash);
    const target = document.getElementById(location.hash.slice(1));
    if (target) target.scrollIntoView();
  }
})();
"""
