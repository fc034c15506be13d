// Browser test of the analysis pages (cluster map, method comparison, rank interval and cluster
// lines on region pages) in Debian's Chromium via Playwright, with axe-core checking WCAG 2.1
// A/AA on every page. Page figures are compared with the API, never with constants.
//
//   node tests/browser/analysis.mjs http://127.0.0.1:8080 target/screenshots
import assert from "node:assert/strict";
import { start } from "./harness.mjs";

const { base, shots, page, axe, step, api, finish } = await start("analysis.mjs");

// Dutch number as the pages write it: decimal comma, a real minus sign (U+2212).
const nl = (x, d) => x.toFixed(d).replace(".", ",").replace(/^-/, "−");
const clusters = await api("/api/clusters?level=gemeente");
const hh = clusters.regions.filter((r) => r.category === "high_high");
assert.ok(hh.length > 0, "the demo data have high-high clusters of the stacking count");

// 1. The cluster map: a shape per region coloured by category, the legend counts and the table.
await step("cluster map, legend and table agree with the API", async () => {
  const response = await page.goto(`${base}/clusters`);
  assert.equal(response.status(), 200);
  assert.equal(await page.locator("h1").innerText(), "Ruimtelijke clusters");
  // Regions of a layout the boundaries do not draw (gemeenten merged since 2020) are listed
  // beside the map, not drawn: every region is on the map or in that list.
  const drawn_clusters = await page.locator("svg.map a.region").count();
  assert.ok(drawn_clusters <= clusters.regions.length && drawn_clusters >= clusters.regions.length - 15, `${drawn_clusters} of ${clusters.regions.length} drawn`);
  assert.equal(await page.locator("table.clusters tbody tr").count(), clusters.regions.length);
  for (const r of hh) {
    const cls = await page.locator(`svg.map a.region[href^="/regio/${r.code}/"]`).getAttribute("class");
    assert.equal(cls, "region k-high_high", r.code);
  }
  assert.equal(await page.locator('table.clusters tbody tr[data-category="high_high"]').count(), hh.length);
  // Significant first: the first row is significant.
  const first = await page.locator("table.clusters tbody tr").first().getAttribute("data-category");
  assert.ok(!["not_significant", "island", "no_value"].includes(first), first);
  const legend = await page.locator(".cluster-legend li").allInnerTexts();
  const hhLegend = legend.find((t) => t.startsWith("hoog-hoog"));
  assert.ok(hhLegend.includes(`(${clusters.counts.high_high})`), hhLegend);
  assert.match(await page.locator(".note").first().innerText(), /999 conditionele permutaties/);
  await page.screenshot({ path: `${shots}/clusters.png`, fullPage: false });
});
await axe("cluster map");

// 2. Keyboard: choose another variable, the FDR cut-off and G_i* with the form.
await step("the form switches variable, statistic and cut-off by keyboard", async () => {
  await page.locator("#variable").focus();
  await page.locator("#variable").selectOption("composite");
  await page.locator("#statistic").selectOption("gistar");
  await page.locator("#fdr").selectOption("true");
  await page.locator("form.controls button").focus();
  await Promise.all([page.waitForURL(/variable=composite/), page.keyboard.press("Enter")]);
  const g = await api("/api/clusters?level=gemeente&variable=composite&statistic=gistar&fdr=true");
  assert.match(await page.locator("#map-title").innerText(), /^Samengestelde index: Getis-Ord G_i\*/);
  const hot = g.regions.filter((r) => r.category === "hot_spot").length;
  assert.equal(await page.locator('table.clusters tbody tr[data-category="hot_spot"]').count(), hot);
  assert.equal(await page.locator("svg.map a.region.k-hot_spot").count(), hot);
  assert.match(await page.locator(".note").first().innerText(), /FDR-grens/);
  await page.screenshot({ path: `${shots}/clusters-gistar-fdr.png`, fullPage: false });
  // Tab from the table's first link reaches a map region's tooltip as well.
  await page.locator("svg.map a.region").first().focus();
  assert.ok(await page.locator("#map-tooltip").isVisible());
});
await axe("cluster map (G_i*, FDR)");

