import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from '../src/cli/command.ts'
import { RELEASE_ROOT } from '../src/release.ts'
import { buildImg } from '../src/upgrade/img-format.ts'

/**
 * `npm run build:img -- --key signing.pem [--ship-key next.pub] [--out FILE] [--version V] [--min-version V] [--notes FILE] [--no-node-modules]`
 * builds a signed upgrade image of this checkout (app, migrations, systemd units, node_modules).
 * The image always ships the public key that will verify the NEXT upgrade
 * (appliance/keys/img-signing.pub): `--ship-key` (a key rotation), else the one in the tree, else
 * the public half of the signing key — an installed release without one could never be upgraded
 * again, and `upgrade verify` refuses such an image.
 * `npm run build:img -- --keygen DIR` writes a new Ed25519 key pair (img-signing.pem stays with
 * the release manager; img-signing.pub goes into appliance/keys/ of the release).
 * The signing key is an input, never committed.
 */
const { options } = parseArgs(process.argv.slice(2))
if (typeof options.keygen === 'string') {
  const k = generateKeyPairSync('ed25519')
  mkdirSync(options.keygen, { recursive: true })
  writeFileSync(path.join(options.keygen, 'img-signing.pem'), k.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
    flag: 'wx',
  })
  writeFileSync(path.join(options.keygen, 'img-signing.pub'), k.publicKey.export({ type: 'spki', format: 'pem' }))
  process.stdout.write(`wrote ${options.keygen}/img-signing.pem (keep it secret) and img-signing.pub\n`)
  process.exit(0)
}
if (typeof options.key !== 'string') {
  process.stderr.write(
    'usage: npm run build:img -- --key FILE [--out FILE] [--version V] [--min-version V] [--notes FILE] [--no-node-modules]\n',
  )
  process.exit(2)
}
const pkg = JSON.parse(readFileSync(path.join(RELEASE_ROOT, 'package.json'), 'utf8'))
const version = typeof options.version === 'string' ? options.version : pkg.version
const entries = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'core',
  'console',
  'appliance',
  'migrations',
  'systemd',
  'node_modules',
].filter((e) => existsSync(path.join(RELEASE_ROOT, e)) && !(e === 'node_modules' && options['no-node-modules']))
const out = typeof options.out === 'string' ? options.out : path.join(RELEASE_ROOT, 'dist', `clawback-${version}.img`)
const privateKeyPem = readFileSync(options.key, 'utf8')
const treeKey = path.join(RELEASE_ROOT, 'appliance', 'keys', 'img-signing.pub')
const shipped =
  typeof options['ship-key'] === 'string'
    ? readFileSync(options['ship-key'], 'utf8')
    : existsSync(treeKey)
      ? readFileSync(treeKey, 'utf8')
      : createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString()
const fingerprint = (pem: string) =>
  createHash('sha256')
    .update(createPublicKey(pem).export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16)
const signingPub = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString()
const { manifest } = await buildImg({
  sourceDir: RELEASE_ROOT,
  entries,
  version,
  minVersion: typeof options['min-version'] === 'string' ? options['min-version'] : '0.0.0',
  notes: typeof options.notes === 'string' ? readFileSync(options.notes, 'utf8') : `Clawback ${version}`,
  privateKeyPem,
  out,
  extra: { 'appliance/keys/img-signing.pub': Buffer.from(shipped) },
})
process.stdout.write(`${out}: ${manifest.files.length} files, version ${version}\n`)
process.stdout.write(
  `signed by key ${fingerprint(signingPub)}; ships key ${fingerprint(shipped)} for the next upgrade${fingerprint(shipped) === fingerprint(signingPub) ? '' : ' (a rotation: sign the next image with its private half)'}\n`,
)
