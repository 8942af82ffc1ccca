import { createHash, createPublicKey, sign, verify } from 'node:crypto'
import {
  closeSync,
  createWriteStream,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { AppError } from '../../../core/src/errors.ts'

/**
 * The IMG upgrade file:
 *   `CLAWBACK-IMG 1\n` · u32 manifest length · manifest JSON · u32 signature length · Ed25519
 *   signature over the manifest bytes · payload (every file's bytes, in manifest order).
 * The manifest carries the version, the minimum version it upgrades from, release notes, and each
 * file's path, size, mode and SHA-256; so the signature covers every byte of the payload.
 */
export const IMG_MAGIC = Buffer.from('CLAWBACK-IMG 1\n')
export type ImgFile = { path: string; size: number; mode: number; sha256: string }
export type ImgManifest = {
  format: 1
  version: string
  minVersion: string
  notes: string
  createdAt: string
  files: ImgFile[]
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

const listFiles = (root: string, rel: string): string[] => {
  const full = path.join(root, rel)
  const st = statSync(full)
  if (st.isFile()) return [rel]
  if (!st.isDirectory()) return []
  return readdirSync(full)
    .sort()
    .flatMap((n) => listFiles(root, path.join(rel, n)))
}

const hashFile = (file: string) => {
  const fd = openSync(file, 'r')
  const h = createHash('sha256')
  const buf = Buffer.allocUnsafe(1 << 20)
  try {
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null))
      h.update(buf.subarray(0, n))
  } finally {
    closeSync(fd)
  }
  return h.digest('hex')
}

/** Builds and signs an IMG from `sourceDir`'s listed entries (files or folders). The key is an Ed25519 private key (PEM). */
export const buildImg = async (input: {
  sourceDir: string
  entries: string[]
  version: string
  minVersion: string
  notes: string
  privateKeyPem: string
  out: string
  /** files added to (or replacing) those of the tree: release path -> content */
  extra?: Record<string, Buffer>
}) => {
  const extra = input.extra ?? {}
  const rels = input.entries
    .flatMap((e) => listFiles(input.sourceDir, e))
    .filter((rel) => !(rel.split(path.sep).join('/') in extra))
  const files: ImgFile[] = [
    ...rels.map((rel) => {
      const full = path.join(input.sourceDir, rel)
      const st = statSync(full)
      return { path: rel.split(path.sep).join('/'), size: st.size, mode: st.mode & 0o777, sha256: hashFile(full) }
    }),
    ...Object.entries(extra).map(([p, content]) => ({
      path: p,
      size: content.length,
      mode: 0o644,
      sha256: createHash('sha256').update(content).digest('hex'),
    })),
  ]
  const manifest: ImgManifest = {
    format: 1,
    version: input.version,
    minVersion: input.minVersion,
    notes: input.notes,
    createdAt: new Date().toISOString(),
    files,
  }
  const body = Buffer.from(JSON.stringify(manifest))
  const signature = sign(null, body, input.privateKeyPem)
  mkdirSync(path.dirname(input.out), { recursive: true })
  const out = createWriteStream(input.out, { mode: 0o644 })
  out.write(Buffer.concat([IMG_MAGIC, u32(body.length), body, u32(signature.length), signature]))
  const buf = Buffer.allocUnsafe(1 << 20)
  for (const f of files) {
    const added = extra[f.path]
    if (added) {
      if (!out.write(added)) await new Promise<void>((r) => out.once('drain', () => r()))
      continue
    }
    const fd = openSync(path.join(input.sourceDir, f.path), 'r')
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) {
      if (!out.write(Buffer.from(buf.subarray(0, n)))) await new Promise<void>((r) => out.once('drain', () => r()))
    }
    closeSync(fd)
  }
  out.end()
  await finished(out)
  return { manifest, file: input.out }
}

/**
 * A release version: dotted numbers with an optional `-suffix`. It names the release folder
 * (`releases/<version>`), so nothing else is accepted.
 */
export const VERSION_RE = /^\d{1,9}(\.\d{1,9}){0,3}(-[0-9A-Za-z.]{1,40})?$/

/** The `version` of the image's package.json (the running release reports that one), if any. */
const packageVersionOf = (json: Buffer | undefined): string | undefined => {
  if (!json) return undefined
  try {
    const v = JSON.parse(json.toString('utf8')).version
    return typeof v === 'string' ? v : undefined
  } catch {
    return undefined
  }
}

