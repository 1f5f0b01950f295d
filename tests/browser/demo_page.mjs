// SPDX-License-Identifier: BSL-1.0
// The demo's page in a real browser (Debian's chromium, headless, driven by playwright-core), as a
// user meets it: log in through the form; the credential cookies are out of the page's reach; the
// page keeps working past the access token's lifetime (the hybrid scheme refreshes silently); a
// reload keeps the session (session, hybrid) or not (JWT: the token lived in the page only); a
// logout makes the protected call fail; a second browser logs the first out everywhere.
//
// usage: node demo_page.mjs URL SCHEME PASSWORD ACCESS_TTL_SECONDS SCREENSHOT_DIR
// Prints one line per check; exits 1 if any failed.
import { chromium } from "playwright-core";

const [url, scheme, password, ttlText, shots] = process.argv.slice(2);
const ttl = Number(ttlText);
let failed = 0;
function check(ok, what) {
  console.log((ok ? "ok      " : "FAILED  ") + scheme + ": " + what);
  if (!ok) failed = 1;
}

const browser = await chromium.launch({ executablePath: process.env.TESSERA_CHROMIUM || "/usr/bin/chromium",
                                        headless: true });
try {
  const first = await browser.newContext();
  const page = await first.newPage();
  const refreshes = [];
  page.on("request", (r) => { if (new URL(r.url()).pathname === "/refresh") refreshes.push(Date.now()); });
  const who = () => page.textContent("#who");
  // The page shows `name` as signed in, now or within 3 s (a response is seen before the page's script has
  // handled it).
  const shows = (p, name) =>
    p.waitForFunction((n) => document.getElementById("who").textContent === n, name, { timeout: 3000 })
      .then(() => true, () => false);
  const error = () => page.textContent("#error");
  const shot = (name) => page.screenshot({ path: `${shots}/${scheme}-${name}.png`, fullPage: true });
  const whoAmI = async () => {
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/me");
    await page.click("#me");
    return (await answer).status();
  };
  const logIn = async (p) => {
    await p.fill("#username", "demo");
    await p.fill("#password", password);
    const answer = p.waitForResponse((r) => new URL(r.url()).pathname === "/login");
    await p.click("#login button");
    const status = (await answer).status();
    await shows(p, "demo");
    return status;
  };

  await page.goto(url);
  check((await page.textContent("#scheme")) === scheme, "the page names its scheme");
  check((await who()) === "nobody", "nobody is signed in at first");
  check((await logIn(page)) === 200, "a login through the form is accepted");
  check(await shows(page, "demo"), "the page shows the user");
  await shot("1-logged-in");

  const cookies = await page.evaluate(() => document.cookie);
  check(!cookies.includes("tessera-"), `document.cookie sees no credential cookie ("${cookies}")`);
  const jar = await first.cookies();
  for (const c of jar)
    check(c.httpOnly && c.sameSite === "Strict", `cookie ${c.name} is HttpOnly and SameSite=Strict`);
  check(jar.length === (scheme === "jwt" ? 0 : 1), `the browser holds ${jar.length} cookie(s)`);
  if (scheme === "hybrid")
    check(jar[0].name === "tessera-refresh" && jar[0].path === "/refresh", "the refresh cookie is scoped to /refresh");

  check((await whoAmI()) === 200, "the protected call works");

  // Past the access token's lifetime.
  await page.waitForTimeout((ttl + 1.5) * 1000);
  const late = await whoAmI();
  if (scheme === "jwt") {
    check(late === 401 && (await shows(page, "nobody")), "past its lifetime the JWT is refused and the page forgets it");
    check((await logIn(page)) === 200, "a new login works");
  } else {
    check(late === 200 && (await shows(page, "demo")), `past ${ttl} s the page still works (${late})`);
  }
  if (scheme === "hybrid")
    check(refreshes.length >= 1, `the page refreshed silently (${refreshes.length} refresh(es))`);
  await shot("2-after-the-access-ttl");

  await page.reload();
  if (scheme === "jwt") {
    await page.waitForTimeout(1000); // time for a wrong "signed in" to show
    check((await who()) === "nobody", "a reload forgets the JWT (it lived in the page only)");
  } else {
    check(await shows(page, "demo"), "a reload stays signed in (the HttpOnly cookie)");
  }
  await shot("3-reloaded");
  if (scheme === "jwt") check((await logIn(page)) === 200, "a login after the reload works");

  // Log out, and the protected call fails.
  const out = page.waitForResponse((r) => new URL(r.url()).pathname === "/logout");
  await page.click("#logout");
  check((await out).status() === 200, "logout is accepted");
  check(await shows(page, "nobody"), "the page shows nobody");
  check((await whoAmI()) === 401, "after the logout the protected call fails");
  const said = await page.waitForFunction(() => document.getElementById("error").textContent.startsWith("401"), null,
                                          { timeout: 3000 }).then(() => true, () => false);
  check(said, `the page says so ("${await error()}")`);
  await shot("4-logged-out");
  check((await first.cookies()).length === 0, "the logout cleared the browser's cookies");

  // Two browsers; the second logs out everywhere; the first is refused.
  check((await logIn(page)) === 200, "the first browser logs in again");
  const second = await browser.newContext();
  const other = await second.newPage();
  await other.goto(url);
  check((await logIn(other)) === 200, "a second browser logs in");
  const everywhere = other.waitForResponse((r) => new URL(r.url()).pathname === "/logout-all");
  await other.click("#logout-all");
  check((await everywhere).status() === 200, "the second browser logs out everywhere");
  check((await whoAmI()) === 401 && (await shows(page, "nobody")), "the first browser is refused at once");
  await shot("5-logged-out-everywhere");
} finally {
  await browser.close();
}
process.exit(failed);
