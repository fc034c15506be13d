// Browser test of the long-term monitoring pages (trend chart, "what changed", early warning),
// in Debian's Chromium via Playwright, with axe-core checking WCAG 2.1 A/AA on every page.
//
//   node tests/browser/time.mjs http://127.0.0.1:8080 target/screenshots
//
// Exits non-zero on the first failed check; screenshots are kept for CI artefacts.
import assert from "node:assert/strict";
import { start } from "./harness.mjs";

const { base, shots, page, axe, step, finish } = await start("time.mjs");

// 1. From the region profile to the trend of Eemsdelta's population across the 2021 merger.
await step("profile links to the trend and to what changed", async () => {
  await page.goto(`${base}/regio/GM1979?lang=nl`);
  assert.ok(await page.locator('a[href="/regio/GM1979/wijzigingen"]').isVisible());
  await Promise.all([page.waitForURL(/\/regio\/GM1979\/trend/), page.locator('ul.region-links a[href="/regio/GM1979/trend"]').click()]);
});

await step("trend chart of a merged gemeente: harmonised marker, table with the published sum", async () => {
  await page.goto(`${base}/regio/GM1979/trend?indicator=kwb_aantal_inwoners`);
  assert.equal(await page.locator("h1").innerText(), "Aantal inwoners: Eemsdelta");
  const chart = page.locator("svg.trend-chart");
  assert.equal(await chart.getAttribute("role"), "img");
  assert.match(await chart.locator("desc").textContent(), /2019: 46\.051 \(omgerekend\); 2020: 45\.857 \(omgerekend\); 2024: 45\.106/);
  assert.equal(await chart.locator("rect.m-harmonised").count(), 2, "2019 and 2020 were converted to the 2024 layout");
  assert.equal(await chart.locator("circle.m-published").count(), 1);
  const row = page.locator("table.data tbody tr", { hasText: "2019" });
  assert.match(await row.innerText(), /46\.051/);
  assert.match(await row.innerText(), /GM0003 \+ GM0010 \+ GM0024/);
  await page.screenshot({ path: `${shots}/trend-eemsdelta.png`, fullPage: true });
});
await axe("trend (gemeente)");

await step("trend of a wijk rate with national line, and the test behind the change", async () => {
  await page.goto(`${base}/regio/WK036300/trend?indicator=kwb_laag_inkomen&layout=2019`);
  assert.equal(await page.locator("svg.trend-chart polyline.national").count(), 1);
  assert.equal(await page.locator("svg.trend-chart polyline.region-line").count(), 1);
  const summary = await page.locator("ul.trend-summary").innerText();
  assert.match(summary, /Sinds 2017: .*procentpunt.*(z-toets voor twee proporties)/);
  await page.screenshot({ path: `${shots}/trend-wijk.png`, fullPage: true });
});
await axe("trend (wijk)");

await step("switching indicator with the form, keyboard only", async () => {
  await page.goto(`${base}/regio/WK036300/trend?indicator=kwb_laag_inkomen&layout=2019`);
  await page.locator("#indicator").focus();
  await page.selectOption("#indicator", "kwb_wmo_clienten_relatief");
  await page.keyboard.press("Tab"); // the layout select or the button
  await Promise.all([page.waitForURL(/indicator=kwb_wmo_clienten_relatief/), page.locator("form.controls button").press("Enter")]);
  assert.match(await page.locator("ul.trend-summary").innerText(), /Nieuw: deze indicator is in 2019 voor het eerst gepubliceerd/);
});

// 2. What changed: Haaren, split over four gemeenten in 2021.
await step("what changed: the Haaren split with its shares", async () => {
  await page.goto(`${base}/regio/GM0788/wijzigingen`);
  const rows = page.locator("table.changes tbody tr");
  assert.equal(await rows.count(), 4);
  const shares = (await rows.locator("td.num").allInnerTexts()).map((t) => parseFloat(t.replace(",", ".")));
  assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 100) < 0.3, `shares add up to 100%: ${shares}`);
  await page.screenshot({ path: `${shots}/changes-haaren.png`, fullPage: true });
});
await axe("what changed");

await step("what changed, in English: Amsterdam absorbed Weesp", async () => {
  await page.goto(`${base}/regio/GM0363/wijzigingen?lang=en`);
  assert.match(await page.locator("table.changes").innerText(), /merger[\s\S]*Weesp/);
  await page.screenshot({ path: `${shots}/changes-amsterdam-en.png`, fullPage: false });
});
await axe("what changed (en)");

// 3. Early warning: map and list with reasons.
await step("early warning: map of Amsterdam's wijken and the flagged list", async () => {
  await page.goto(`${base}/signalen?level=wijk&period=2019&lang=nl`);
  assert.equal(await page.locator('.main-nav a[aria-current="page"]').innerText(), "Signalen");
  assert.equal(await page.locator("svg.map a.region").count(), 99);
  const flagged = await page.locator("table.warnings tbody tr").count();
  const onMap = await page.locator("svg.map a.region.w1, svg.map a.region.w2, svg.map a.region.w3").count();
  assert.equal(onMap, flagged, "every flagged wijk is coloured on the map");
  if (flagged > 0) {
    const first = page.locator("table.warnings tbody tr").first();
    assert.match(await first.innerText(), /Buiten toeval \(significant\): ja/);
  }
  assert.match(await page.locator(".new-effects").innerText(), /Wmo-cliënten per 1\.000 inwoners/);
  await page.screenshot({ path: `${shots}/warnings.png`, fullPage: true });
});
await axe("warnings");

await step("the rule is explained, and a map region opens its trend", async () => {
  await page.locator("details.rule summary").click();
  assert.match(await page.locator("details.rule").innerText(), /exacte toets van Fisher/);
  await page.screenshot({ path: `${shots}/warnings-rule.png`, fullPage: false });
  const region = page.locator("svg.map a.region.w1, svg.map a.region.w2, svg.map a.region.w3").first();
  if (await region.count()) {
    await region.focus();
    await Promise.all([page.waitForURL(/\/trend\?indicator=/), page.keyboard.press("Enter")]);
    assert.equal(await page.locator("svg.trend-chart").count(), 1);
  }
});
await axe("trend from warning");

await step("early warning in English, buurt level without boundaries", async () => {
  await page.goto(`${base}/signalen?level=buurt&period=2019&lang=en`);
  assert.equal(await page.locator("h1").innerText(), "Early warning");
  assert.match(await page.locator("main").innerText(), /No boundaries are loaded for this level/);
  await page.screenshot({ path: `${shots}/warnings-buurt-en.png`, fullPage: false });
});
await axe("warnings (buurt, en)");

await finish("all time-page browser checks passed");
