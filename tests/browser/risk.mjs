// Browser test of the risk-model pages (stacking map and distribution, theme profile, groups,
// methodology, data coverage) in Debian's Chromium via Playwright, with axe-core checking
// WCAG 2.1 A/AA on every page. Page figures are compared with the API, never with constants.
//
//   node tests/browser/risk.mjs http://127.0.0.1:8080 target/screenshots
import assert from "node:assert/strict";
import { start } from "./harness.mjs";

const { base, shots, page, axe, step, api, finish } = await start("risk.mjs");

const nl = (x, d) => x.toFixed(d).replace(".", ",");
const stacking = await api("/api/stacking?level=gemeente");
const withData = stacking.regions.filter((r) => r.with_data > 0);
const mostFlagged = [...withData].sort((a, b) => b.flagged - a.flagged || a.composite_rank - b.composite_rank)[0];

// 1. The stacking map: every region a shape, legend 0..12 plus "no data", the table beside it.
await step("stacking map, legend 0..12 and table agree with the API", async () => {
  const response = await page.goto(`${base}/stapeling`);
  assert.equal(response.status(), 200);
  assert.equal(await page.locator("h1").innerText(), "Stapeling van risicokenmerken");
  // Regions of a layout the boundaries do not draw (gemeenten merged since 2020) are listed
  // beside the map, not drawn: every region is on the map or in that list.
  const drawn_stacking = await page.locator("svg.map a.region").count();
  assert.ok(drawn_stacking <= stacking.regions.length && drawn_stacking >= stacking.regions.length - 15, `${drawn_stacking} of ${stacking.regions.length} drawn`);
  assert.equal(await page.locator(".stack-legend li").count(), 13 + 1, "0..12 and no data");
  assert.equal(await page.locator("table.stacking tbody tr").count(), stacking.regions.length);
  // Default order: most flagged first.
  const first = page.locator("table.stacking tbody tr").first();
  assert.equal(await first.getAttribute("data-code"), mostFlagged.code);
  assert.equal(await first.locator(".count-badge").innerText(), String(mostFlagged.flagged));
  // A region's colour class is its count.
  const cls = await page.locator(`svg.map a.region[href^="/regio/${mostFlagged.code}/"]`).getAttribute("class");
  assert.equal(cls, `region s${mostFlagged.flagged}`);
  await page.screenshot({ path: `${shots}/stacking.png`, fullPage: false });
});
await axe("stacking");

await step("distribution chart and its table show the API's distribution", async () => {
  const chart = page.locator("svg.bars");
  assert.equal(await chart.getAttribute("role"), "img");
  assert.match(await chart.locator("desc").textContent(), /^0: \d+ gemeenten; 1: /);
  assert.equal(await chart.locator("rect.col").count(), 13);
  const cells = await page.locator("table.dist tbody tr td:nth-child(2)").allInnerTexts();
  assert.deepEqual(cells.map(Number), stacking.distribution.map((d) => d.regions));
  await page.locator("section.distribution").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/stacking-distribution.png`, fullPage: false });
});

// 2. Keyboard: skip link, then Tab into the map; a region shows its tooltip; Enter opens the
// region's theme profile.
await step("keyboard reaches a stacking region and opens its theme profile", async () => {
  await page.goto(`${base}/stapeling`);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip-link");
  let reached = null;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => {
      const a = document.activeElement;
      return a && a.matches("svg.map a.region") ? a.getAttribute("aria-label") : null;
    });
  }
  assert.ok(reached, "Tab never reached a map region");
  assert.match(reached, /: (\d+ van \d+ kenmerken gemarkeerd|geen gegevens)$/);
  assert.ok(await page.locator("#map-tooltip").isVisible(), "tooltip shown on focus");
  await page.locator(`svg.map a.region[href^="/regio/${mostFlagged.code}/"]`).focus();
  await Promise.all([page.waitForURL(new RegExp(`/regio/${mostFlagged.code}/themas`)), page.keyboard.press("Enter")]);
});

// 3. The theme profile: seven themes, the flagged characteristics with their indicators.
const profile = await api(`/api/regions/${mostFlagged.code}/themes`);
await step("theme profile shows themes, flags and the indicators behind them", async () => {
  assert.match(await page.locator("h1").innerText(), new RegExp(`^${mostFlagged.name}: risicokenmerken en thema's$`));
  assert.equal(await page.locator("table.themes tbody tr").count(), 7);
  const flagged = profile.characteristics.filter((c) => c.kind === "risk" && c.flagged);
  assert.equal(flagged.length, mostFlagged.flagged);
  assert.equal(await page.locator("article.factor").count(), flagged.length);
  const f = flagged[0];
  const article = page.locator(`article#k-${f.id}`);
  assert.match(await article.locator("h3").innerText(), new RegExp(`percentiel ${nl(f.percentile, 1)}`));
  assert.equal(await article.locator("table.terms tbody tr").count(), f.indicators.length);
  const value = await article.locator("table.terms tbody tr").first().locator("td").first().innerText();
  assert.ok(value.startsWith(nl(f.indicators[0].value, 1)), `${value} vs ${f.indicators[0].value}`);
  // Every gap is shown as a gap.
  const gaps = profile.characteristics.filter((c) => c.kind === "risk" && (c.gap || c.score === null)).length;
  assert.equal(await page.locator("table.factors").first().locator("span.gap").count(), gaps);
  await page.screenshot({ path: `${shots}/themes.png`, fullPage: true });
});
await axe("theme profile");

