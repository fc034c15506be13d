// Browser test of the regiobeeld (regional picture) in Debian's Chromium via Playwright, with
// axe-core checking WCAG 2.1 A/AA: for a gemeente (GM0599), one of its wijken and one buurt
// the page is printed to PDF by Chromium and must be exactly one A4 page (pdfinfo), is rendered
// to a PNG under target/regiobeeld for a person to look at (pdftoppm), and its key figures
// equal the API's. Then the phone menu: it opens and closes by keyboard, and says so.
//
//   node tests/browser/regiobeeld.mjs http://127.0.0.1:8080 target/screenshots
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import assert from "node:assert/strict";
import { start } from "./harness.mjs";

const { base, shots, browser, page, errors, axe, step, api, finish } = await start("regiobeeld.mjs", { viewport: { width: 1280, height: 1000 } });
const prints = join(dirname(shots), "regiobeeld");
mkdirSync(prints, { recursive: true });

// Dutch number formatting as the server does it.
function nl(x, d) {
  const [int, frac] = Math.abs(x).toFixed(d).split(".");
  const grouped = int.length > 4 ? int.replace(/\B(?=(\d{3})+(?!\d))/g, ".") : int;
  return (x < 0 && Number(x.toFixed(d)) !== 0 ? "−" : "") + (frac ? `${grouped},${frac}` : grouped);
}
function shown(value, indicator) {
  const n = nl(value, indicator.decimals);
  if (indicator.unit === "%") return `${n}%`;
  if (indicator.unit === "" || indicator.unit === "aantal") return n;
  return `${n} ${indicator.unit}`;
}

const gm = await api("/api/regions/GM0599");
const wijk = gm.children[0].code;
const wk = await api(`/api/regions/${wijk}`);
assert.ok(wk.children.length > 0, `${wijk} has buurten`);
const buurt = wk.children[0].code;

for (const code of ["GM0599", wijk, buurt]) {
  const profile = await api(`/api/regions/${code}`);
  const response = await page.goto(`${base}/regio/${code}/regiobeeld`);
  assert.equal(response.status(), 200, code);
  const title = await page.locator("h1").innerText();
  assert.ok(title.startsWith("Regiobeeld"), title);
  // Key figures from the picture's period equal the API's, and every row names its population.
  const rows = page.locator(".rb-key tbody tr");
  const n = await rows.count();
  assert.ok(n >= 5, `${code}: ${n} key figures`);
  let compared = 0;
  for (let i = 0; i < n; i++) {
    const row = rows.nth(i);
    const id = await row.getAttribute("data-indicator");
    const population = await row.locator(".rb-pop").innerText();
    assert.ok(population.length > 0, `${code} ${id}: population named`);
    if (Number(await row.getAttribute("data-period")) !== profile.period) continue;
    const fromApi = profile.indicators.find((r) => r.indicator.id === id);
    if (!fromApi || fromApi.value === null) continue;
    assert.equal(await row.locator(".rb-value").innerText(), shown(fromApi.value, fromApi.indicator), `${code} ${id}`);
    assert.equal(population, fromApi.indicator.population.label.nl, `${code} ${id} population`);
    compared++;
  }
  assert.ok(compared > 0, `${code}: at least one key figure compared with the API`);
  // The birth slots are named gaps with their source, never figures.
  const gaps = await page.locator(".rb-gaps").innerText();
  assert.ok(gaps.includes("Vroeggeboorte") && gaps.includes("Perined"), `${code}: birth slot named`);
  // Downloads: every table as CSV, the map as SVG, the page as PDF and SVG.
  for (const href of await page.locator(".regiobeeld a[download]").evaluateAll((as) => as.map((a) => a.getAttribute("href")))) {
    const r = await fetch(`${base}${href}`);
    assert.equal(r.status, 200, href);
    const type = r.headers.get("content-type");
    assert.ok(/csv|svg|pdf/.test(type), `${href}: ${type}`);
  }
  await axe(`regiobeeld ${code}`);
  // Printed by Chromium on A4: exactly one page.
  const pdfPath = join(prints, `${code}-chromium.pdf`);
  await page.pdf({ path: pdfPath, format: "A4", printBackground: true, preferCSSPageSize: true });
  const info = execFileSync("pdfinfo", [pdfPath], { encoding: "utf8" });
  const pages = Number(/Pages:\s+(\d+)/.exec(info)[1]);
  assert.equal(pages, 1, `${code}: printed regiobeeld has ${pages} pages`);
  assert.ok(/\(A4\)/.test(info), `${code}: A4 page: ${info}`);
  execFileSync("pdftoppm", ["-png", "-r", "90", "-singlefile", pdfPath, join(prints, `${code}-chromium`)]);
  console.log(`ok ${code}: one A4 page; key figures equal the API (${compared}); PNG in ${prints}/${code}-chromium.png`);
}
await page.goto(`${base}/regio/GM0599/regiobeeld`);
await page.screenshot({ path: `${shots}/regiobeeld.png`, fullPage: true });

