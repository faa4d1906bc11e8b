// Lighthouse on Trove's main pages: home, search, a package page, a version page and an
// OCI tag page, in Debian's Chromium (chrome-launcher starts /usr/bin/chromium; nothing is
// downloaded), against a real `trove server` seeded here with realistic content (packages
// with READMEs holding code, tables, task lists, footnotes and images; two versions; an
// image with layers, labels and a signature).
//
// Prints the four scores of every page and the audits that cost points. Accessibility, best
// practices and SEO are gated (at least TROVE_LIGHTHOUSE_MIN, 0.95 by default): their audits
// look at the page, not at the machine's speed. Performance is gated too on home, search,
// package and OCI tag (TROVE_LIGHTHOUSE_MIN_PERF, 0.95 by default; best of up to 3 runs, as
// it depends on the load of the machine) and printed for the version page.
// Reports (JSON) go to $TROVE_LIGHTHOUSE_REPORTS (default target/lighthouse).
//
// Environment (set by scripts/lighthouse.sh): TROVE_URL, TROVE_BIN, CHROMIUM.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { BASE, RUN, eventually, pushSampleImage, tarGz } from '../browser/helpers.mjs';

const MIN = Number(process.env.TROVE_LIGHTHOUSE_MIN || 0.95);
// Performance is gated on the pages the issue names (home, search, package, OCI tag) at 0.95
// unless TROVE_LIGHTHOUSE_MIN_PERF says otherwise (0 turns it off). A performance score moves
// with the machine's load, so a page under the gate is measured again, at most PERF_RUNS
// times in all, and its best run counts (Lighthouse CI likewise asks for several runs).
const MIN_PERF = Number(process.env.TROVE_LIGHTHOUSE_MIN_PERF ?? 0.95);
const PERF_RUNS = Number(process.env.TROVE_LIGHTHOUSE_PERF_RUNS || 3);
const PERF_GATED = new Set(['home', 'search', 'package', 'oci-tag']);
const REPORTS = resolve(process.env.TROVE_LIGHTHOUSE_REPORTS || '../../target/lighthouse');
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];

const user = `lh${RUN}`;
const password = 'correct horse battery';
const basic = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

