// Browser test of the policy agenda (overview and a recommendation with its effect view) and the
// findability radar (map, table, per-area explanation, missing data), in Debian's Chromium via
// Playwright, with axe-core checking WCAG 2.1 A/AA on every page. Page figures are compared with
// the API, never with constants.
//
//   node tests/browser/agenda.mjs http://127.0.0.1:8080 target/screenshots
import assert from "node:assert/strict";
import { start } from "./harness.mjs";

const { base, shots, browser, page, axe, step, api, finish } = await start("agenda.mjs");

const nl = (x, d) => x.toFixed(d).replace(".", ",").replace("-", "−");
const agenda = await api("/api/agenda");

// 1. The overview: task → recommendation → programmes and parties → indicators → effect.
await step("the agenda overview lists every task and recommendation as the API does", async () => {
  const response = await page.goto(`${base}/agenda`);
  assert.equal(response.status(), 200);
  assert.equal(await page.locator("h1").innerText(), "Beleidsagenda");
  assert.equal(await page.locator("section.task").count(), agenda.tasks.length);
  assert.equal(await page.locator("table.agenda tbody tr").count(), agenda.recommendations.length);
  for (const r of agenda.recommendations) {
    const row = page.locator(`tr[data-recommendation="${r.id}"]`);
    // The task sections start folded: the text is there, not yet shown.
    assert.equal((await row.locator("th a").textContent()).trim(), `${r.number}. ${r.label.nl}`);
    const badge = row.locator(".effect-label");
    if (r.effect) assert.equal(await badge.count(), 1, r.id);
  }
  assert.equal(await page.locator("table.follow-up tbody tr").count(), agenda.follow_up.rows.length);
  assert.equal(await page.locator("table.programmes tbody tr").count(), agenda.programmes.length);
  assert.equal(await page.locator("table.areas tbody tr").count(), agenda.region_sets[0].areas.length);
  await page.screenshot({ path: `${shots}/agenda.png`, fullPage: false });
});
await axe("agenda");

// Long page: a table of contents whose anchors open the folded section they point to, from a
// click and straight from an address; on a phone the folded page is a fraction of its height.
await step("agenda: table of contents anchors open their section", async () => {
  await page.goto(`${base}/agenda`);
  const toc = page.locator("nav.page-toc a");
  assert.equal(await toc.count(), agenda.tasks.length + 5);
  assert.equal(await page.locator("details.fold[open]").count(), 0, "sections start folded");
  for (let i = 0; i < await toc.count(); i++) {
    const href = await toc.nth(i).getAttribute("href");
    await toc.nth(i).click();
    const target = page.locator(href);
    assert.ok(await target.evaluate((d) => d.open), `${href} opened`);
    assert.ok(await target.evaluate((e) => { const r = e.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; }), `${href} in view`);
    assert.equal(new URL(page.url()).hash, href);
  }
  await axe("agenda with every section open");
  await page.goto("about:blank"); // a new load, not a hash change on the same document
  await page.goto(`${base}/agenda#programmas`);
  assert.ok(await page.locator("#programmas").evaluate((d) => d.open), "open when the address targets it");
  assert.ok(await page.locator("table.programmes").isVisible());
  assert.equal(await page.locator("details.fold[open]").count(), 1, "only the targeted section");
  // A closed section opens again from the same link (no hashchange).
  await page.locator("#programmas > summary").click();
  assert.ok(!(await page.locator("#programmas").evaluate((d) => d.open)));
  await page.locator('nav.page-toc a[href="#programmas"]').click();
  assert.ok(await page.locator("#programmas").evaluate((d) => d.open), "the same link opens it again");
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phone.goto(`${base}/agenda`);
  const folded = await phone.evaluate(() => document.documentElement.scrollHeight);
  await phone.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
  const unfolded = await phone.evaluate(() => document.documentElement.scrollHeight);
  assert.ok(folded < 5000 && folded * 3 < unfolded, `phone: folded ${folded} px, unfolded ${unfolded} px`);
  await phone.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = false; }));
  await phone.screenshot({ path: `${shots}/agenda-phone.png` });
  await phone.close();
  console.log(`   agenda on a 390 px phone: ${folded} px folded, ${unfolded} px with every section open`);
});