// The profile links to its regiobeeld (in the profile's year) and names its similar areas.
await page.goto(`${base}/regio/GM0599`);
assert.equal(await page.locator(`p.regiobeeld-link a[href="/regio/GM0599/regiobeeld?period=${gm.period}"]`).count(), 1);
const similar = await api("/api/regions/GM0599/similar");
assert.equal(similar.similar.length, similar.rule.k);
for (const a of similar.similar) assert.equal(await page.locator(`.similar-line a[href="/regio/${a.code}?period=${gm.period}"]`).count(), 1, a.code);
console.log("ok profile: regiobeeld link and similar areas as in the API");

// Downloads everywhere: on the profile, the themes page and the regiobeeld every table and
// chart has download links; each answers 200 with its type, a CSV names the population and the
// source of every figure, an SVG parses as SVG, a PDF is a PDF.
async function checkDownload(href) {
  const r = await fetch(`${base}${href}`);
  assert.equal(r.status, 200, href);
  const type = r.headers.get("content-type");
  if (type.startsWith("text/csv")) {
    const text = await r.text();
    const header = text.split("\n")[0].split(",");
    assert.ok(header.some((h) => h.startsWith("population")), `${href}: population column in ${header}`);
    assert.ok(header.includes("source"), `${href}: source column in ${header}`);
    const lines = text.trim().split("\n");
    assert.ok(lines.length >= 2, `${href}: rows`);
    return "csv";
  }
  if (type === "image/svg+xml") {
    const text = await r.text();
    const ok = await page.evaluate((t) => {
      const d = new DOMParser().parseFromString(t, "image/svg+xml");
      return d.querySelector("parsererror") === null && d.documentElement.localName === "svg";
    }, text);
    assert.ok(ok, `${href}: valid SVG`);
    return "svg";
  }
  assert.equal(type, "application/pdf", href);
  assert.equal(Buffer.from(await r.arrayBuffer()).subarray(0, 5).toString(), "%PDF-", href);
  return "pdf";
}
async function checkDownloads(path, { minCsv, minSvg }) {
  await page.goto(`${base}${path}`);
  const links = await page.locator("main a[download]").evaluateAll((as) => as.map((a) => ({ href: a.getAttribute("href"), text: a.textContent.trim() })));
  const kinds = { csv: 0, svg: 0, pdf: 0 };
  for (const { href, text } of links) {
    assert.ok(text.length > 2, `${path}: ${href} has a label`);
    kinds[await checkDownload(href)]++;
  }
  assert.ok(kinds.csv >= minCsv, `${path}: ${kinds.csv} CSV links`);
  assert.ok(kinds.svg >= minSvg, `${path}: ${kinds.svg} SVG links`);
  console.log(`ok downloads ${path}: ${kinds.csv} CSV, ${kinds.svg} SVG, ${kinds.pdf} PDF, all 200 with population and source`);
}
// The profile: one CSV and one SVG per table (one per source), the whole profile, the similar areas.
await page.goto(`${base}/regio/GM0599`);
const groups = await page.locator("details.profile-group").count();
assert.equal(await page.locator("details.profile-group p.downloads").count(), groups, "every profile table has downloads");
await checkDownloads("/regio/GM0599", { minCsv: groups + 2, minSvg: groups });
// The themes page: every table has its CSV; the bar charts (themes, characteristics,
// protective factors) their SVG.
await page.goto(`${base}/regio/GM0599/themas`);
assert.equal(await page.locator("main p.downloads").count(), await page.locator("main table.data").count(), "every themes table has downloads");
await checkDownloads("/regio/GM0599/themas", { minCsv: 3, minSvg: 3 });
await checkDownloads(`/regio/GM0599/regiobeeld?period=${gm.period}`, { minCsv: 3, minSvg: 4 });
// English: the same links, labelled in English, the SVG in English.
await page.goto(`${base}/regio/GM0599/themas?lang=en`);
assert.ok((await page.locator("main a[download]", { hasText: "table as CSV" }).count()) >= 3);
const enSvg = await page.locator("main a[download]", { hasText: "chart as SVG" }).first().getAttribute("href");
assert.match(await (await fetch(`${base}${enSvg}`)).text(), /Whom these figures describe/);
await page.goto(`${base}/regio/GM0599?lang=nl`);
await axe("profile with downloads and table of contents");

