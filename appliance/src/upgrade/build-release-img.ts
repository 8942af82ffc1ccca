import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { AppError } from '../../../core/src/errors.ts'
import { buildImg, VERSION_RE } from './img-format.ts'

/** What a release image carries from the tree (node_modules unless `withNodeModules` is false). */
const RELEASE_ENTRIES = [
  'package.json',
  // the bundled Node.js runtime of an appliance release (packer/stage-release.sh puts it there)
  'bin',
  'package-lock.json',
  'tsconfig.json',
  'core',
  'console',
  'appliance',
  'migrations',
  'systemd',
  'node_modules',
]

/**
 * Builds the signed IMG of a release tree (`npm run build:img`). The version is ONE value: the
 * given one (default: the tree's package.json) is written into the manifest AND into the image's
 * package.json, which is what the installed release reports (releaseVersion(), the health check,
 * the next upgrade's version order). So `--version V` works without editing package.json.
 * `shipKeyPem` is the public key the image ships for the next upgrade (appliance/keys/img-signing.pub).
 */
export const buildReleaseImg = async (input: {
  sourceDir: string
  version?: string
  minVersion?: string
  notes?: string
  privateKeyPem: string
  shipKeyPem: string
  out?: string
  withNodeModules?: boolean
}) => {
  const pkg = JSON.parse(readFileSync(path.join(input.sourceDir, 'package.json'), 'utf8'))
  const version = input.version ?? pkg.version
  if (typeof version !== 'string' || !VERSION_RE.test(version))
    throw new AppError('INVALID_REQUEST', 'version must be digits and dots with an optional -suffix (e.g. 1.4.0)')
  const minVersion = input.minVersion ?? '0.0.0'
  if (!VERSION_RE.test(minVersion))
    throw new AppError('INVALID_REQUEST', 'min-version must be digits and dots with an optional -suffix')
  const entries = RELEASE_ENTRIES.filter(
    (e) => existsSync(path.join(input.sourceDir, e)) && !(e === 'node_modules' && input.withNodeModules === false),
  )
  const out = input.out ?? path.join(input.sourceDir, 'dist', `clawback-${version}.img`)
  const packageJson = Buffer.from(`${JSON.stringify({ ...pkg, version }, null, 2)}\n`)
  const { manifest } = await buildImg({
    sourceDir: input.sourceDir,
    entries,
    version,
    minVersion,
    notes: input.notes ?? `Clawback ${version}`,
    privateKeyPem: input.privateKeyPem,
    out,
    extra: { 'package.json': packageJson, 'appliance/keys/img-signing.pub': Buffer.from(input.shipKeyPem) },
  })
  return { manifest, file: out, version }
}