// 2. Keyboard: Tab from the skip link to recommendation 4 and open it with Enter.
const r4 = agenda.recommendations.find((r) => r.number === 4);
await step("keyboard opens a task's folded section and reaches a recommendation", async () => {
  await page.goto(`${base}/agenda`);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip-link");
  let reached = false;
  let opened = false;
  for (let i = 0; i < 80 && !reached; i++) {
    await page.keyboard.press("Tab");
    const at = await page.evaluate((href) => {
      const a = document.activeElement;
      if (a?.getAttribute("href") === href) return "link";
      // The task's section is folded: its summary opens it with Enter, as a button would.
      if (a?.tagName === "SUMMARY" && !a.parentElement.open && a.parentElement.querySelector(`a[href="${href}"]`)) return "summary";
      return "";
    }, `/agenda/${r4.id}`);
    if (at === "summary") {
      await page.keyboard.press("Enter");
      opened = await page.evaluate(() => document.activeElement.parentElement.open);
    }
    reached = at === "link";
  }
  assert.ok(opened, "Enter on the summary opened the task's section");
  assert.ok(reached, "Tab never reached recommendation 4");
  await Promise.all([page.waitForURL(new RegExp(`/agenda/${r4.id}$`)), page.keyboard.press("Enter")]);
});

// 3. The recommendation page: points, programmes, and the effect view with chart and table.
const rec = await api(`/api/agenda/${r4.id}`);
await step("the recommendation page shows its points, programmes and effect views", async () => {
  assert.equal(await page.locator("h1").innerText(), `Aanbeveling ${rec.number}: ${rec.label.nl}`);
  assert.equal(await page.locator("ol.points li").count(), rec.points.length);
  assert.equal(await page.locator("ul.programme-list li").count(), rec.programmes.length);
  const shown = rec.effects.filter((v) => ["estimate", "indicative", "pre_trend_diverges", "placebo_only"].includes(v.status));
  assert.equal(await page.locator("article.effect-view").count(), shown.length);
  const v = shown[0];
  const art = page.locator(`article#${v.indicator}-${v.level}`);
  if (v.status === "placebo_only") {
    assert.match(await art.locator(".effect-label").innerText(), /Controle van de trend vooraf/);
    assert.match(await art.locator("p.note").innerText(), /Dit is geen effect van het programma/);
    // The sentence carries the API's estimate and interval.
    const text = await art.innerText();
    assert.ok(text.includes(nl(v.pre_trend.estimate, 1)), `${text} vs ${v.pre_trend.estimate}`);
    assert.ok(text.includes(nl(v.pre_trend.lower, 1)));
  }
  // The chart and its table hold the same means.
  assert.equal(await art.locator("svg.effect-chart circle.m-targets").count(), v.means.filter((m) => m.target_mean !== null).length);
  const cells = await art.locator("table.effect-table tbody tr td:nth-child(3)").allInnerTexts();
  cells.forEach((c, i) => assert.ok(c.startsWith(nl(v.means[i].target_mean, 1)), `${c} vs ${v.means[i].target_mean}`));
  assert.equal(await art.locator("svg.effect-chart").getAttribute("role"), "img");
  await art.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/agenda-recommendation.png`, fullPage: false });
  await page.screenshot({ path: `${shots}/agenda-recommendation-full.png`, fullPage: true });
});
await axe("recommendation");

await step("a recommendation without target areas says there is no effect view", async () => {
  await page.goto(`${base}/agenda/monitoring_anders`);
  assert.match(await page.locator("section[aria-labelledby=effect-title]").innerText(), /geen doelgebieden gekoppeld/);
});
await axe("recommendation without effect view");

// 4. The radar: map and table agree with the API; candidates first and explained.
const radar = await api("/api/radar?level=wijk&support=wmo");
await step("the radar map, table and explanations agree with the API", async () => {
  await page.goto(`${base}/radar?level=wijk&support=wmo`);
  assert.equal(await page.locator("h1").innerText(), "Vindbaarheidsradar");
  const assessed = radar.areas.filter((a) => a.excluded === null);
  assert.equal(await page.locator("table.radar tbody tr").count(), assessed.length);
  const candidates = radar.areas.filter((a) => a.candidate);
  const characteristics = (await api("/api/characteristics")).characteristics;
  assert.equal(await page.locator("svg.map a.region.r-cand").count(), candidates.length);
  assert.equal(await page.locator("article.candidate").count(), candidates.length);
  assert.equal(await page.locator("table.radar tbody tr.candidate").count(), candidates.length);
  for (const c of candidates) {
    const art = page.locator(`article#waarom-${c.code}`);
    const text = await art.innerText();
    assert.ok(text.includes(nl(c.observed, 1)) && text.includes(nl(c.expected, 1)), text);
    for (const f of c.stacking.characteristics) {
      const label = characteristics.find((x) => x.id === f).label.nl;
      assert.ok(text.includes(label), `${c.code}: ${label}`);
    }
  }
  // "Verschil" is observed − expected with the API's sign, in the table as in the API.
  for (const a of assessed.slice(0, 5)) {
    const cell = await page.locator(`table.radar tbody tr[data-code="${a.code}"] td.difference`).innerText();
    assert.equal(cell.trim().startsWith("−"), a.gap < 0, `${a.code}: ${cell} vs gap ${a.gap}`);
    assert.ok(a.expected >= 0, `${a.code}: expected ${a.expected}`);
  }
  assert.match(await page.locator("#methode-radar").textContent(), /Verschil = gebruik − verwacht gebruik/);
  // The first table row is the most certain candidate (or, without candidates, the lowest).
  if (candidates.length > 0) {
    assert.equal(await page.locator("table.radar tbody tr").first().getAttribute("data-code"), candidates[0].code);
  }
  await page.screenshot({ path: `${shots}/radar.png`, fullPage: false });
  await page.locator("section[aria-labelledby=why-title]").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/radar-why.png`, fullPage: false });
});
await axe("radar");

await step("keyboard reaches a radar candidate on the map and jumps to its explanation", async () => {
  const c = radar.areas.find((a) => a.candidate);
  if (!c) return;
  await page.locator(`svg.map a.region[href="#waarom-${c.code}"]`).focus();
  assert.ok(await page.locator("#map-tooltip").isVisible(), "tooltip shown on focus");
  await page.keyboard.press("Enter");
  await page.waitForURL(new RegExp(`#waarom-${c.code}$`));
});

