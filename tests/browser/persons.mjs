// Browser test of "Stapeling per persoon" (person-level stacking, here the SYNTHETIC demo
// table) in Debian's Chromium via Playwright, with axe-core checking WCAG 2.1 A/AA. Page figures
// are compared with the API, never with constants; suppressed cells must stay suppressed.
//
//   node tests/browser/persons.mjs http://127.0.0.1:8080 target/screenshots
import assert from "node:assert/strict";
import { start } from "./harness.mjs";

const { base, shots, page, axe, step, api, finish } = await start("persons.mjs");

// Dutch number formatting as the server does it: decimal comma, thousands dots from five
// digits on (4500, 45.000).
function nl(x, d) {
  const [int, frac] = x.toFixed(d).split(".");
  const grouped = int.length > 4 ? int.replace(/\B(?=(\d{3})+(?!\d))/g, ".") : int;
  return frac ? `${grouped},${frac}` : grouped;
}
const national = await api("/api/persons-stacking");
assert.equal(national.synthetic, true, "the demo table is synthetic");
assert.equal(national.region, "NL01");
assert.deepEqual(national.classes.map((c) => c.label), ["0", "1", "2", "3+"]);

// 1. The national page: SYNTHETIC label, the total's table equal to the API, a chart per
//    single breakdown with a table beside it, the crossed breakdown as a table.
await step("national distribution: synthetic label, tables equal to the API", async () => {
  const response = await page.goto(`${base}/stapeling-personen`);
  assert.equal(response.status(), 200);
  assert.equal(await page.locator("h1").innerText(), "Stapeling per persoon");
  assert.ok((await page.locator(".synthetic-banner").innerText()).includes("SYNTHETISCH"));
  assert.ok((await page.title()).includes("SYNTHETISCH"));
  const total = national.rows.find((r) => r.breakdown === "");
  const cells = await page.locator("#total-table").locator("xpath=..").locator("tbody tr").first().locator("td").allInnerTexts();
  assert.equal(cells[0], nl(total.persons.value, 0));
  total.counts.forEach((c, i) => assert.equal(cells[i + 1].replace(/\s+/g, " "), `${nl(c.value, 0)} (${nl(c.share, 1)}%)`));
  const sections = await page.locator("section.persons").count();
  const groups = new Set(national.rows.filter((r) => r.breakdown).map((r) => Object.keys(r.dimensions).join("+")));
  assert.equal(sections, 1 + groups.size);
  // A chart beside every table but the crossed one, one bar per row.
  assert.equal(await page.locator("section.persons svg.stack100").count(), 1 + [...groups].filter((g) => !g.includes("+")).length);
  const ages = national.rows.filter((r) => Object.keys(r.dimensions).join("+") === "age_class").length;
  const ageSection = page.locator("section.persons").nth(1);
  assert.equal(await ageSection.locator("tbody tr").count(), ages);
  await page.screenshot({ path: `${shots}/persons-nl.png`, fullPage: true });
});
await axe("persons (nl)");

// 2. A small gemeente: suppressed cells show as suppressed and are never filled in.
const small = await api("/api/persons-stacking?region=GM0096");
const suppressed = small.rows.flatMap((r) => r.counts).filter((c) => c.status === "suppressed").length;
assert.ok(suppressed > 0, "the demo has suppressed cells in Vlieland");
await step("suppressed cells shown as suppressed, never with a number", async () => {
  await page.goto(`${base}/stapeling-personen?region=GM0096`);
  assert.ok((await page.locator("h2").first().innerText()).startsWith("Vlieland"));
  assert.equal(await page.locator("table.persons-table .suppressed").count(),
    suppressed + small.rows.filter((r) => r.persons.status === "suppressed").length);
  for (const r of small.rows) {
    r.counts.forEach((c) => { if (c.status === "suppressed") assert.equal(c.value, null); });
  }
  await page.screenshot({ path: `${shots}/persons-vlieland.png`, fullPage: true });
});
await axe("persons Vlieland");

// 3. Keyboard only: choose another region in the form and submit it.
await step("keyboard: region chosen and shown without a mouse", async () => {
  await page.goto(`${base}/stapeling-personen`);
  await page.locator("#region").focus();
  await page.keyboard.press("End"); // last option
  const chosen = await page.locator("#region").inputValue();
  assert.notEqual(chosen, "NL01");
  await page.locator("main button[type=submit]").focus();
  await Promise.all([page.waitForURL(new RegExp(`region=${chosen}`)), page.keyboard.press("Enter")]);
  const api2 = await api(`/api/persons-stacking?region=${chosen}`);
  const name = await page.locator("#region option:checked").innerText();
  assert.ok((await page.locator("h2").first().innerText()).startsWith(name));
  assert.equal(api2.region, chosen);
  // The tables scroll with the keyboard: focusable regions with a name.
  assert.ok(await page.locator(".table-scroll[tabindex='0'][aria-labelledby]").count() >= 2);
});

// 4. English.
await step("English version", async () => {
  await page.goto(`${base}/stapeling-personen?region=GM0363&lang=en`);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.locator("h1").innerText(), "Stacking per person");
  assert.ok((await page.locator(".synthetic-banner").innerText()).includes("SYNTHETIC"));
  assert.ok((await page.locator("section.persons").nth(2).locator("tbody").innerText()).includes("low SES"));
  await page.screenshot({ path: `${shots}/persons-en.png`, fullPage: true });
});
await axe("persons (en)");

// 5. The API's CSV and its errors.
await step("API: CSV and caller mistakes", async () => {
  const csv = await (await fetch(`${base}/api/persons-stacking?region=GM0096&format=csv`)).text();
  assert.ok(csv.startsWith("region,period,breakdown,class,persons_in_class,status,persons,share,synthetic"));
  assert.ok(csv.includes(",suppressed,"));
  assert.equal((await fetch(`${base}/api/persons-stacking?regio=GM0096`)).status, 400);
  assert.equal((await fetch(`${base}/api/persons-stacking?region=GM0344`)).status, 404);
  const cells = await api(`/api/breakdowns?indicator=synthetic_mds_stack_3plus&region=GM0096&period=2024`);
  assert.equal(cells[0].breakdown, "");
  assert.ok(cells.some((c) => c.status === "suppressed" && c.value === null));
});

await finish("all person-stacking browser checks passed");
