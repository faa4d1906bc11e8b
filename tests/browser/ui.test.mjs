// The web UI in a real headless Chromium against a real `trove server`:
// register → create a token in the dashboard → publish with the CLI → find it by search →
// open its page → README and download chart; a README with <script> stays inert; forms
// without their CSRF token are refused; a CLI device login is approved in the browser; the
// owner yanks a version on the package's management page.
// Screenshots of the main pages go to $TROVE_SCREENSHOTS.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BASE, OCI_MANIFEST, RUN, eventually, launch, packageDir, pushSampleImage, shot, tarGz, trove } from './helpers.mjs';

const username = `ui${RUN}`;
const password = 'correct horse battery';
const widget = `${username}/browser-widget`;
const gadget = `${username}/browser-gadget`;
const evil = `${username}/evil-readme`;

let context;
let page;
let token;
const dialogs = [];
const pageErrors = [];
const consoleMessages = [];

before(async () => {
  context = await launch();
  page = context.pages()[0] ?? (await context.newPage());
  page.on('dialog', async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => consoleMessages.push(`${m.type()}: ${m.text()}`));
});

after(async () => {
  await context?.close();
});

/** Clicks a form's submit button; resolves with the POST's response once the next page loaded. */
async function submit(locator) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document'),
    locator.click(),
  ]);
  await page.waitForLoadState('load');
  return response;
}

async function login() {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await submit(page.getByRole('button', { name: 'Log in' }));
  assert.match(page.url(), /\/dashboard$/);
}

test('register in the browser', async () => {
  await page.goto('/register');
  await shot(page, 'register');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Password').fill(password);
  await submit(page.getByRole('button', { name: 'Create account' }));
  assert.match(page.url(), /\/dashboard\?welcome=1$/);
  await page.getByText(`Welcome to Trove, ${username}!`).waitFor();
  const cookies = await context.cookies(BASE);
  const session = cookies.find((c) => c.name === 'trove_session');
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  assert.ok(!cookies.some((c) => c.name === 'trove_csrf' && c.value), 'the pre-session cookie is gone');
});

test('create an API token in the dashboard', async () => {
  await page.getByRole('link', { name: 'API tokens' }).click();
  await page.waitForURL('**/dashboard/tokens');
  await page.getByLabel('Name').fill('browser-test');
  const publish = page.getByRole('checkbox', { name: /publish/ });
  await publish.check();
  await page.getByLabel('Expires after').selectOption('30');
  await submit(page.getByRole('button', { name: 'Create token' }));
  token = await page.locator('#new-token').inputValue();
  assert.match(token, /^trv_[A-Za-z0-9_-]{43}$/);
  await page.getByText('Copy it now: it will not be shown again.').waitFor();
  await shot(page, 'dashboard-tokens');
  // The new token has a copy button; at 390 px the page does not scroll sideways.
  await page.getByRole('button', { name: /^Copy/ }).first().waitFor();
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok((await structure()).overflow <= 0, 'no sideways scrolling of /dashboard/tokens at 390 px');
  await shot(page, 'dashboard-tokens-mobile');
  await page.setViewportSize({ width: 1280, height: 860 });
  // Shown once: a reload of the list no longer has it.
  await page.goto('/dashboard/tokens');
  assert.equal(await page.locator('#new-token').count(), 0);
  await page.getByRole('cell', { name: /browser-test/ }).waitFor();
});