await step("the radar names the figures it needs when they are not loaded", async () => {
  const missing = await api("/api/radar?level=wijk&period=2017&support=wmo");
  assert.equal(missing.status, "missing_data");
  await page.goto(`${base}/radar?level=wijk&period=2017&support=wmo`);
  const text = await page.locator("section.error-message").innerText();
  for (const m of missing.missing) {
    for (const k of m.statline_keys) assert.ok(text.includes(k), k);
  }
  assert.match(text, /kwm ingest --db STORE/);
  await page.screenshot({ path: `${shots}/radar-missing.png`, fullPage: false });
});
await axe("radar missing data");

await step("the radar works in English and filtered to a gemeente", async () => {
  await page.goto(`${base}/radar?level=wijk&support=bijstand&gemeente=GM0363&lang=en`);
  assert.equal(await page.locator("h1").innerText(), "Findability radar");
  const rows = await page.locator("table.radar tbody tr").evaluateAll((trs) => trs.map((t) => t.dataset.code));
  assert.ok(rows.length > 0 && rows.every((c) => c.startsWith("WK0363")));
  await page.screenshot({ path: `${shots}/radar-en.png`, fullPage: false });
});
await axe("radar (en)");

await step("a gemeente without figures at the level says so, not '0 candidates'", async () => {
  const r = await api("/api/radar?level=wijk&support=wmo&gemeente=GM0599");
  assert.equal(r.status, "no_figures_for_gemeente");
  await page.goto(`${base}/radar?level=wijk&support=wmo&gemeente=GM0599&lang=nl`);
  const text = await page.locator("section.no-figures").innerText();
  assert.match(text, /Geen cijfers voor Rotterdam op dit niveau/);
});
for (const path of ["/agenda", `/agenda/${r4.id}`, "/agenda/radar_lokaal"]) {
  await page.goto(`${base}${path}`);
  await axe(`${path} (en)`);
}
await page.goto(`${base}/agenda?lang=nl`);

await finish("all agenda and radar browser checks passed");
