// Approves a device sign-in at the oidc-provider test provider in headless Chromium, as the
// person LOGIN: confirm the code, sign in on the provider's page, consent.
// Usage: node oidc-sign-in.mjs VERIFICATION_URI_COMPLETE LOGIN
import { chromium } from "playwright-core";

const [url, login] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  await Promise.all([page.waitForLoadState(), page.locator("button, input[type=submit]").first().click()]);
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", "any password");
  await Promise.all([page.waitForLoadState(), page.locator("button[type=submit]").first().click()]);
  await Promise.all([page.waitForLoadState(), page.locator("button[type=submit]").first().click()]);
  const text = (await page.textContent("body")).replace(/\s+/g, " ").trim();
  if (!text.includes("success")) throw new Error(`sign-in did not succeed: ${text.slice(0, 200)}`);
  console.log("approved");
} catch (error) {
  console.error(String(error));
  process.exitCode = 1;
} finally {
  await browser.close();
}