// The profile's table of contents opens the folded table it points to.
await step("profile: the table of contents opens each folded table", async () => {
  await page.goto(`${base}/regio/GM0599`);
  const toc = page.locator("nav.page-toc a");
  const n = await toc.count();
  assert.ok(n >= 2, `${n} entries`);
  for (let i = 0; i < n; i++) {
    const href = await toc.nth(i).getAttribute("href");
    await toc.nth(i).click();
    const target = page.locator(href);
    if (await target.evaluate((e) => e.tagName === "DETAILS")) {
      assert.ok(await target.evaluate((d) => d.open), `${href} opened`);
      assert.ok(await target.locator("table, ul").first().isVisible(), `${href} shows its content`);
    }
    assert.ok(await target.evaluate((e) => { const r = e.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; }), `${href} scrolled into view`);
  }
  // Straight from an address: the folded section is open when the page loads.
  const last = await page.locator("details.profile-group:not([open])").count();
  const id = await page.locator("details.profile-group").last().getAttribute("id");
  await page.goto(`${base}/regio/GM0599#${id}`);
  assert.ok(await page.locator(`#${id}`).evaluate((d) => d.open), `#${id} open on load (${last} were closed)`);
});

// Permalinks: a choice made with a form is in the address; the address reproduces the view, and
// the permanent link holds every choice, also the defaults.
async function roundTrip(path, choose, read) {
  await page.goto(`${base}${path}`);
  await choose();
  const url = page.url();
  const seen = await read();
  const fresh = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await fresh.goto(url);
  const again = await read(fresh);
  assert.deepEqual(again, seen, `${url} reproduces the view`);
  const permalink = await fresh.locator("p.permalink a").getAttribute("href");
  await fresh.goto(`${base}${permalink}`);
  assert.deepEqual(await read(fresh), seen, `${permalink} reproduces the view`);
  await fresh.close();
  console.log(`ok permalink ${path}: ${url.replace(base, "")} and ${permalink}`);
  return url;
}
const selected = (p, ids) => Promise.all(ids.map((id) => p.locator(`select#${id}`).inputValue()));
async function submit(values) {
  for (const [id, v] of Object.entries(values)) await page.selectOption(`select#${id}`, v);
  await Promise.all([page.waitForURL(/\?/), page.locator("form.controls button[type=submit]").click()]);
}
// The map: an indicator about one population (young adults 16–25), its level and a year.
const indicators = await api("/api/indicators");
const young = indicators.find((i) => i.population?.id === "16_25" && i.levels.includes("gemeente") && i.periods.length >= 1);
assert.ok(young, "an indicator about young adults");
await roundTrip("/?level=gemeente", async () => {
  await submit({ indicator: young.id });
  await submit({ period: String(young.periods[0]) });
}, async (p = page) => [...await selected(p, ["indicator", "level", "period"]), await p.locator("table.data caption").first().innerText()]);
assert.ok(page.url().includes(`indicator=${young.id}`) && page.url().includes(`period=${young.periods[0]}`), page.url());
// The profile and the themes page: another year.
const other = gm.periods.find((y) => y !== gm.period);
await roundTrip("/regio/GM0599", () => submit({ period: String(other) }),
  async (p = page) => [await selected(p, ["period"]), await p.locator("p.risk-link a").getAttribute("href"), await p.locator("table.profile tbody tr").count()]);
