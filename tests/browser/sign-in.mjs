// Plays the person at the browser for Strata's device sign-in: opens the verification link
// in headless Chromium, tries a wrong password (the page must say so, without echoing it),
// then signs in and approves. Prints one JSON line with what it saw; exits non-zero on any
// surprise. Usage: node sign-in.mjs VERIFICATION_URI_COMPLETE USER_CODE EMAIL PASSWORD [SCREENSHOT.png]
import { chromium } from "playwright-core";

const [url, userCode, email, password, screenshot] = process.argv.slice(2);
if (!url || !userCode || !email || !password) {
  console.error("usage: node sign-in.mjs VERIFICATION_URI_COMPLETE USER_CODE EMAIL PASSWORD [SCREENSHOT.png]");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // No sandbox as root; no background traffic to hosts a closed network cannot reach.
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const seen = {};
try {
  const page = await browser.newPage({ javaScriptEnabled: false });
  await page.goto(url);
  seen.title = await page.title();
  seen.prefilledCode = await page.inputValue("input[name=user_code]");
  if (seen.prefilledCode !== userCode) throw new Error(`the code field holds ${seen.prefilledCode}`);

  // Labels name every field (screen readers rely on them).
  for (const name of ["Code", "Email", "Password"]) {
    await page.getByLabel(name, { exact: true }).waitFor();
  }

  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("not the password at all");
  await Promise.all([page.waitForLoadState(), page.getByRole("button", { name: "Approve" }).click()]);
  seen.wrongPasswordAlert = (await page.getByRole("alert").textContent()).trim();
  seen.passwordEchoed = (await page.content()).includes("not the password at all");
  seen.passwordFieldAfterError = await page.inputValue("input[name=password]");
  seen.emailKept = await page.inputValue("input[name=email]");
  if (!seen.wrongPasswordAlert.includes("wrong email or password")) throw new Error("no error shown");
  if (seen.passwordEchoed || seen.passwordFieldAfterError !== "") throw new Error("the password was echoed");

  await page.getByLabel("Password", { exact: true }).fill(password);
  await Promise.all([page.waitForLoadState(), page.getByRole("button", { name: "Approve" }).click()]);
  seen.status = (await page.getByRole("status").textContent()).trim();
  if (!seen.status.includes("You are signed in")) throw new Error(`unexpected page: ${seen.status}`);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify(seen));
} catch (error) {
  console.log(JSON.stringify(seen));
  console.error(String(error));
  process.exitCode = 1;
} finally {
  await browser.close();
}
