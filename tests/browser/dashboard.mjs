// Browser test of the dashboard, region profile and search, in Debian's Chromium via Playwright,
// with axe-core checking WCAG 2.1 A/AA on every page visited.
//
//   node tests/browser/dashboard.mjs http://127.0.0.1:8080 target/screenshots
//
// Exits non-zero on the first failed check; screenshots are kept for CI artefacts.
import assert from "node:assert/strict";
import { start } from "./harness.mjs";

const { base, shots, browser, page, axe, step, finish } = await start("dashboard.mjs");

// 1. The dashboard: national and about adults (RIVM 2020, 355 gemeenten of the 2020 layout,
// drawn on the nearest boundary layout that covers them, 2022: 345 shapes), a legend, the
// table beside it, and a line that says whom the figure describes.
await step("dashboard: national map about adults, saying so", async () => {
  const response = await page.goto(`${base}/`);
  assert.equal(response.status(), 200);
  assert.match(await page.locator("#map-title").innerText(), /\(18\+\), gemeenten 2020/);
  assert.match(await page.locator(".map-panel p.population").innerText(), /Over wie: volwassenen \(18 jaar en ouder\) · 355 van 355 gemeenten/);
  assert.equal(await page.locator("svg.map a.region").count(), 345);
  assert.equal(await page.locator("svg.map a.region path").count(), 345);
  assert.ok((await page.locator(".legend li").count()) >= 3, "legend classes");
  assert.equal(await page.locator("table.data tbody tr").count(), 355);
  await page.screenshot({ path: `${shots}/dashboard.png`, fullPage: false });
});
await axe("dashboard");

// 2. Keyboard: Tab from the table's skip point backwards is unwieldy with 342 links, so focus
// the first region via the keyboard path a user takes: skip link, then Tab into the controls,
// then on to the map.
await step("keyboard reaches a region and shows its tooltip", async () => {
  await page.goto(`${base}/`);
  await page.keyboard.press("Tab"); // skip link
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
  assert.ok(await page.locator("#map-tooltip").isVisible(), "tooltip shown on focus");
  // Focus Amsterdam itself and open its profile with Enter.
  await page.locator('svg.map a.region[href^="/regio/GM0363?"]').focus();
  const label = await page.evaluate(() => document.activeElement.getAttribute("aria-label"));
  assert.match(label, /^Amsterdam: \d+,\d%$/);
  assert.match(await page.locator("#map-tooltip").innerText(), /Amsterdam/);
  await page.screenshot({ path: `${shots}/dashboard-focus.png` });
  await Promise.all([page.waitForURL(/\/regio\/GM0363/), page.keyboard.press("Enter")]);
});

await step("region profile shows values, national value, rank and percentile", async () => {
  assert.equal(await page.locator("h1").innerText(), "Amsterdam");
  // The profile opens on 2020, the year of the adults' figures (published: NL 13.9 %).
  const row = page.locator("table.profile tbody tr", { hasText: "Moeite met rondkomen (18+)" });
  const cells = await row.locator("td").allInnerTexts();
  assert.match(cells[0], /^\d+,\d%$/, "value");
  assert.equal(cells[1], "13,9%", "national value");
  assert.match(cells[2], /^\d+ \/ 355$/, "rank among gemeenten (2020 layout)");
  assert.match(cells[3], /\d+/, "percentile");
  await page.screenshot({ path: `${shots}/profile.png`, fullPage: false });
});
await axe("profile");

await step("a missing region value is explained", async () => {
  await page.goto(`${base}/regio/GM0060?period=2024`);
  const row = page.locator("table.profile tbody tr", { hasText: "Moeite met rondkomen" });
  assert.match(await row.innerText(), /Geen cijfer voor deze regio/);
});

// 3. Sorting the table and the English switch.
await step("table sorts by value", async () => {
  await page.goto(`${base}/`);
  await page.locator("th a", { hasText: "Waarde" }).click();
  assert.equal(await page.locator('th[aria-sort="ascending"]').innerText(), "Waarde ▲");
  const first = await page.locator("table.data tbody tr td.num").nth(1).innerText();
  assert.equal(first, "5,3%", "lowest value first");
});

await step("English version", async () => {
  await page.locator("a.lang-switch").click();
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.locator("h1").innerText(), "Vulnerability mapped");
  await page.screenshot({ path: `${shots}/dashboard-en.png` });
});
await axe("dashboard (en)");

// 4. Find an area from any page and move between areas: the header's search box, the results
// page, a wijk's profile that links up to its gemeente, and the gemeente's list of wijken.
await step("typing in the search box suggests areas (progressive enhancement)", async () => {
  await page.goto(`${base}/?lang=nl`);
  await page.locator("#site-search").pressSequentially("feijen", { delay: 30 });
  await page.waitForFunction(() => document.querySelectorAll("#site-search-suggestions option").length > 0);
  const labels = await page.locator("#site-search-suggestions option").evaluateAll((os) => os.map((o) => `${o.value} | ${o.label}`));
  assert.ok(labels.includes("Feijenoord | wijk · Rotterdam · WK059910"), labels.join("\n"));
});

