// Browser test of signing in with OpenID Connect, in Debian's Chromium via Playwright, with
// axe-core checking WCAG 2.1 A/AA. The server runs `kwm serve --oidc` against the test provider
// that crates/cli/tests/browser.rs starts (crates/server/tests/common/test_idp.rs): the header
// shows "Aanmelden"; clicking it leads to the provider's login form; after signing in as "anna"
// the browser is back on the same page, signed in (name and role in the header), the session
// cookie is HttpOnly and SameSite=Lax, axe finds nothing, no console errors (a CSP violation
// would be one), and on a phone the name and button fit the screen; "Afmelden" signs out and
// stays on the page.
//
//   node tests/browser/oidc.mjs http://127.0.0.1:PORT target/screenshots
import { join } from "node:path";
import assert from "node:assert/strict";
import { start } from "./harness.mjs";

const { base, shots, browser, context, page, errors, axe, step } = await start("oidc.mjs", { viewport: { width: 1280, height: 900 } });

const header = page.locator("header.page-header");

try {
  await step("signed out: the header offers Aanmelden", async () => {
    const r = await page.goto(`${base}/over`);
    assert.equal(r.status(), 200);
    await header.getByRole("link", { name: "Aanmelden" }).waitFor();
    assert.equal(await header.getByRole("button", { name: "Afmelden" }).count(), 0);
    await axe("/over signed out");
  });

  await step("Aanmelden leads to the provider's login form", async () => {
    await header.getByRole("link", { name: "Aanmelden" }).click();
    await page.waitForURL((u) => u.pathname === "/authorize");
    const url = new URL(page.url());
    assert.notEqual(url.origin, new URL(base).origin, "the provider is another origin");
    assert.equal(url.searchParams.get("code_challenge_method"), "S256");
    assert.ok(url.searchParams.get("state") && url.searchParams.get("nonce"));
  });

  await step("signing in at the provider returns to the same page, signed in", async () => {
    await page.getByLabel("Gebruikersnaam").fill("anna");
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.waitForURL(`${base}/over`);
    await header.getByRole("button", { name: "Afmelden" }).waitFor();
    const text = await header.innerText();
    assert.match(text, /Anna Analist/);
    assert.match(text, /\(analist\)/);
    assert.equal(await header.getByRole("link", { name: "Aanmelden" }).count(), 0);
    const cookies = await context.cookies(base);
    const session = cookies.find((c) => c.name === "kwm_sessie");
    assert.ok(session, `no session cookie in ${cookies.map((c) => c.name)}`);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, "Lax");
    assert.ok(!cookies.some((c) => c.name === "kwm_aanmelding" && c.value), "state cookie cleared");
    // Script cannot read the session (HttpOnly).
    assert.ok(!(await page.evaluate(() => document.cookie)).includes("kwm_sessie"));
    await axe("/over signed in");
    await page.screenshot({ path: join(shots, "oidc.png"), fullPage: false });
  });

  await step("signed in on a phone: name and button fit the screen", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${base}/over`);
    const button = header.getByRole("button", { name: "Afmelden" });
    await button.waitFor({ state: "visible" });
    for (const el of [button, header.getByText("Anna Analist")]) {
      const box = await el.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `off screen: ${JSON.stringify(box)}`);
    }
    await axe("/over signed in, phone");
    await page.screenshot({ path: join(shots, "oidc-phone.png") });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await step("signed in on another page, in English", async () => {
    await page.goto(`${base}/toegankelijkheid?lang=en`);
    const text = await header.innerText();
    assert.match(text, /Anna Analist/);
    assert.match(text, /\(analyst\)/);
    await header.getByRole("button", { name: "Sign out" }).waitFor();
    await axe("/toegankelijkheid signed in (en)");
    await page.goto(`${base}/toegankelijkheid?lang=nl`);
  });

  await step("Afmelden signs out and stays on the page", async () => {
    await header.getByRole("button", { name: "Afmelden" }).click();
    await page.waitForURL(`${base}/toegankelijkheid`);
    await header.getByRole("link", { name: "Aanmelden" }).waitFor();
    assert.doesNotMatch(await header.innerText(), /Anna Analist/);
    const cookies = await context.cookies(base);
    assert.ok(!cookies.some((c) => c.name === "kwm_sessie" && c.value), "session cookie cleared");
  });

  assert.deepEqual(errors, [], `console errors:\n${errors.join("\n")}`);

  await step("a callback without a sign-in under way is a clear page, not a crash", async () => {
    const r = await page.goto(`${base}/aanmelden/terug?code=x&state=y`);
    assert.equal(r.status(), 400);
    await page.getByRole("heading", { name: "Aanmelden mislukt" }).waitFor();
    await axe("/aanmelden/terug refused");
  });
} finally {
  await browser.close();
}
console.log("oidc.mjs: all checks passed");
