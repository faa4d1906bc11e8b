// Shared pieces of the browser tests: the running server, the browser, the CLI, archives.
//
// Environment (set by scripts/browser-test.sh):
//   TROVE_URL          base URL of the running `trove server`
//   TROVE_BIN          the `trove` binary (server and CLI)
//   TROVE_SCREENSHOTS  folder for the screenshots (default: target/screenshots)
//   CHROMIUM           the browser (default: /usr/bin/chromium)

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

export const BASE = (process.env.TROVE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const TROVE_BIN = process.env.TROVE_BIN || 'trove';
export const SCREENSHOTS = resolve(process.env.TROVE_SCREENSHOTS || 'target/screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

/** A unique suffix so reruns against the same server never collide. */
export const RUN = Date.now().toString(36) + Math.floor(Math.random() * 1e4).toString(36);

/**
 * Debian's Chromium, headless, with a fresh profile. Nothing is ever downloaded: the
 * browser is the system's (playwright-core ships no browser). `options` go to Playwright
 * (for instance `{ javaScriptEnabled: false }`).
 */
export async function launch(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'trove-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 860 },
    baseURL: BASE,
    ...options,
  });
  context.setDefaultTimeout(15_000);
  return context;
}

/** Saves a screenshot of the page as `<name>.png`. */
export async function shot(page, name, opts = {}) {
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: opts.fullPage ?? true });
  return path;
}

/** Runs the `trove` CLI; resolves with { code, stdout, stderr }. */
export function trove(args, { cwd, env = {}, onStdout, signal } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(TROVE_BIN, args, {
      cwd,
      env: { ...process.env, TROVE_REGISTRY_URL: BASE, TROVE_NO_PROGRESS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => (e.name === 'AbortError' ? null : reject(e)));
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** A folder with a trove.toml and a README.md, ready for `trove publish`. */
export function packageDir({ name, version = '1.0.0', description, readme, keywords = [], categories = [], dependencies = {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'trove-pkg-'));
  const list = (xs) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  writeFileSync(
    join(dir, 'trove.toml'),
    `[package]
name = ${JSON.stringify(name)}
version = ${JSON.stringify(version)}
kind = "library"
description = ${JSON.stringify(description)}
license = "MIT OR Apache-2.0"
keywords = ${list(keywords)}
categories = ${list(categories)}
readme = "README.md"

[dependencies]
${Object.entries(dependencies)
  .map(([k, v]) => `${JSON.stringify(k)} = ${JSON.stringify(v)}`)
  .join('\n')}
`,
  );
  writeFileSync(join(dir, 'README.md'), readme);
  writeFileSync(join(dir, 'lib.txt'), `${name} ${version}\n`);
  return dir;
}

/** A .tar.gz holding `files` ({ path: contents }), built here (ustar). */
export function tarGz(files) {
  const blocks = [];
  for (const [path, contents] of Object.entries(files)) {
    const data = Buffer.from(contents);
    const h = Buffer.alloc(512);
    h.write(path, 0, 100, 'utf8');
    h.write('0000644\0', 100, 'ascii');
    h.write('0000000\0', 108, 'ascii');
    h.write('0000000\0', 116, 'ascii');
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
    h.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, '0') + '\0', 136, 'ascii');
    h.write('        ', 148, 'ascii');
    h.write('0', 156, 'ascii');
    h.write('ustar\0' + '00', 257, 'ascii');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** Polls `check` until it returns a truthy value. */
export async function eventually(check, { timeout = 10_000, every = 200 } = {}) {
  const until = Date.now() + timeout;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, every));
  }
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/**
 * Pushes a small image to `repo` over the OCI API as a client would: a config with a source
 * label, two layers, description and licence annotations, tagged with each of `tags`, and a
 * cosign-style signature that refers to it. Throws on any answer but 201.
 */
export async function pushSampleImage({ repo, auth, tags = ['v1'], description, labels = {} }) {
  const { createHash } = await import('node:crypto');
  const digestOf = (bytes) => 'sha256:' + createHash('sha256').update(bytes).digest('hex');
  const send = async (method, path, body, contentType) => {
    const r = await fetch(`${BASE}${path}`, { method, headers: { authorization: auth, 'content-type': contentType }, body });
    if (r.status !== 201) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  };
  const blob = async (bytes) => {
    const digest = digestOf(bytes);
    await send('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, bytes, 'application/octet-stream');
    return digest;
  };
  const put = (ref, body) => send('PUT', `/v2/${repo}/manifests/${ref}`, body, OCI_MANIFEST);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2026-01-02T03:04:05Z',
      config: { Labels: { 'org.opencontainers.image.source': `https://example.com/${repo.split('/').pop()}`, ...labels } },
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  );
  const layers = [Buffer.alloc(40_000, 1), Buffer.alloc(12_000, 2)];
  const image = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await blob(config), size: config.length },
      layers: await Promise.all(
        layers.map(async (l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await blob(l), size: l.length })),
      ),
      annotations: { 'org.opencontainers.image.description': description, 'org.opencontainers.image.licenses': 'MIT' },
    }),
  );
  for (const tag of tags) await put(tag, image);
  const sig = Buffer.from('a signature');
  const referrer = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: await blob(Buffer.from('{}')), size: 2 },
      layers: [{ mediaType: 'application/octet-stream', digest: await blob(sig), size: sig.length }],
      subject: { mediaType: OCI_MANIFEST, digest: digestOf(image), size: image.length },
    }),
  );
  await put(digestOf(referrer), referrer);
}
