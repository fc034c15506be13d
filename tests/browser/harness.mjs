// What every browser test script shares: its arguments, Debian's Chromium started by Playwright,
// page errors and console errors collected, axe-core's WCAG 2.1 A/AA check, named steps and an
// API reader. One place, so a change to how pages are checked reaches every script.
//
//   import { start } from "./harness.mjs";
//   const { base, shots, browser, context, page, errors, axe, step, api, finish } =
//     await start("dashboard.mjs");
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// Reads `node SCRIPT BASE_URL [SCREENSHOT_DIR]`, starts Chromium with one page of `viewport`
// and returns the helpers the scripts use. `script` names the script in the usage message.
export async function start(script, { viewport = { width: 1400, height: 1000 } } = {}) {
  const base = process.argv[2];
  const shots = process.argv[3] ?? "target/screenshots";
  assert.ok(base, `usage: ${script} BASE_URL [SCREENSHOT_DIR]`);
  mkdirSync(shots, { recursive: true });

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  // A context of its own (as browser.newPage makes one) so a script can read its cookies.
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  // Page errors and console errors both count: a Content-Security-Policy violation is one.
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`${page.url()}: ${m.text()}`); });

  // GETs an API path, requires 200 and returns the JSON body.
  async function api(path) {
    const r = await fetch(`${base}${path}`);
    assert.equal(r.status, 200, path);
    return r.json();
  }

  // Runs axe-core on the page as it is now (WCAG 2.1 A/AA) and fails on any violation.
  async function axe(name, target = page) {
    // Not addScriptTag: an inline <script> is exactly what the Content-Security-Policy refuses.
    await target.evaluate(axeSource);
    const result = await target.evaluate(async () =>
      // eslint-disable-next-line no-undef
      await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
    const report = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
    assert.deepEqual(report, [], `axe violations on ${name}:\n${report.join("\n")}`);
    console.log(`ok axe ${name}: 0 violations (${result.passes.length} rules passed)`);
  }

  // Runs one named check and says so when it passed.
  async function step(name, fn) {
    await fn();
    console.log(`ok ${name}`);
  }

  // The end of a script: no page or console errors on the way, the browser closed, `message`.
  async function finish(message) {
    assert.deepEqual(errors, [], `browser errors:\n${errors.join("\n")}`);
    await browser.close();
    console.log(message);
  }

  return { base, shots, browser, context, page, errors, axe, step, api, finish };
}