await step("search box on / finds Feijenoord and leads to its profile", async () => {
  await page.goto(`${base}/?lang=nl`);
  const box = page.getByRole("search").getByLabel("Zoek gemeente, wijk of buurt");
  await box.fill("feijenoord");
  await Promise.all([page.waitForURL(/\/zoeken\?q=feijenoord/), box.press("Enter")]);
  assert.equal(await page.locator("h1").innerText(), "Zoeken");
  const results = page.locator("ol.search-results li");
  assert.ok((await results.count()) >= 1, "at least one result");
  // The first result is the Rotterdam wijk, as the API says.
  const api = await (await page.request.get(`${base}/api/search?q=feijenoord`)).json();
  assert.equal(api[0].gemeente_name, "Rotterdam");
  const first = results.first();
  assert.match(await first.innerText(), /Feijenoord.*wijk in Rotterdam/s);
  await page.screenshot({ path: `${shots}/search.png` });
  await Promise.all([page.waitForURL(new RegExp(`/regio/${api[0].code}$`)), first.getByRole("link").click()]);
  assert.equal(await page.locator("h1").innerText(), "Feijenoord");
  const up = page.locator("nav.breadcrumb a", { hasText: "Rotterdam" });
  // Up to the gemeente in the same year as this profile.
  assert.match(await up.getAttribute("href"), new RegExp(`^/regio/${api[0].gemeente_code}\\?period=\\d{4}$`));
});
await axe("profile of a wijk");

await step("a gemeente's profile lists its wijken, each a link", async () => {
  await page.goto(`${base}/regio/GM0599`);
  const api = await (await page.request.get(`${base}/api/regions/GM0599`)).json();
  const links = page.locator("#deelgebieden ul.subarea-list a");
  assert.equal(await links.count(), api.children.length);
  await Promise.all([page.waitForURL(/\/regio\/WK059910$/), links.filter({ hasText: /^Feijenoord$/ }).click()]);
});

// The Rotterdam researcher's path: search → the gemeente → its wijken on the map → a wijk's
// profile → its risk characteristics and themes, every step saying whom the figures describe.
await step("Rotterdam: search, gemeente, its wijken map, a wijk, its themes", async () => {
  await page.goto(`${base}/`);
  const box = page.locator("header form[role=search] input[name=q]");
  await box.fill("rotterdam");
  await Promise.all([page.waitForURL(/\/zoeken\?q=rotterdam/), box.press("Enter")]);
  await Promise.all([page.waitForURL(/\/regio\/GM0599$/), page.locator("ol.search-results a[href='/regio/GM0599']").first().click()]);
  assert.equal(await page.locator("h1").innerText(), "Rotterdam");
  // The profile opens on the year with the adults' figures, and its rows say for whom.
  assert.equal(await page.locator("select#period").inputValue(), "2020");
  assert.ok((await page.locator("table.profile span.meta", { hasText: "18+" }).count()) >= 10);
  await Promise.all([page.waitForURL(/level=wijk&gemeente=GM0599/), page.locator("#deelgebieden a", { hasText: "op de kaart" }).click()]);
  assert.match(await page.locator("p.within").innerText(), /wijken van Rotterdam/);
  const shapes = await page.locator("svg.map a.region").count();
  assert.ok(shapes >= 15 && shapes <= 30, `Rotterdam has about 20 wijken on the map, found ${shapes}`);
  // The legend counts the wijken shown (national class bounds, Rotterdam's wijken): its counts,
  // "geen cijfer" included, add up to the table's rows.
  const counts = (await page.locator(".legend").first().locator(".count").allInnerTexts())
    .map((t) => Number(/\((\d+)\)/.exec(t)[1]));
  const tableRows = await page.locator("section.table-panel table tbody tr").count();
  assert.ok(tableRows >= 15, `${tableRows} rows in Rotterdam's table`);
  assert.equal(counts.reduce((a, b) => a + b, 0), tableRows, `legend counts ${counts}`);
  await page.screenshot({ path: `${shots}/rotterdam_wijken.png`, fullPage: false });
  await axe("map of Rotterdam's wijken");
  await Promise.all([page.waitForURL(/\/regio\/WK059910/), page.locator("table.data a", { hasText: /^Feijenoord$/ }).click()]);
  assert.equal(await page.locator("h1").innerText(), "Feijenoord");
  await Promise.all([page.waitForURL(/\/regio\/WK059910\/themas/), page.locator("a", { hasText: "Risicokenmerken en thema's van deze regio" }).click()]);
  assert.match(await page.locator("h1").innerText(), /Feijenoord/);
  assert.match(await page.locator("p.populations").innerText(), /volwassenen \(18 jaar en ouder\)/);
  await page.screenshot({ path: `${shots}/feijenoord_themas.png`, fullPage: true });
  await axe("themes of a Rotterdam wijk");
});

await step("search results page", async () => {
  await page.goto(`${base}/zoeken?q=centrum`);
  assert.ok((await page.locator("ol.search-results li").count()) > 5, "many areas called Centrum");
});
await axe("/zoeken");

for (const path of ["/indicatoren", "/bronnen", "/over", "/toegankelijkheid", "/?indicator=kwb_bevolkingsdichtheid&level=gemeente&period=2024"]) {
  await page.goto(`${base}${path}?lang=nl`.replace("?lang=nl", path.includes("?") ? "&lang=nl" : "?lang=nl"));
  await axe(path);
}
await page.screenshot({ path: `${shots}/density.png` });

// A phone-sized screen: no page may scroll sideways (wide tables scroll inside their own box).
await step("narrow screen (390 px): nothing scrolls sideways", async () => {
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const paths = ["/", "/regio/GM0363", "/zoeken?q=centrum", "/stapeling", "/clusters", "/methodevergelijking", "/signalen",
    "/radar?level=wijk", "/agenda", "/stapeling-personen", "/groepen", "/methode", "/dekking"];
  const wide = [];
  for (const path of paths) {
    await phone.goto(`${base}${path}`);
    const [scroll, client] = await phone.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    if (scroll > client) wide.push(`${path}: ${scroll} px wide in ${client} px`);
  }
  await phone.goto(`${base}/`);
  await phone.screenshot({ path: `${shots}/dashboard-phone.png` });
  await phone.close();
  assert.deepEqual(wide, [], `pages wider than the screen:\n${wide.join("\n")}`);
});

await finish("all browser checks passed");
