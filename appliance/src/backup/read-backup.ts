import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs'
import type { Keyring } from '../../../core/src/crypto/master-secret.ts'
import { AppError } from '../../../core/src/errors.ts'
import { ByteReader, collect, type EntryType, type ManifestEntry, readEntries } from './container.ts'
import type { BackupMeta } from './create-backup.ts'
import { DecryptStream, type EnvelopeHeader, parseHeader } from './encrypted-stream.ts'

export type EntryHandler = (
  info: { type: EntryType; name: string },
  frames: AsyncIterable<Buffer>,
  meta: BackupMeta,
) => Promise<void>

/** Reads only the plaintext header of a backup file (no key needed): for listings. */
export const readBackupHeader = (file: string): EnvelopeHeader => {
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(4096)
    const n = readSync(fd, buf, 0, buf.length, 0)
    return parseHeader(buf.subarray(0, n)).header
  } finally {
    closeSync(fd)
  }
}

/**
 * Decrypts and walks a whole backup, checking the envelope (key, every chunk, no truncation), that
 * meta comes first and the manifest last, and that every entry's SHA-256 and size match the
 * manifest. `onEntry` sees each entry's data as it streams (restore); without it this is `verify`.
 * The caller must treat any side effect of `onEntry` as provisional until this resolves.
 * @throws AppError INVALID_REQUEST on any corruption, FORBIDDEN when the master key is missing.
 */
export const readBackup = async (
  file: string,
  keyring: Keyring,
  onEntry?: EntryHandler,
  progress?: (percent: number) => void,
) => {
  const total = statSync(file).size
  let read = 0
  const source = createReadStream(file, { highWaterMark: 1 << 20 })
  source.on('data', (c) => {
    read += c.length
    progress?.((read / total) * 100)
  })
  const decrypt = new DecryptStream(keyring)
  source.on('error', (e) => decrypt.destroy(e))
  source.pipe(decrypt)
  const reader = new ByteReader(decrypt)
  let meta: BackupMeta | undefined
  let manifest: { entries: ManifestEntry[] } | undefined
  const seen: ManifestEntry[] = []
  for await (const { info, frames } of readEntries(reader)) {
    if (manifest) throw new AppError('INVALID_REQUEST', 'backup has entries after its manifest')
    if (!meta && info.type !== 'M') throw new AppError('INVALID_REQUEST', 'backup does not start with its metadata')
    if (info.type === 'M') {
      meta = JSON.parse((await collect(frames())).toString('utf8'))
    } else if (info.type === 'Z') {
      manifest = JSON.parse((await collect(frames())).toString('utf8'))
      continue
    } else if (onEntry) {
      await onEntry(info, frames(), meta!)
      for await (const _ of frames()) void _ // drain whatever the handler left
    } else {
      for await (const _ of frames()) void _
    }
    seen.push({ ...info })
  }
  if (!meta || !manifest) throw new AppError('INVALID_REQUEST', 'backup is incomplete (no manifest)')
  const expected = manifest.entries
  if (expected.length !== seen.length)
    throw new AppError(
      'INVALID_REQUEST',
      `backup manifest lists ${expected.length} entries, the file holds ${seen.length}`,
    )
  for (const [i, e] of expected.entries()) {
    const s = seen[i]!
    if (s.name !== e.name || s.type !== e.type || s.sha256 !== e.sha256 || s.bytes !== e.bytes) {
      throw new AppError('INVALID_REQUEST', `backup entry ${e.name} does not match its checksum`)
    }
  }
  return { header: decrypt.header!, meta, manifest, size: total }
}
