import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from '../src/cli/command.ts'
import { RELEASE_ROOT } from '../src/release.ts'
import { buildReleaseImg } from '../src/upgrade/build-release-img.ts'

/**
 * `npm run build:img -- --key signing.pem [--from DIR] [--ship-key next.pub] [--out FILE] [--version V] [--min-version V] [--notes FILE] [--no-node-modules]`
 * builds a signed upgrade image of this checkout (app, migrations, systemd units, node_modules).
 * `--version V` is written into the image's package.json too (one version: see build-release-img.ts).
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
    'usage: npm run build:img -- --key FILE [--from DIR] [--out FILE] [--version V] [--min-version V] [--notes FILE] [--no-node-modules]\n',
  )
  process.exit(2)
}
const privateKeyPem = readFileSync(options.key, 'utf8')
// --from DIR: a staged release tree (packer/stage-release.sh) instead of this checkout
const sourceDir = typeof options.from === 'string' ? path.resolve(options.from) : RELEASE_ROOT
const treeKey = path.join(sourceDir, 'appliance', 'keys', 'img-signing.pub')
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
const built = await buildReleaseImg({
  sourceDir,
  version: typeof options.version === 'string' ? options.version : undefined,
  minVersion: typeof options['min-version'] === 'string' ? options['min-version'] : undefined,
  notes: typeof options.notes === 'string' ? readFileSync(options.notes, 'utf8') : undefined,
  privateKeyPem,
  shipKeyPem: shipped,
  out: typeof options.out === 'string' ? options.out : undefined,
  withNodeModules: !options['no-node-modules'],
}).catch((err: Error) => {
  process.stderr.write(`build:img: ${err.message}\n`)
  process.exit(2)
})
const { manifest, file, version } = built
process.stdout.write(`${file}: ${manifest.files.length} files, version ${version}\n`)
process.stdout.write(
  `signed by key ${fingerprint(signingPub)}; ships key ${fingerprint(shipped)} for the next upgrade${fingerprint(shipped) === fingerprint(signingPub) ? '' : ' (a rotation: sign the next image with its private half)'}\n`,
)