test('publish with the trove CLI', async () => {
  const configDir = mkdtempSync(join(tmpdir(), 'trove-cli-'));
  const env = { TROVE_TOKEN: token, TROVE_CONFIG_DIR: configDir };
  const readme =
    '# Browser Widget\n\nThis README was **rendered** from Markdown.\n\n## Usage\n\n```sh\ntrove add ' +
    widget +
    '\n```\n\n| Feature | Works |\n|---|---|\n| Tables | yes |\n\n> Quotes, too.\n\n[Trove](https://example.com/trove)\n';
  const meta = {
    name: widget,
    description: 'A widget published from the browser test',
    keywords: ['widget', 'browser'],
    categories: ['testing'],
    readme,
  };
  for (const version of ['1.0.0', '1.1.0']) {
    const res = await trove(['publish'], { cwd: packageDir({ ...meta, version }), env });
    assert.equal(res.code, 0, `trove publish ${version} failed:\n${res.stdout}\n${res.stderr}`);
  }
  const dependent = packageDir({ name: gadget, description: 'Uses the widget', readme: '# Gadget\n', dependencies: { [widget]: '^1.0' } });
  const add = await trove(['publish'], { cwd: dependent, env: { ...env } });
  assert.equal(add.code, 0, add.stderr);
  // A few downloads, so that the chart has something to draw.
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${BASE}/api/v1/packages/${widget}/versions/1.1.0/download`);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
  }
  await eventually(async () => {
    const r = await fetch(`${BASE}/api/v1/packages/${widget}/stats`);
    return (await r.json()).last_7_days >= 3;
  });
});

test('find the package by search and open its page', async () => {
  await page.goto('/');
  // One search box (and one search landmark) on the home and search pages: the header's
  // gives way to the page's own.
  assert.equal(await page.getByRole('searchbox').count(), 1, 'one search box on the home page');
  assert.equal(await page.getByRole('search').count(), 1, 'one search landmark on the home page');
  await page.getByRole('searchbox', { name: 'Search packages' }).fill('browser widget');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/search\?q=browser/);
  const result = page.getByRole('link', { name: new RegExp(`${username}/\\s*browser-widget`) });
  await result.first().waitFor();
  assert.equal(await page.getByRole('searchbox').count(), 1, 'one search box on the search page');
  assert.equal(await page.getByRole('search').count(), 1, 'one search landmark on the search page');
  assert.equal(await page.getByRole('searchbox').inputValue(), 'browser widget');
  await shot(page, 'search');
  // Facets are links that filter; categories are shown by name, not slug.
  await page.locator('.facet').filter({ hasText: 'Category' }).getByRole('link', { name: /^Testing/ }).click();
  await page.waitForURL(/category=testing/);
  await page.getByRole('link', { name: /Category: Testing/ }).first().waitFor();
  await result.first().click();
  await page.waitForURL(`**/packages/${widget}`);
  const readme = page.locator('article.readme');
  await readme.getByRole('heading', { name: 'Browser Widget' }).waitFor();
  assert.equal(await readme.locator('strong').first().textContent(), 'rendered');
  assert.equal(await readme.locator('table').count(), 1);
  assert.equal(await page.locator('h1').count(), 1, 'one h1 on the page');
  const chart = page.locator('svg.chart-svg');
  await chart.waitFor();
  assert.ok((await chart.locator('rect.bar').count()) >= 1, 'the chart has a bar');
  assert.match(await page.locator('.snippet code').first().textContent(), new RegExp(`trove add ${widget}`));
  await page.locator('#versions').getByRole('link', { name: '1.0.0', exact: true }).waitFor();
  await page.getByText('latest', { exact: true }).waitFor();
  assert.match(await page.locator('.digest code').textContent(), /^sha256:[0-9a-f]{64}$/);
  await page.locator('#dependents').getByRole('link', { name: gadget }).waitFor();
  await shot(page, 'package');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, 'package-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'package-mobile');
  await page.setViewportSize({ width: 1280, height: 860 });
});

test('a README containing <script> renders inert', async () => {
  const readme = [
    '# Totally harmless',
    '',
    '<script>window.__xss = 1; alert("xss script")</script>',
    '',
    'Inline <script>window.__xss = 2</script> script and <img src="/nope.png" onerror="window.__xss = 3; alert(3)"> image.',
    '',
    '[click me](javascript:window.__xss=4) and [data link](data:text/html,<script>alert(5)</script>)',
    '',
    '<a href="javascript:alert(6)" onmouseover="alert(7)">raw anchor</a>',
    '',
    '<iframe src="javascript:alert(8)"></iframe><svg onload="alert(9)"></svg>',
    '',
  ].join('\n');
  const archive = tarGz({
    'trove.toml': `[package]\nname = "${evil}"\nversion = "0.1.0"\ndescription = "Tries to run scripts"\nreadme = "README.md"\n`,
    'README.md': readme,
  });
  const res = await fetch(`${BASE}/api/v1/packages/${evil}/versions/0.1.0`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
    body: archive,
  });
  assert.equal(res.status, 201, await res.text());
  dialogs.length = 0;
  pageErrors.length = 0;
  await page.goto(`/packages/${evil}`);
  const article = page.locator('article.readme');
  await article.getByRole('heading', { name: 'Totally harmless' }).waitFor();
  await article.getByText('click me').hover();
  await article.getByText('click me').click();
  await article.getByText('raw anchor').hover();
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no README script ran');
  assert.deepEqual(dialogs, [], 'no dialog opened');
  assert.deepEqual(pageErrors, [], 'no page errors');
  const scripts = await page.locator('script').evaluateAll((ss) => ss.map((s) => s.getAttribute('src')));
  assert.equal(scripts.length, 1, 'only the page script');
  assert.match(scripts[0], /^\/static\/trove-[0-9a-f]{12}\.js$/);
  assert.equal(await article.locator('iframe, svg, [onerror], [onload], [onmouseover]').count(), 0);
  // The raw <img> stays, defused; links with unsafe URLs stay as inert, href-less text.
  assert.equal(await article.locator('img').count(), 1);
  const hrefs = await article.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.every((h) => /^(https?:|mailto:|\/|#)/.test(h)), `only safe links: ${hrefs}`);
  assert.equal(page.url(), `${BASE}/packages/${evil}`, 'clicking the defused link went nowhere');
  assert.ok(!consoleMessages.some((m) => /Refused to (execute|load)/.test(m)), 'nothing even tried to run');
  await shot(page, 'package-xss-inert');
});

test('a CLI device login is approved in the browser', async () => {
  const configDir = mkdtempSync(join(tmpdir(), 'trove-cli-login-'));
  const env = { TROVE_CONFIG_DIR: configDir, TROVE_TOKEN: '' };
  let prompt;
  const stop = new AbortController();
  const login = trove(['login', '--json'], {
    env,
    signal: stop.signal,
    onStdout: (out) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && !prompt) prompt = JSON.parse(line);
    },
  });
  try {
    await eventually(() => prompt, { timeout: 15_000 });
    assert.match(prompt.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
    await page.goto(prompt.verification_uri_complete);
    assert.equal(await page.getByRole('textbox', { name: 'Code' }).inputValue(), prompt.user_code);
    await shot(page, 'device');
    await submit(page.getByRole('button', { name: 'Approve' }));
    await page.getByText(`is now signed in as ${username}`).waitFor();
    const done = await login;
    assert.equal(done.code, 0, `trove login failed:\n${done.stdout}\n${done.stderr}`);
  } finally {
    stop.abort(); // never leave the CLI polling after a failure
  }
  const who = await trove(['whoami'], { env });
  assert.equal(who.code, 0, who.stderr);
  assert.match(who.stdout, new RegExp(username));
});

test('organizations and members are managed in the dashboard', async () => {
  await page.goto('/dashboard/orgs');
  await page.getByLabel('Name').fill(`org${RUN}`);
  await page.getByLabel('Description (optional)').fill('The browser test team');
  await submit(page.getByRole('button', { name: 'Create organization' }));
  await page.getByText('Organization created. You are its owner.').waitFor();
  await page.getByRole('row', { name: new RegExp(username) }).getByRole('combobox').waitFor();
  await shot(page, 'dashboard-org');
});

test('the owner yanks a version from the package management page', async () => {
  await page.goto(`/packages/${widget}`);
  await page.getByRole('link', { name: 'Manage', exact: true }).click();
  await page.waitForURL(`**/packages/${widget}/-/manage`);
  await page.getByRole('heading', { name: 'Visibility' }).waitFor();
  await page.getByRole('heading', { name: /^Owners/ }).waitFor();
  const response = await submit(page.getByRole('button', { name: 'Yank version 1.0.0', exact: true }));
  assert.equal(response.status(), 303);
  assert.match(page.url(), /\/-\/manage\?done=yanked&version=1\.0\.0$/);
  await page.getByRole('status').filter({ hasText: 'Version 1.0.0 is yanked' }).waitFor();
  await page.getByRole('button', { name: 'Unyank version 1.0.0', exact: true }).waitFor();
  await shot(page, 'package-manage');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'package-manage-mobile');
  await page.setViewportSize({ width: 1280, height: 860 });
  // The package page marks the version as yanked.
  await page.getByRole('link', { name: 'Back to the package' }).click();
  await page.waitForURL(`**/packages/${widget}`);
  const row = page.locator('#versions tr.yanked');
  await row.getByRole('link', { name: '1.0.0', exact: true }).waitFor();
  await row.getByText('yanked', { exact: true }).waitFor();
  const api = await (await fetch(`${BASE}/api/v1/packages/${widget}/versions/1.0.0`)).json();
  assert.equal(api.yanked, true);
});

test('copy buttons copy, the version picker opens a yanked version with its banners', async () => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  await page.goto(`/packages/${widget}`);
  const snippet = page.locator('.install-card .snippet').first();
  const copyInstall = page.getByRole('button', { name: 'Copy Add it to your project' });
  await copyInstall.click();
  await page.locator('.install-card').getByText('Copied', { exact: true }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await snippet.textContent());
  await page.getByRole('button', { name: 'Copy digest' }).click();
  assert.match(await page.evaluate(() => navigator.clipboard.readText()), /^sha256:[0-9a-f]{64}$/);
  // Long commands scroll inside their box instead of breaking mid-word.
  const wraps = await snippet.evaluate((el) => getComputedStyle(el).whiteSpace);
  assert.equal(wraps, 'pre');
  // Choosing a version opens its page at the top (the script submits the picker's form).
  await Promise.all([page.waitForURL(/\?version=1\.0\.0$/), page.getByLabel('Version', { exact: true }).selectOption('1.0.0')]);
  const banner = page.getByRole('alert').filter({ hasText: 'Version 1.0.0 has been yanked.' });
  await banner.waitFor();
  const bannerBox = await banner.boundingBox();
  assert.ok(bannerBox.y < 400, `the banner is at the top (y = ${bannerBox.y})`);
  await page.getByRole('status').filter({ hasText: 'which is not the latest version' }).waitFor();
  await page.locator('.install-card').getByText(/Yanked: 1\.0\.0 should not be installed/).waitFor();
  assert.match(await page.locator('.install-card .snippet code').first().textContent(), new RegExp(`trove add ${widget}@\\^1\\.0\\.0`));
  await shot(page, 'package-version-yanked');
});

test('without JavaScript: no copy buttons, the version picker still works', async () => {
  const noJs = await launch({ javaScriptEnabled: false });
  try {
    const p = noJs.pages()[0] ?? (await noJs.newPage());
    await p.goto(`/packages/${widget}`);
    assert.equal(await p.locator('.copy-button').count(), 0, 'no buttons that cannot work');
    assert.match(await p.locator('.install-card .snippet code').first().textContent(), new RegExp(`trove add ${widget}`));
    await p.getByLabel('Version', { exact: true }).selectOption('1.0.0');
    await Promise.all([p.waitForURL(/\?version=1\.0\.0$/), p.getByRole('button', { name: 'Show' }).click()]);
    await p.getByText('Version 1.0.0 has been yanked.').waitFor();
    await shot(p, 'package-version-nojs');
  } finally {
    await noJs.close();
  }
});

test('robots.txt is text', async () => {
  const res = await fetch(`${BASE}/robots.txt`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  assert.match(await res.text(), /^User-agent: \*/);
});

test('screenshots of the main pages', async () => {
  await page.goto('/dashboard');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.getByRole('link', { name: widget }).waitFor();
  await shot(page, 'dashboard');
  await page.goto('/');
  await page.getByRole('heading', { name: 'Most downloaded' }).waitFor();
  await shot(page, 'home');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, 'home-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`/users/${username}`);
  await shot(page, 'user');
});

test('log out', async () => {
  await page.goto('/dashboard');
  await submit(page.getByRole('button', { name: 'Log out' }));
  assert.equal(page.url(), `${BASE}/`);
  await page.getByRole('link', { name: 'Log in' }).waitFor();
  await page.goto('/dashboard');
  assert.match(page.url(), /\/login\?next=\/dashboard$/);
  await shot(page, 'login');
});

test('forms without a CSRF token are refused', async () => {
  // Before a session: the login form without its double-submit token.
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.locator('input[name="_csrf"]').evaluate((el) => el.remove());
  let res = await submit(page.getByRole('button', { name: 'Log in' }));
  assert.equal(res.status(), 403);
  await page.getByRole('heading', { name: 'Form expired' }).waitFor();
  assert.ok(!(await context.cookies(BASE)).some((c) => c.name === 'trove_session' && c.value), 'not logged in');
  await shot(page, 'csrf-refused');

  // With a session: the token form without its token creates nothing.
  await login();
  await page.goto('/dashboard/tokens');
  const before = await page.locator('tbody tr').count();
  await page.getByLabel('Name').fill('no-csrf');
  await page.locator('form[action="/dashboard/tokens"] input[name="_csrf"]').evaluate((el) => el.remove());
  res = await submit(page.getByRole('button', { name: 'Create token' }));
  assert.equal(res.status(), 403);
  await page.getByRole('heading', { name: 'Form expired' }).waitFor();
  await page.goto('/dashboard/tokens');
  assert.equal(await page.locator('tbody tr').count(), before, 'no token was created');

  // A tampered token on the logout form: still signed in afterwards.
  await page.locator('form[action="/logout"] input[name="_csrf"]').evaluate((el) => (el.value = 'forged'));
  res = await submit(page.getByRole('button', { name: 'Log out' }));
  assert.equal(res.status(), 403);
  await page.goto('/dashboard');
  assert.match(page.url(), /\/dashboard$/);
});

test('pages are accessible without JavaScript', async () => {
  for (const path of ['/', `/search?q=widget`, `/packages/${widget}`, `/packages/${widget}/-/manage`, '/dashboard', '/dashboard/tokens', '/dashboard/webhooks', '/device']) {
    await page.goto(path);
    const report = await page.evaluate(() => {
      const unlabelled = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')].filter(
        (el) => !(el.id && document.querySelector(`label[for="${el.id}"]`)) && !el.getAttribute('aria-label') && !el.closest('label'),
      );
      return {
        h1: document.querySelectorAll('h1').length,
        main: document.querySelectorAll('main').length,
        banner: document.querySelectorAll('body > header').length,
        nav: document.querySelectorAll('nav').length,
        lang: document.documentElement.lang,
        scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src') ?? 'inline'),
        unlabelled: unlabelled.map((el) => el.outerHTML),
        imagesWithoutAlt: [...document.querySelectorAll('img:not([alt])')].length,
      };
    });
    assert.equal(report.h1, 1, `${path}: one h1`);
    assert.equal(report.main, 1, `${path}: a main landmark`);
    assert.equal(report.banner, 1, `${path}: a banner`);
    assert.ok(report.nav >= 1, `${path}: navigation`);
    assert.equal(report.lang, 'en');
    assert.equal(report.scripts.length, 1, `${path}: one script`);
    assert.match(report.scripts[0], /^\/static\/trove-[0-9a-f]{12}\.js$/, `${path}: the page script, not inline`);
    assert.deepEqual(report.unlabelled, [], `${path}: every field has a label`);
    assert.equal(report.imagesWithoutAlt, 0);
    // The first Tab reaches the skip link, which moves focus to the content.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  }
});

test('webhooks are managed in the dashboard', async () => {
  await page.goto('/dashboard');
  await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Webhooks' }).click();
  await page.waitForURL('**/dashboard/webhooks');
  await page.getByRole('heading', { name: new RegExp(`^${username}`) }).waitFor();

  // The SSRF guard's refusal is a readable message; the form keeps what was typed.
  await page.getByLabel('Payload URL').fill('http://127.0.0.1:9/hook');
  let res = await submit(page.getByRole('button', { name: 'Add webhook' }));
  assert.equal(res.status(), 422);
  await page.getByRole('alert').filter({ hasText: 'loopback, private or link-local' }).waitFor();
  assert.equal(await page.getByLabel('Payload URL').inputValue(), 'http://127.0.0.1:9/hook');
  await shot(page, 'dashboard-webhooks-refused');

  // Created: the secret is shown once.
  const hookUrl = `https://hooks.invalid/${RUN}`;
  await page.getByLabel('Payload URL').fill(hookUrl);
  await page.getByRole('checkbox', { name: /^yank/ }).check();
  res = await submit(page.getByRole('button', { name: 'Add webhook' }));
  assert.equal(res.status(), 201);
  const secret = await page.locator('#new-secret').inputValue();
  assert.ok(secret.length >= 32, secret);
  await page.getByText('Copy it now: it will not be shown again.').waitFor();
  await shot(page, 'dashboard-webhooks-created');
  await page.goto('/dashboard/webhooks');
  assert.equal(await page.locator('#new-secret').count(), 0, 'shown once');
  await page.getByRole('link', { name: hookUrl, exact: true }).click();
  await page.waitForURL(/\/dashboard\/webhooks\/[^/]+\/\d+$/);
  const hookPage = page.url();

  // A test ping is queued and appears in the delivery log.
  res = await submit(page.getByRole('button', { name: 'Send a test ping' }));
  assert.equal(res.status(), 303);
  await page.getByRole('status').filter({ hasText: 'A ping delivery was queued' }).waitFor();
  await page.locator('table.deliveries tbody tr').first().getByText('ping', { exact: true }).waitFor();
  await eventually(
    async () => {
      await page.goto(hookPage);
      return (await page.locator('table.deliveries td .badge').first().textContent()) !== 'pending' ||
        (await page.locator('tr.delivery-error').count()) > 0;
    },
    { timeout: 15_000, every: 500 },
  ).catch(() => {});
  await shot(page, 'dashboard-webhook-deliveries');

  // Delete, with a confirmation.
  await page.getByText('Delete this webhook…').click();
  await page.getByRole('checkbox', { name: /Stop sending events/ }).check();
  res = await submit(page.getByRole('button', { name: 'Delete webhook', exact: true }));
  assert.equal(res.status(), 303);
  await page.getByRole('status').filter({ hasText: 'Webhook deleted' }).waitFor();
  assert.equal(await page.getByRole('link', { name: hookUrl, exact: true }).count(), 0);
});