await step("the region profile links to the theme profile", async () => {
  await page.goto(`${base}/regio/${mostFlagged.code}`);
  // The link keeps the profile's year.
  await Promise.all([page.waitForURL(/\/themas\?period=\d{4}$/), page.locator("p.risk-link a").click()]);
  assert.equal(await page.locator("table.themes tbody tr").count(), 7);
});

await step("a region without figures says so", async () => {
  // RIVM publishes nothing for some wijken without residents (27 of 3,177 in 2020).
  const wijken = await (await page.request.get(`${base}/api/stacking?level=wijk&period=2020`)).json();
  const none = wijken.regions.find((r) => r.with_data === 0);
  await page.goto(`${base}/regio/${none.code}/themas?period=2020`);
  assert.match(await page.locator("section.summary").innerText(), /geen cijfers over risicokenmerken/);
});

// 4. Groups.
const groups = await api("/api/groups");
await step("groups overview lists the 12 groups, their sources and the candidates", async () => {
  await page.goto(`${base}/groepen`);
  assert.equal(await page.locator("table.groups tbody tr").count(), groups.groups.length);
  const g1 = groups.groups[0];
  const marks = await page.locator("table.groups tbody tr").first().locator("td.mark span[aria-hidden]").count();
  assert.equal(marks, g1.named_by.length);
  assert.equal(await page.locator("#candidates-caption + thead + tbody tr").count(), groups.candidates.length);
  await page.screenshot({ path: `${shots}/groups.png`, fullPage: true });
});
await axe("groups");

await step("a group page shows policies, directorates and areas", async () => {
  const g = groups.groups[0];
  await Promise.all([page.waitForURL(new RegExp(`/groepen/${g.id}$`)), page.locator(`a[href="/groepen/${g.id}"]`).first().click()]);
  assert.equal(await page.locator("h1").innerText(), g.label.nl);
  const detail = await api(`/api/groups/${g.id}`);
  assert.equal(await page.locator("#policy-title + ul li").count(), detail.policies.length);
  assert.ok(detail.areas.regions.length > 0);
  const shown = Math.min(25, detail.areas.regions.length);
  assert.equal(await page.locator("section[aria-labelledby=areas-title] tbody tr").count(), shown);
  await page.screenshot({ path: `${shots}/group.png`, fullPage: true });
});
await axe("group page");

// 5. Methodology: the matrix as a heat table equals /api/themes.
await step("methodology shows the matrix, thresholds and the caveat", async () => {
  const themes = await api("/api/themes");
  await page.goto(`${base}/methode`);
  const rows = page.locator("table.heat tbody tr");
  assert.equal(await rows.count(), themes.matrix.rows.length);
  for (let i = 0; i < themes.matrix.rows.length; i++) {
    const cells = await rows.nth(i).locator("td").allInnerTexts();
    assert.deepEqual(cells.map(Number), themes.matrix.rows[i].values);
  }
  assert.match(await page.locator(".caveat").innerText(), /Mogelijke samenhang, geen oorzaken/);
  assert.match(await page.locator("ol.steps").innerText(), new RegExp(`ten minste ${nl(stacking.run.method.threshold, 1)}`));
  await page.screenshot({ path: `${shots}/method.png`, fullPage: true });
});
await axe("methodology");

