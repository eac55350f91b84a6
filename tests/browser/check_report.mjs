// Loads ptmc's HTML report in Debian's chromium, the way a reader would, and checks it:
//  - every page reachable from index.html loads with no failed request, no request off the
//    local disk (the report must open with no network) and no script or console error;
//  - every link on those pages resolves: a page or file of the report that exists, and where the
//    link names a fragment (#id), an element with that id on the target page;
//  - every graph figure holds an SVG that parses as XML and has as many nodes (Graphviz's
//    <g class="node">) as the figure says its graph has;
//  - a screenshot of the index is saved to SCREENSHOT.
//
// Usage: node check_report.mjs REPORT_DIR SCREENSHOT.png
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";

const [reportDir, screenshot] = process.argv.slice(2);
if (!reportDir || !screenshot) {
  console.error("usage: node check_report.mjs REPORT_DIR SCREENSHOT.png");
  process.exit(2);
}
const root = path.resolve(reportDir);
const executablePath = process.env.PTMC_CHROMIUM || "/usr/bin/chromium";
if (!fs.existsSync(executablePath)) {
  console.error(`FAIL: no chromium at ${executablePath} (scripts/setup.sh installs it)`);
  process.exit(1);
}

const failures = [];
let passed = 0;
const fail = (what) => failures.push(what);
const ok = () => passed++;

// A fresh profile directory every run; the flags keep Chromium from reaching for the network.
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ptmc-chromium-"));
const args = [
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
if (process.getuid && process.getuid() === 0) args.push("--no-sandbox");

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args,
  viewport: { width: 1400, height: 900 },
  timeout: 60000,
});
try {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(60000);
  let current = "";
  page.on("requestfailed", (r) => fail(`${current}: request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.protocol !== "file:" && u.protocol !== "data:") fail(`${current}: request off the disk: ${r.url()}`);
  });
  page.on("pageerror", (e) => fail(`${current}: script error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") fail(`${current}: console error: ${m.text()}`);
  });

  const inside = (file) => file === root || file.startsWith(root + path.sep);
  const queue = [path.join(root, "index.html")];
  const visited = new Set();
  const idsOf = new Map(); // page file -> Set of element ids
  const fragmentLinks = []; // [from page, target page file, fragment]
  let links = 0, figures = 0;

  while (queue.length > 0) {
    const file = queue.shift();
    if (visited.has(file)) continue;
    visited.add(file);
    current = path.relative(root, file);
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    const info = await page.evaluate(() => {
      const hrefs = [];
      for (const a of document.querySelectorAll("a")) {
        const h = a.getAttribute("href") ?? a.getAttributeNS("http://www.w3.org/1999/xlink", "href");
        if (h !== null) hrefs.push(new URL(h, document.baseURI).href);
      }
      const ids = [...document.querySelectorAll("[id]")].map((e) => e.id);
      const figs = [...document.querySelectorAll("figure.graph")].map((f) => {
        const svg = f.querySelector("svg");
        let parses = false;
        if (svg) {
          const xml = new XMLSerializer().serializeToString(svg);
          const doc = new DOMParser().parseFromString(xml, "image/svg+xml");
          parses = doc.getElementsByTagName("parsererror").length === 0 &&
                   doc.documentElement.localName === "svg";
        }
        const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
        return {
          id: f.id,
          expected: Number(f.dataset.nodes),
          shown: svg ? svg.querySelectorAll("g.node").length : -1,
          parses,
          visible: box.width > 0 && box.height > 0,
        };
      });
      return { hrefs, ids, figs };
    });
    idsOf.set(file, new Set(info.ids));

    for (const f of info.figs) {
      figures++;
      if (!f.parses) fail(`${current}: figure ${f.id}: its SVG does not parse`);
      else if (!(f.expected > 0)) fail(`${current}: figure ${f.id}: no data-nodes count`);
      else if (f.shown !== f.expected)
        fail(`${current}: figure ${f.id}: the SVG shows ${f.shown} nodes, its graph has ${f.expected}`);
      else if (!f.visible) fail(`${current}: figure ${f.id}: the SVG is not displayed`);
      else ok();
    }

    for (const href of info.hrefs) {
      links++;
      const url = new URL(href);
      if (url.protocol === "data:") { ok(); continue; }
      if (url.protocol !== "file:") { fail(`${current}: link off the disk: ${href}`); continue; }
      const target = fileURLToPath(url);
      if (!inside(target)) { fail(`${current}: link outside the report: ${href}`); continue; }
      if (!fs.existsSync(target) || !fs.statSync(target).isFile()) {
        fail(`${current}: broken link: ${path.relative(root, target)}`);
        continue;
      }
      if (fs.statSync(target).size === 0) { fail(`${current}: link to an empty file: ${href}`); continue; }
      if (target.endsWith(".html")) {
        queue.push(target);
        if (url.hash) fragmentLinks.push([current, target, decodeURIComponent(url.hash.slice(1))]);
        else ok();
      } else {
        ok();
      }
    }
  }

  for (const [from, target, id] of fragmentLinks) {
    if (idsOf.get(target)?.has(id)) ok();
    else fail(`${from}: link to #${id} in ${path.relative(root, target)}, which has no such element`);
  }

  current = "index.html";
  await page.goto(pathToFileURL(path.join(root, "index.html")).href, { waitUntil: "load" });
  fs.mkdirSync(path.dirname(path.resolve(screenshot)), { recursive: true });
  await page.screenshot({ path: screenshot });
  console.log(`visited ${visited.size} pages, checked ${links} links and ${figures} graph figures`);
  console.log(`screenshot of the index: ${path.resolve(screenshot)}`);
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

for (const f of failures.slice(0, 50)) console.log(`FAIL: ${f}`);
if (failures.length > 50) console.log(`... and ${failures.length - 50} more failures`);
console.log(`${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