/** The number of `h1`s and the form fields without a label on the current page. */
async function structure() {
  return page.evaluate(() => ({
    h1: document.querySelectorAll('h1').length,
    unlabelled: [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((el) => !(el.id && document.querySelector(`label[for="${el.id}"]`)) && !el.getAttribute('aria-label') && !el.closest('label'))
      .map((el) => el.outerHTML),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  }));
}

test("a version's files are browsed, highlighted, and compared with the previous version", async () => {
  const cspErrors = consoleMessages.length;
  await page.goto(`/packages/${widget}?version=1.1.0`);
  await Promise.all([page.waitForURL(/\/-\/files\/1\.1\.0\/$/), page.getByRole('link', { name: 'Browse files' }).click()]);
  await page.getByRole('link', { name: 'trove.toml' }).waitFor();
  await shot(page, 'files-root');
  // TOML is highlighted too (bat's grammars): the table header and the strings.
  await Promise.all([page.waitForURL(/\/-\/files\/1\.1\.0\/trove\.toml$/), page.getByRole('link', { name: 'trove.toml' }).click()]);
  assert.ok((await page.locator('.code-view .code .hl-string').count()) > 0, 'TOML strings highlighted');
  assert.ok((await page.locator('.code-view .code [class*="hl-entity"]').count()) > 0, 'TOML table names highlighted');
  await shot(page, 'files-toml');
  await page.goBack();
  await Promise.all([page.waitForURL(/\/-\/files\/1\.1\.0\/README\.md$/), page.getByRole('link', { name: 'README.md' }).click()]);
  // Highlighted on the server: classed spans coloured by the stylesheet, numbered lines.
  assert.ok((await page.locator('.code-view .code span[class*="hl-"]').count()) > 0, 'highlighted');
  const heading = page.locator('.code-view .code .hl-markup.hl-heading').first();
  assert.notEqual(
    await heading.evaluate((el) => getComputedStyle(el).color),
    await page.locator('.code-view .gutter').evaluate((el) => getComputedStyle(el).color),
    'headings are coloured',
  );
  assert.match(await page.locator('.code-view .gutter').textContent(), /^1\n2\n/);
  await shot(page, 'files-readme');
  let s = await structure();
  assert.equal(s.h1, 1);
  assert.deepEqual(s.unlabelled, []);

  // What changed since 1.0.0: the manifest's version line, removed and added.
  await page.goto(`/packages/${widget}?version=1.1.0`);
  await Promise.all([page.waitForURL(/\/-\/diff\/1\.0\.0\.\.\.1\.1\.0$/), page.getByRole('link', { name: 'Changes since 1.0.0' }).click()]);
  await page.locator('pre.diff .dl-del').filter({ hasText: 'version = "1.0.0"' }).waitFor();
  await page.locator('pre.diff .dl-add').filter({ hasText: 'version = "1.1.0"' }).waitFor();
  await page.getByText(/files? differs?:/).waitFor();
  await shot(page, 'diff');
  s = await structure();
  assert.equal(s.h1, 1);
  assert.deepEqual(s.unlabelled, []);
  // On a phone the page does not scroll sideways; long lines scroll inside their box.
  await page.setViewportSize({ width: 375, height: 812 });
  assert.ok((await structure()).overflow <= 0, 'no sideways scrolling at 375 px');
  await shot(page, 'diff-mobile');
  await page.setViewportSize({ width: 1280, height: 860 });
  assert.deepEqual(
    consoleMessages.slice(cspErrors).filter((m) => m.startsWith('error')),
    [],
    'no console errors (no CSP violations)',
  );
});

test('an image tag shows its layers, labels and referrers; its owner deletes a tag', async () => {
  const repo = `${username}/browser-app`;
  const auth = 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');
  await pushSampleImage({ repo, auth, tags: ['v1', 'old'], description: 'An app pushed by the browser test', labels: { maintainer: username } });

  await page.goto(`/packages/${repo}?version=v1`);
  await page.getByRole('heading', { name: 'Image v1' }).waitFor();
  assert.equal(await page.locator('table.layers tbody tr').count(), 2);
  await page.locator('#image').getByText('linux/amd64').waitFor();
  await page.locator('#image').getByRole('link', { name: 'https://example.com/browser-app' }).waitFor();
  await page.locator('#image').getByText('An app pushed by the browser test').waitFor();
  await page.locator('.referrers').getByText('Signature', { exact: true }).waitFor();
  await shot(page, 'oci-image');
  const s = await structure();
  assert.equal(s.h1, 1);
  assert.deepEqual(s.unlabelled, []);

  await page.goto(`/packages/${repo}?version=old`);
  await page.getByRole('checkbox', { name: /Delete the tag/ }).check();
  const res = await submit(page.getByRole('button', { name: 'Delete tag' }));
  assert.equal(res.status(), 303);
  await page.getByRole('status').filter({ hasText: 'Tag old deleted.' }).waitFor();
  const gone = await fetch(`${BASE}/v2/${repo}/manifests/old`, { headers: { authorization: auth, accept: OCI_MANIFEST } });
  assert.equal(gone.status, 404);
  const kept = await fetch(`${BASE}/v2/${repo}/manifests/v1`, { headers: { authorization: auth, accept: OCI_MANIFEST } });
  assert.equal(kept.status, 200);
});

test('axe-core finds no serious or critical violations on the main pages', async () => {
  const { readFileSync } = await import('node:fs');
  const { createRequire } = await import('node:module');
  const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // axe is injected by the test (its own context lets it past the pages' strict CSP).
  const audit = await launch({ bypassCSP: true });
  try {
    const p = audit.pages()[0] ?? (await audit.newPage());
    await p.goto('/login');
    await p.getByLabel('Username').fill(username);
    await p.getByLabel('Password').fill(password);
    await Promise.all([p.waitForURL(/\/dashboard$/), p.getByRole('button', { name: 'Log in' }).click()]);
    const pages = [
      '/',
      '/search?q=widget',
      `/search?keyword=widget%2Cbrowser&sort=name`,
      `/packages/${widget}`,
      `/packages/${widget}/-/files/1.1.0/`,
      `/packages/${widget}/-/files/1.1.0/README.md`,
      `/packages/${widget}/-/diff/1.0.0...1.1.0`,
      `/packages/${username}/browser-app?version=v1`,
      '/dashboard',
      '/dashboard/tokens',
      '/dashboard/settings',
      `/users/${username}`,
    ];
    const found = [];
    for (const path of pages) {
      for (const scheme of ['light', 'dark']) {
        await p.emulateMedia({ colorScheme: scheme });
        await p.goto(path);
        await p.evaluate(axeSource);
        const result = await p.evaluate(() =>
          // eslint-disable-next-line no-undef
          axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }),
        );
        for (const v of result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
          found.push(`${path} (${scheme}): ${v.id} [${v.impact}] ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
        }
      }
    }
    await p.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(found, [], found.join('\n'));
    // The gate can fail: a nameless button added to a page is caught.
    await p.evaluate(() => document.querySelector('main').append(document.createElement('button')));
    // eslint-disable-next-line no-undef
    const broken = await p.evaluate(() => axe.run(document, { resultTypes: ['violations'] }));
    assert.ok(
      broken.violations.some((v) => v.id === 'button-name' && v.impact === 'critical'),
      JSON.stringify(broken.violations.map((v) => v.id)),
    );
  } finally {
    await audit.close();
  }
});

test('search on a phone: results first, several values per filter, sort applies at once', async () => {
  await page.setViewportSize({ width: 375, height: 812 });
  try {
    await page.goto('/search?q=widget');
    const first = await page.locator('.results .pkg-card').first().boundingBox();
    const filters = await page.locator('#filters').boundingBox();
    assert.ok(first.y < filters.y, `the first result (y = ${first.y}) comes before the filters (y = ${filters.y})`);
    assert.ok(first.y < 812, `the first result is on the first screen (y = ${first.y})`);
    assert.ok((await structure()).overflow <= 0, 'no sideways scrolling at 375 px');
    await shot(page, 'search-mobile', { fullPage: false });
    // A result found through a typo says which word it matched.
    await page.goto('/search?q=widgte');
    await page.locator('.pkg-card').filter({ hasText: 'browser-widget' }).getByText('Close match: widget for “widgte”').waitFor();
    await shot(page, 'search-typo', { fullPage: false });
    // Two keywords at once: the second is added from the facet, not instead of the first.
    await page.goto('/search?keyword=widget');
    const browser = page.locator('.facet').filter({ hasText: 'Keyword' }).getByRole('link', { name: /^browser/ });
    await Promise.all([page.waitForURL(/keyword=widget%2Cbrowser/), browser.click()]);
    assert.equal(await page.locator('.active-filters .chip-remove').count(), 2);
    // The sort select submits the form by itself (page script), keeping the filters.
    await Promise.all([page.waitForURL(/sort=name/), page.getByLabel('Sort by').selectOption('name')]);
    assert.match(page.url(), /keyword=widget%2Cbrowser/);
  } finally {
    await page.setViewportSize({ width: 1280, height: 860 });
  }
});

test('account settings: change the email; other sessions are listed', async () => {
  await page.goto('/dashboard/settings');
  await page.getByRole('heading', { name: 'Browser sessions' }).waitFor();
  await page.getByText('this session').waitFor();
  await page.getByLabel('Email', { exact: true }).fill(`${username}+new@example.com`);
  await page.getByLabel('Current password').nth(1).fill(password);
  const res = await submit(page.getByRole('button', { name: 'Change email' }));
  assert.equal(res.status(), 303);
  await page.getByRole('status').filter({ hasText: 'Your email address was changed.' }).waitFor();
  assert.equal(await page.getByLabel('Email', { exact: true }).inputValue(), `${username}+new@example.com`);
  await shot(page, 'settings');
});