assert.equal(await page.locator("p.risk-link a").getAttribute("href"), `/regio/GM0599/themas?period=${other}`, "the link to the themes keeps the year");
assert.equal(await page.locator("nav.breadcrumb a").first().getAttribute("href"), `/?level=gemeente&period=${other}`, "the way back to the map keeps level and year");
const themesPeriods = (await api("/api/regions/GM0599/themes")).periods;
if (themesPeriods.length > 1) {
  const y = themesPeriods.find((x) => x !== themesPeriods[themesPeriods.length - 1]) ?? themesPeriods[0];
  await roundTrip("/regio/GM0599/themas", () => submit({ period: String(y) }),
    async (p = page) => [await selected(p, ["period"]), await p.locator("table.themes tbody").innerText()]);
}
// The stacking map: a level and a year, and its regions link to their themes in that year.
await roundTrip("/stapeling", () => submit({ level: "wijk", period: "2020" }),
  async (p = page) => [await selected(p, ["level", "period"]), await p.locator("table.stacking tbody tr").count()]);
assert.match(await page.locator("table.stacking tbody a").first().getAttribute("href"), /\/themas\?period=2020$/);

// Phone: the navigation folds behind a menu button that works by keyboard.
const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
phone.on("pageerror", (e) => errors.push(String(e)));
await phone.goto(`${base}/regio/GM0599/regiobeeld`);
const [scroll, client] = await phone.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
assert.ok(scroll <= client, `regiobeeld is ${scroll} px wide on a ${client} px phone`);
const header = await phone.locator(".page-header").boundingBox();
assert.ok(header.height <= 160, `phone header is ${header.height}px high`);
const button = phone.locator(".menu-toggle");
assert.ok(await button.isVisible(), "menu button shown on a phone");
assert.equal(await button.getAttribute("aria-expanded"), "false");
assert.ok(!(await phone.locator("#main-nav-list").isVisible()), "navigation folded");
// Reach the button with Tab, as a keyboard user would.
let guard = 0;
while (!(await button.evaluate((b) => b === document.activeElement)) && guard++ < 10) await phone.keyboard.press("Tab");
assert.ok(await button.evaluate((b) => b === document.activeElement), "menu button reachable by Tab");
await phone.keyboard.press("Enter");
assert.equal(await button.getAttribute("aria-expanded"), "true");
assert.ok(await phone.locator("#main-nav-list").isVisible(), "Enter opens the menu");
await phone.keyboard.press("Tab");
assert.ok(await phone.evaluate(() => document.activeElement.closest("#main-nav-list") !== null), "Tab moves into the open menu");
await phone.keyboard.press("Escape");
assert.equal(await button.getAttribute("aria-expanded"), "false");
assert.ok(await button.evaluate((b) => b === document.activeElement), "Escape returns focus to the button");
await phone.keyboard.press("Space");
assert.equal(await button.getAttribute("aria-expanded"), "true", "Space opens");
await phone.keyboard.press("Enter");
assert.equal(await button.getAttribute("aria-expanded"), "false", "Enter closes");
await phone.screenshot({ path: `${shots}/regiobeeld-phone.png` });
await phone.close();
console.log(`ok phone: header ${Math.round(header.height)} of 844 px; menu opens and closes by keyboard`);

await finish("regiobeeld.mjs: all checks passed");