const readExact = (fd: number, pos: number, n: number) => {
  const b = Buffer.alloc(n)
  const got = readSync(fd, b, 0, n, pos)
  if (got !== n) throw new AppError('INVALID_REQUEST', 'upgrade image is truncated')
  return b
}

const safeRel = (p: string) => {
  const norm = path.posix.normalize(p)
  if (norm.startsWith('../') || norm === '..' || path.posix.isAbsolute(norm) || norm.includes('\0'))
    throw new AppError('INVALID_REQUEST', `upgrade image holds an unsafe path: ${p}`)
  return norm
}

/**
 * Checks an IMG completely without changing anything: magic, Ed25519 signature over the manifest
 * against `publicKeyPem`, every file's size and SHA-256, nothing after the last file. With `destDir`
 * it also writes the files there (each checked before the caller trusts it).
 * @throws AppError INVALID_REQUEST naming what is wrong (unsigned, wrong key, tampered file...)
 */
export const readImg = (file: string, publicKeyPem: string, destDir?: string) => {
  const fd = openSync(file, 'r')
  try {
    const size = fstatSync(fd).size
    if (size < IMG_MAGIC.length + 8 || !readExact(fd, 0, IMG_MAGIC.length).equals(IMG_MAGIC))
      throw new AppError('INVALID_REQUEST', 'not a Clawback upgrade image')
    let pos = IMG_MAGIC.length
    const mlen = readExact(fd, pos, 4).readUInt32BE()
    if (mlen > 64 * 1024 * 1024) throw new AppError('INVALID_REQUEST', 'upgrade image manifest is too large')
    const body = readExact(fd, pos + 4, mlen)
    pos += 4 + mlen
    const slen = readExact(fd, pos, 4).readUInt32BE()
    if (slen === 0) throw new AppError('INVALID_REQUEST', 'upgrade image is not signed')
    if (slen > 1024) throw new AppError('INVALID_REQUEST', 'upgrade image signature is malformed')
    const signature = readExact(fd, pos + 4, slen)
    pos += 4 + slen
    let isValid = false
    try {
      isValid = verify(null, body, createPublicKey(publicKeyPem), signature)
    } catch {
      isValid = false
    }
    if (!isValid)
      throw new AppError(
        'INVALID_REQUEST',
        'upgrade image signature is not valid for this appliance (wrong key, or the manifest was altered)',
      )
    const manifest = JSON.parse(body.toString('utf8')) as ImgManifest
    if (manifest.format !== 1)
      throw new AppError('INVALID_REQUEST', `upgrade image format ${manifest.format} is not supported`)
    const payload = manifest.files.reduce((s, f) => s + f.size, 0)
    if (size !== pos + payload)
      throw new AppError('INVALID_REQUEST', 'upgrade image payload does not match its manifest (truncated or extended)')
    if (typeof manifest.version !== 'string' || !VERSION_RE.test(manifest.version))
      throw new AppError('INVALID_REQUEST', 'upgrade image version is not a release version (digits and dots)')
    const buf = Buffer.allocUnsafe(1 << 20)
    let packageJson: Buffer | undefined
    for (const f of manifest.files) {
      const rel = safeRel(f.path)
      const isPackageJson = rel === 'package.json' && f.size <= 1024 * 1024
      const kept: Buffer[] = []
      const h = createHash('sha256')
      let out: number | undefined
      if (destDir) {
        const target = path.join(destDir, rel)
        mkdirSync(path.dirname(target), { recursive: true })
        out = openSync(target, 'w', f.mode & 0o755)
      }
      let left = f.size
      while (left > 0) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, left), pos)
        if (n <= 0) throw new AppError('INVALID_REQUEST', 'upgrade image is truncated')
        h.update(buf.subarray(0, n))
        if (isPackageJson) kept.push(Buffer.from(buf.subarray(0, n)))
        if (out !== undefined) writeSync(out, buf, 0, n)
        pos += n
        left -= n
      }
      if (out !== undefined) closeSync(out)
      if (h.digest('hex') !== f.sha256)
        throw new AppError('INVALID_REQUEST', `upgrade image file ${f.path} was altered (checksum mismatch)`)
      if (isPackageJson) packageJson = Buffer.concat(kept)
    }
    return { manifest, payloadBytes: payload, packageVersion: packageVersionOf(packageJson) }
  } finally {
    closeSync(fd)
  }
}
