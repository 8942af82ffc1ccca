import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { deriveKey, type Keyring, type MasterKey } from '../../../core/src/crypto/master-secret.ts'
import { AppError } from '../../../core/src/errors.ts'

/**
 * The encrypted file envelope shared by backups: a plaintext header line (magic + JSON: format,
 * key id, salt, creation time, release version) followed by AES-256-GCM chunks of at most 1 MiB:
 * `[u32 plaintext length][iv 12][tag 16][ciphertext]`. Each chunk's AAD binds the header digest,
 * its index and whether it is the last chunk, so reordering, splicing or truncation fail to open.
 * Memory stays flat: one chunk in flight.
 */
export const MAGIC = 'CLAWBACK-BACKUP'
export const CHUNK = 1 << 20

export type EnvelopeHeader = {
  format: 1
  keyId: string
  salt: string
  createdAt: string
  releaseVersion: string
  kind: string
}

const keyFor = (master: MasterKey, salt: string) => deriveKey(master, `backup:${salt}`)
const aadFor = (digest: Buffer, index: number, isFinal: boolean) => {
  const b = Buffer.alloc(41)
  digest.copy(b, 0)
  b.writeUInt32BE(Math.floor(index / 2 ** 32), 32)
  b.writeUInt32BE(index % 2 ** 32, 36)
  b[40] = isFinal ? 1 : 0
  return b
}

export const newHeader = (keyring: Keyring, releaseVersion: string, kind = 'backup'): EnvelopeHeader => ({
  format: 1,
  keyId: keyring.current.id,
  salt: randomBytes(16).toString('hex'),
  createdAt: new Date().toISOString(),
  releaseVersion,
  kind,
})

export const headerLine = (h: EnvelopeHeader) => Buffer.from(`${MAGIC} ${JSON.stringify(h)}\n`)

/** Parses the header from the first bytes of a file; returns it and its byte length. */
export const parseHeader = (head: Buffer): { header: EnvelopeHeader; length: number } => {
  const nl = head.indexOf(10)
  const line = nl > 0 ? head.subarray(0, nl).toString('utf8') : ''
  if (!line.startsWith(`${MAGIC} `)) throw new AppError('INVALID_REQUEST', 'not a Clawback backup file')
  let header: EnvelopeHeader
  try {
    header = JSON.parse(line.slice(MAGIC.length + 1))
  } catch {
    throw new AppError('INVALID_REQUEST', 'backup header is corrupt')
  }
  if (header.format !== 1)
    throw new AppError('INVALID_REQUEST', `backup format ${header.format} is not supported by this release`)
  return { header, length: nl + 1 }
}

const masterFor = (keyring: Keyring, header: EnvelopeHeader) => {
  const key = keyring.keys.get(header.keyId)
  if (!key) {
    throw new AppError(
      'FORBIDDEN',
      `backup is encrypted under master key ${header.keyId}, which this appliance does not hold: import that master secret first`,
    )
  }
  return key
}

/** Encrypts a plaintext stream into the envelope (header first). */
export class EncryptStream extends Transform {
  private buf: Buffer[] = []
  private size = 0
  private index = 0
  private readonly key: Buffer
  private readonly digest: Buffer
  private readonly header: Buffer

  constructor(keyring: Keyring, header: EnvelopeHeader) {
    super()
    this.header = headerLine(header)
    this.digest = createHash('sha256').update(this.header).digest()
    this.key = keyFor(masterFor(keyring, header), header.salt)
    this.push(this.header)
  }

  private seal(plain: Buffer, isFinal: boolean) {
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', this.key, iv)
    c.setAAD(aadFor(this.digest, this.index++, isFinal))
    const body = Buffer.concat([c.update(plain), c.final()])
    const len = Buffer.alloc(4)
    len.writeUInt32BE(plain.length)
    this.push(Buffer.concat([len, iv, c.getAuthTag(), body]))
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.buf.push(chunk)
    this.size += chunk.length
    // keep at least one byte buffered so that the final chunk is emitted (and flagged) in _flush
    while (this.size > CHUNK) {
      const all = Buffer.concat(this.buf)
      this.seal(all.subarray(0, CHUNK), false)
      const rest = all.subarray(CHUNK)
      this.buf = [rest]
      this.size = rest.length
    }
    done()
  }

  override _flush(done: TransformCallback) {
    this.seal(Buffer.concat(this.buf), true)
    done()
  }
}

/**
 * Decrypts an envelope stream. Fails (stream error, AppError) on a wrong key, tampered or
 * reordered chunk, data after the final chunk, or a truncated file.
 */
export class DecryptStream extends Transform {
  private pending: Buffer = Buffer.alloc(0)
  private index = 0
  private key: Buffer | undefined
  private digest: Buffer | undefined
  private isDone = false
  header: EnvelopeHeader | undefined
  private readonly keyring: Keyring

  constructor(keyring: Keyring) {
    super()
    this.keyring = keyring
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk
    try {
      if (!this.key) {
        const nl = this.pending.indexOf(10)
        if (nl < 0) {
          if (this.pending.length > 64 * 1024) throw new AppError('INVALID_REQUEST', 'not a Clawback backup file')
          return done()
        }
        const { header, length } = parseHeader(this.pending)
        this.header = header
        this.digest = createHash('sha256').update(this.pending.subarray(0, length)).digest()
        this.key = keyFor(masterFor(this.keyring, header), header.salt)
        this.pending = this.pending.subarray(length)
      }
      let off = 0
      while (this.pending.length - off >= 32) {
        const len = this.pending.readUInt32BE(off)
        if (len > CHUNK) throw new AppError('INVALID_REQUEST', 'backup file is corrupt (chunk length)')
        if (this.pending.length - off < 32 + len) break
        if (this.isDone) throw new AppError('INVALID_REQUEST', 'backup file has data after its final chunk')
        const iv = this.pending.subarray(off + 4, off + 16)
        const tag = this.pending.subarray(off + 16, off + 32)
        const body = this.pending.subarray(off + 32, off + 32 + len)
        const plain = this.open(iv, tag, body)
        this.push(plain)
        off += 32 + len
      }
      this.pending = Buffer.from(this.pending.subarray(off))
      done()
    } catch (err) {
      done(err as Error)
    }
  }

  private open(iv: Buffer, tag: Buffer, body: Buffer) {
    // try as a middle chunk first; the final chunk carries the final flag in its AAD
    for (const isFinal of [false, true]) {
      try {
        const d = createDecipheriv('aes-256-gcm', this.key!, iv)
        d.setAAD(aadFor(this.digest!, this.index, isFinal))
        d.setAuthTag(tag)
        const plain = Buffer.concat([d.update(body), d.final()])
        this.index++
        if (isFinal) this.isDone = true
        return plain
      } catch {
        // next
      }
    }
    throw new AppError(
      'INVALID_REQUEST',
      `backup file failed its integrity check at chunk ${this.index} (tampered, or a different master secret)`,
    )
  }

  override _flush(done: TransformCallback) {
    if (!this.key) return done(new AppError('INVALID_REQUEST', 'not a Clawback backup file'))
    if (this.pending.length || !this.isDone) return done(new AppError('INVALID_REQUEST', 'backup file is truncated'))
    done()
  }
}