// 6. Coverage: every gap visible, the same statuses as the API.
await step("coverage shows measured cells and gaps as the API does", async () => {
  const cov = await api("/api/coverage");
  await page.goto(`${base}/dekking`);
  assert.equal(await page.locator("table.coverage tbody tr").count(), cov.factors.length);
  const count = (s) => cov.factors.flatMap((f) => f.cells).filter((c) => c.status === s).length;
  assert.equal(await page.locator("table.coverage .cov.measured").count(), count("measured"));
  assert.equal(await page.locator("table.coverage .cov.nodata").count(), count("no_data"));
  assert.equal(await page.locator("table.coverage .cov.nodef").count(), count("no_definition"));
  await page.screenshot({ path: `${shots}/coverage.png`, fullPage: true });
});
await axe("coverage");

// Where in a gemeente a group's characteristics stack: the themes page's groups table against
// the API, then its link to the group's wijken in that gemeente against the API's cut.
await step("a gemeente's themes page lists the report's groups and links to their wijken", async () => {
  const t = await api("/api/regions/GM0599/themes");
  await page.goto(`${base}/regio/GM0599/themas?period=${t.period}`);
  const rows = page.locator("section.area-groups tbody tr");
  assert.equal(await rows.count(), t.groups.length);
  const first = t.groups[0];
  assert.ok(first.flagged.length > 0, "Rotterdam has a group with flagged characteristics");
  const cells = await rows.first().locator("td").allInnerTexts();
  assert.equal(cells[0], `${first.flagged.length} / ${first.measured.length}`);
  await axe("themes page with groups");
  await Promise.all([page.waitForURL(/\/groepen\/.*gemeente=GM0599/), rows.first().locator("td a").click()]);
  const cut = await api(`/api/groups/${first.group}?level=wijk&gemeente=GM0599`);
  const names = await page.locator("#areas-title ~ div table tbody th").allInnerTexts();
  assert.ok(names.length > 0);
  assert.deepEqual(names, cut.areas.regions.slice(0, 25).map((r) => r.name ?? r.code));
  await page.screenshot({ path: `${shots}/group-wijken-rotterdam.png` });
  await axe("a group's wijken in one gemeente");
});

// 7. Sorting by keyboard, and English.
await step("the stacking table sorts by name with the keyboard", async () => {
  await page.goto(`${base}/stapeling`);
  // By default most flags first: the header says descending, as the rows are.
  assert.equal(await page.locator('table.stacking th[aria-sort="descending"]').innerText(), "Gemarkeerd ▼");
  await page.locator("table.stacking th a", { hasText: "Regio" }).focus();
  await Promise.all([page.waitForURL(/sort=name/), page.keyboard.press("Enter")]);
  assert.equal(await page.locator('table.stacking th[aria-sort="ascending"]').innerText(), "Regio ▲");
  const names = await page.locator("table.stacking tbody th").allInnerTexts();
  const sorted = [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase(), "nl"));
  assert.equal(names[0], sorted[0]);
});

await step("English version of the stacking page", async () => {
  await page.locator("a.lang-switch").click();
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.locator("h1").innerText(), "Stacking of risk characteristics");
  await page.screenshot({ path: `${shots}/stacking-en.png` });
});
await axe("stacking (en)");
for (const path of ["/methode", "/dekking", "/groepen", `/regio/${mostFlagged.code}/themas`, "/stapeling?level=ggd"]) {
  await page.goto(`${base}${path}`);
  await axe(`${path} (en)`);
}
await page.goto(`${base}/stapeling?level=ggd&lang=nl`);
await page.screenshot({ path: `${shots}/stacking-ggd.png` });
await axe("stacking ggd");

await finish("all risk-model browser checks passed");