// 3. The method comparison: the same ranks, shifts and sensitivity indices as /api/composite.
const composite = await api("/api/composite?level=gemeente");
await step("method comparison shows the API's shifts, indices and ranks", async () => {
  await page.goto(`${base}/methodevergelijking`);
  assert.equal(await page.locator("h1").innerText(), "Methodevergelijking van de samengestelde index");
  assert.equal(await page.locator("table.method-ranks tbody tr").count(), composite.regions.length);
  for (const m of composite.methods.slice(1)) {
    const row = page.locator(`table.shifts tbody tr[data-method="${m.key}"]`);
    const more10 = m.moved_more_than.find((t) => t.places === 10).regions;
    assert.equal(await row.locator("td").first().innerText(), String(more10), m.key);
  }
  for (const i of composite.uncertainty.sensitivity.indices) {
    const cells = await page.locator(`table.sensitivity tr[data-factor="${i.factor}"] td`).allInnerTexts();
    assert.deepEqual(cells, [nl(i.first_order, 2), nl(i.total, 2)], i.factor);
  }
  // The first row of the rank table is the nominal rank 1 with its interval.
  const top = composite.regions[0];
  const cells = await page.locator("table.method-ranks tbody tr").first().locator("td").allInnerTexts();
  assert.equal(cells[0], String(top.ranks.nominal));
  const r = Math.round; // the page shows whole ranks, rounded half away from zero
  assert.ok(cells.at(-1).startsWith(`${r(top.rank_interval.lower)}–${r(top.rank_interval.upper)}`), cells.at(-1));
  for (const chart of ["svg.shift-chart", "svg.sensitivity-chart", "svg.rank-chart"]) {
    assert.equal(await page.locator(chart).getAttribute("role"), "img", chart);
    assert.ok((await page.locator(`${chart} desc`).textContent()).length > 20, chart);
  }
  await page.screenshot({ path: `${shots}/methods.png`, fullPage: true });
});
await axe("method comparison");

// 4. Region pages: the rank interval and the cluster line, which leads to the map by keyboard.
const member = hh[0];
await step("a gemeente in a high-high cluster says so and links to the map", async () => {
  const t = await api(`/api/regions/${member.code}/themes`);
  await page.goto(`${base}/regio/${member.code}/themas`);
  const interval = t.composite.rank_interval;
  const r = Math.round;
  assert.match(await page.locator(".rank-interval").innerText(), new RegExp(`rang ${r(interval.lower)}–${r(interval.upper)} \\(mediaan ${r(interval.median)}\\)`));
  const link = page.locator("ul.cluster-memberships a", { hasText: "aantal gemarkeerde kenmerken" });
  await link.focus();
  await page.screenshot({ path: `${shots}/themes-clusters.png`, fullPage: false });
  await Promise.all([page.waitForURL(/\/clusters\?.*variable=stacking/), page.keyboard.press("Enter")]);
  assert.equal(await page.locator(`table.clusters tr[data-code="${member.code}"]`).getAttribute("data-category"), "high_high");
  await page.goto(`${base}/regio/${member.code}`);
  assert.match(await page.locator("ul.cluster-memberships").innerText(), /Deel van een hoog-hoog-cluster van: aantal gemarkeerde kenmerken/);
});
await axe("theme profile with clusters");

// 5. English.
await step("English versions", async () => {
  await page.goto(`${base}/clusters?lang=en`);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.locator("h1").innerText(), "Spatial clusters");
  await page.screenshot({ path: `${shots}/clusters-en.png` });
});
await axe("cluster map (en)");
for (const path of ["/methodevergelijking", `/regio/${member.code}/themas`, "/clusters?level=ggd", "/methodevergelijking?level=ggd"]) {
  await page.goto(`${base}${path}`);
  await axe(`${path} (en)`);
}
await page.goto(`${base}/methodevergelijking?lang=nl`);

await finish("all analysis browser checks passed");
