import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** Path of a blob in the data directory: `<dataDir>/blobs/<first 2 hex>/<sha256>`. */
export const blobPath = (dataDir: string, sha256: string) => {
  if (!/^[a-f0-9]{64}$/.test(sha256)) throw new Error('not a sha256')
  return path.join(dataDir, 'blobs', sha256.slice(0, 2), sha256)
}

/**
 * Stores bytes by content hash (write to a temp file, fsync-free rename into place; an existing
 * blob with the same hash is kept). Returns the hash and size.
 */
export const putBlob = (dataDir: string, bytes: Uint8Array) => {
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  const file = blobPath(dataDir, sha256)
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
    // flush: fsync'd before the rename, so the row naming it never outlives its content in a power cut
    writeFileSync(tmp, bytes, { mode: 0o600, flush: true })
    renameSync(tmp, file)
  }
  return { sha256, size: bytes.byteLength }
}

/** A read stream and size for a stored blob, or undefined when it is missing. */
export const openBlob = (dataDir: string, sha256: string) => {
  const file = blobPath(dataDir, sha256)
  if (!existsSync(file)) return undefined
  return { size: statSync(file).size, stream: () => createReadStream(file) }
}