async function call(method, path, { body, headers = {}, auth = basic } = {}) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { ...(auth ? { authorization: auth } : {}), ...(body && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body && !Buffer.isBuffer(body) ? JSON.stringify(body) : body,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

/** README images as most READMEs have them: an SVG badge and an SVG logo with their sizes. */
const BADGE = '<svg xmlns="http://www.w3.org/2000/svg" width="88" height="20" role="img" aria-label="docs: latest"><rect width="44" height="20" fill="#555"/><rect x="44" width="44" height="20" fill="#4c1"/><text x="8" y="14" fill="#fff" font-size="11">docs</text><text x="50" y="14" fill="#fff" font-size="11">latest</text></svg>';
const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="80" viewBox="0 0 160 80"><rect width="160" height="80" rx="12" fill="#4f46e5"/><text x="20" y="50" fill="#fff" font-size="28">widget</text></svg>';

function readme(name, version) {
  return `# ${name}

[![docs](docs/badge.svg)](https://example.com/docs) A small, fast widget library for
configuration files — version ${version}.

## Contents

- [Install](#install)
- [Usage](#usage)
- [Features](#features)

## Install

\`\`\`sh
trove add ${user}/${name}
\`\`\`

## Usage

\`\`\`rust
use widget::Config;

fn main() -> Result<(), widget::Error> {
    let config = Config::load("app.toml")?; // reads and checks the file
    println!("{} workers", config.workers);
    Ok(())
}
\`\`\`

\`\`\`toml
[server]
workers = 4
name = "example"
\`\`\`

## Features

| Feature | Status | Since |
|:--------|:------:|------:|
| TOML | stable | 1.0 |
| JSON | beta | 1.1 |

- [x] Parse files
- [ ] Watch files for changes

<details><summary>More</summary>

Everything is checked[^1] when loaded.

</details>

<img src="docs/logo.svg" alt="The widget logo" width="160" height="80">

See [LICENSE](LICENSE).

[^1]: Against the schema.
`;
}

async function publish(name, version, fields) {
  const archive = tarGz({
    'trove.toml': `[package]
name = "${user}/${name}"
version = "${version}"
kind = "library"
description = "${fields.description}"
license = "MIT OR Apache-2.0"
keywords = ${JSON.stringify(fields.keywords)}
categories = ${JSON.stringify(fields.categories)}
readme = "README.md"
repository = "https://example.com/${name}"
`,
    'README.md': readme(name, version),
    'LICENSE': 'MIT License\n',
    'src/lib.rs': 'pub struct Config {\n    pub workers: u32,\n}\n',
    'docs/logo.svg': LOGO,
    'docs/badge.svg': BADGE,
  });
  await call('PUT', `/api/v1/packages/${user}/${name}/versions/${version}`, {
    body: archive,
    headers: { 'content-type': 'application/gzip' },
    auth: `Bearer ${token}`,
  });
}

async function pushImage(repo) {
  await pushSampleImage({ repo: `${user}/${repo}`, auth: basic, description: 'The app, as an image' });
}

let token;

async function seed() {
  await call('POST', '/api/v1/users', { body: { username: user, email: `${user}@example.com`, password }, auth: '' });
  // A session (the API takes no password for tokens), then a publishing token.
  const session = await call('POST', '/api/v1/session', { body: { username: user, password }, auth: '' });
  const cookie = session.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = (await session.json()).csrf_token;
  const created = await (
    await call('POST', '/api/v1/tokens', {
      body: { name: 'lighthouse', scopes: ['read', 'publish'] },
      auth: '',
      headers: { cookie, 'x-csrf-token': csrf },
    })
  ).json();
  token = created.token;
  const packages = [
    ['config-widget', 'Loads and checks configuration files', ['config', 'toml'], ['parsing']],
    ['http-widget', 'A tiny HTTP client widget', ['http', 'client'], ['networking']],
    ['log-widget', 'Structured logging for widgets', ['logging'], ['devops']],
    ['test-widget', 'Fixtures and helpers for widget tests', ['testing'], ['testing']],
  ];
  for (const [name, description, keywords, categories] of packages) {
    for (const version of ['1.0.0', '1.1.0']) {
      await publish(name, version, { description, keywords, categories });
    }
    for (let i = 0; i < 3; i++) await (await fetch(`${BASE}/api/v1/packages/${user}/${name}/versions/1.1.0/download`)).arrayBuffer();
  }
  await pushImage('app');
  await eventually(async () => (await (await fetch(`${BASE}/api/v1/search?q=widget`)).json()).total >= packages.length, { timeout: 20_000 });
}

const PAGES = () => [
  ['home', '/'],
  ['search', '/search?q=widget'],
  ['package', `/packages/${user}/config-widget`],
  ['version', `/packages/${user}/config-widget?version=1.0.0`],
  ['oci-tag', `/packages/${user}/app?version=v1`],
];

async function main() {
  await seed();
  mkdirSync(REPORTS, { recursive: true });
  const chrome = await chromeLauncher.launch({
    chromePath: process.env.CHROMIUM || '/usr/bin/chromium',
    chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
  });
  const failures = [];
  const rows = [];
  try {
    for (const [name, path] of PAGES()) {
      const perfMin = PERF_GATED.has(name) && MIN_PERF > 0 ? MIN_PERF : null;
      let { lhr } = await lighthouse(`${BASE}${path}`, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: CATEGORIES });
      for (let run = 2; perfMin !== null && run <= PERF_RUNS && (lhr.categories.performance?.score ?? 0) < perfMin; run++) {
        console.log(`  ${name} performance ${Math.round((lhr.categories.performance?.score ?? 0) * 100)} < ${Math.round(perfMin * 100)}: measuring again (run ${run} of ${PERF_RUNS})`);
        const again = (await lighthouse(`${BASE}${path}`, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: CATEGORIES })).lhr;
        if ((again.categories.performance?.score ?? 0) > (lhr.categories.performance?.score ?? 0)) lhr = again;
      }
      writeFileSync(join(REPORTS, `${name}.json`), JSON.stringify(lhr));
      if (lhr.runtimeError) failures.push(`${name}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
      const scores = Object.fromEntries(CATEGORIES.map((c) => [c, lhr.categories[c]?.score ?? 0]));
      rows.push([name, path, scores]);
      for (const c of CATEGORIES) {
        const min = c === 'performance' ? perfMin : MIN;
        const lost = lhr.categories[c].auditRefs
          .filter((r) => r.weight > 0)
          .map((r) => lhr.audits[r.id])
          .filter((a) => a.score !== null && a.score < 1)
          .map((a) => `${a.id} (${a.score})${a.displayValue ? ` ${a.displayValue}` : ''}`);
        if (lost.length) console.log(`  ${name} ${c}: ${lost.join(', ')}`);
        if (min !== null && scores[c] < min) failures.push(`${name} ${c}: ${Math.round(scores[c] * 100)} < ${Math.round(min * 100)}`);
      }
    }
  } finally {
    chrome.kill();
  }
  console.log('\npage       perf  a11y  best  seo   path');
  for (const [name, path, s] of rows) {
    const n = (x) => String(Math.round(x * 100)).padStart(4);
    console.log(`${name.padEnd(10)} ${n(s.performance)}  ${n(s.accessibility)}  ${n(s['best-practices'])}  ${n(s.seo)}   ${path}`);
  }
  console.log(`(reports in ${REPORTS})`);
  if (failures.length) {
    console.error(`\nbelow the gate:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
}

await main();
