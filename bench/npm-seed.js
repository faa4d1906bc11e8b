#!/usr/bin/env node
// Publishes a synthetic package graph to an npm registry, the way `npm publish` does (one
// PUT per version: the version document with its shasum and integrity, the tarball in
// base64), for bench/npm.sh. Node's standard library only.
//
//   node bench/npm-seed.js <registry url> <token> <count> [scope]
//
// Packages are `@<scope>/p000` … (version 1.0.0), a binary tree: p<i> depends on p<2i+1> and
// p<2i+2> by `^1.0.0`, so installing p000 installs all of them.
'use strict'
const crypto = require('node:crypto')
const zlib = require('node:zlib')

const [registry, token, countArg, scopeArg] = process.argv.slice(2)
if (!registry || !token || !countArg) {
  console.error('usage: node bench/npm-seed.js <registry url> <token> <count> [scope]')
  process.exit(2)
}
const count = Number(countArg)
const scope = scopeArg || 'bench'
const base = registry.replace(/\/+$/, '')
const width = String(count - 1).length < 3 ? 3 : String(count - 1).length
const nameOf = (i) => `@${scope}/p${String(i).padStart(width, '0')}`

// A ustar header + contents, padded to 512 bytes.
function entry (path, data) {
  const h = Buffer.alloc(512)
  h.write(path, 0, 100)
  h.write('0000644\0', 100)
  h.write('0000000\0', 108)
  h.write('0000000\0', 116)
  h.write(data.length.toString(8).padStart(11, '0') + '\0', 124)
  h.write('00000000000\0', 136)
  h.write('        ', 148)
  h.write('0', 156)
  h.write('ustar\0' + '00', 257)
  let sum = 0
  for (const b of h) sum += b
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148)
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512)
  return Buffer.concat([h, data, pad])
}

function tarball (files) {
  const parts = files.map(([p, d]) => entry(`package/${p}`, Buffer.from(d)))
  return zlib.gzipSync(Buffer.concat([...parts, Buffer.alloc(1024)]))
}

function body (i) {
  const name = nameOf(i)
  const version = '1.0.0'
  const dependencies = {}
  for (const c of [2 * i + 1, 2 * i + 2]) {
    if (c < count) dependencies[nameOf(c)] = '^1.0.0'
  }
  const pj = {
    name,
    version,
    description: `synthetic package ${i} of ${count}`,
    main: 'index.js',
    license: 'MIT',
    keywords: ['bench', `level-${Math.floor(Math.log2(i + 1))}`],
    dependencies,
  }
  const requires = Object.keys(dependencies).map((d) => `require('${d}')`).join(', ')
  const tgz = tarball([
    ['package.json', JSON.stringify(pj, null, 2)],
    ['index.js', `module.exports = ['${name}', ${requires}]\n// ${'x'.repeat(1500)}\n`],
    ['README.md', `# ${name}\n\nA package of the npm benchmark.\n`],
  ])
  const file = `${name}-${version}.tgz`
  const doc = {
    ...pj,
    _id: `${name}@${version}`,
    dist: {
      shasum: crypto.createHash('sha1').update(tgz).digest('hex'),
      integrity: 'sha512-' + crypto.createHash('sha512').update(tgz).digest('base64'),
      tarball: `${base}/${name}/-/${name.split('/')[1]}-${version}.tgz`,
    },
  }
  return {
    name,
    json: {
      _id: name,
      name,
      description: pj.description,
      'dist-tags': { latest: version },
      versions: { [version]: doc },
      access: null,
      _attachments: { [file]: { content_type: 'application/octet-stream', data: tgz.toString('base64'), length: tgz.length } },
    },
  }
}

async function publish (i) {
  const { name, json } = body(i)
  const res = await fetch(`${base}/${name.replace('/', '%2f')}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(json),
  })
  if (!res.ok) {
    throw new Error(`PUT ${name}: ${res.status} ${await res.text()}`)
  }
}

async function main () {
  let next = 0
  const workers = Array.from({ length: 8 }, async () => {
    while (next < count) {
      await publish(next++)
    }
  })
  await Promise.all(workers)
  console.log(`published ${count} packages to ${base}`)
}

main().catch((e) => {
  console.error(e.message)
  process.exit(1)
})
