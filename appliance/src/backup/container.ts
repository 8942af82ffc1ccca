import { createHash, type Hash } from 'node:crypto'
import type { Writable } from 'node:stream'
import { AppError } from '../../../core/src/errors.ts'

/**
 * The plaintext inside a backup envelope: a sequence of entries, each
 * `[type u8][name length u32][name][data frames: u32 length + bytes ...][u32 0]`, so entries of
 * unknown size (a table's COPY stream) are written as they are produced. Types: M meta (first),
 * T table data, B blob, C configuration file, Z manifest (last, the SHA-256 of every entry).
 */
export type EntryType = 'M' | 'T' | 'B' | 'C' | 'Z'
export type ManifestEntry = { type: EntryType; name: string; bytes: number; sha256: string }

const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

/** Writes entries into a stream, honouring backpressure, and records each entry's checksum. */
export class ContainerWriter {
  readonly entries: ManifestEntry[] = []
  private readonly out: Writable
  private hash: Hash | undefined
  private current: ManifestEntry | undefined
  bytes = 0

  constructor(out: Writable) {
    this.out = out
  }

  private async write(buf: Buffer) {
    this.bytes += buf.length
    if (!this.out.write(buf)) {
      await new Promise<void>((resolve, reject) => {
        const onErr = (e: Error) => reject(e)
        this.out.once('error', onErr)
        this.out.once('drain', () => {
          this.out.off('error', onErr)
          resolve()
        })
      })
    }
  }

  async begin(type: EntryType, name: string) {
    const n = Buffer.from(name, 'utf8')
    await this.write(Buffer.concat([Buffer.from(type, 'ascii'), u32(n.length), n]))
    this.hash = createHash('sha256')
    this.current = { type, name, bytes: 0, sha256: '' }
  }

  async data(chunk: Buffer) {
    if (!chunk.length) return
    this.hash!.update(chunk)
    this.current!.bytes += chunk.length
    await this.write(Buffer.concat([u32(chunk.length), chunk]))
  }

  async end() {
    await this.write(u32(0))
    this.current!.sha256 = this.hash!.digest('hex')
    this.entries.push(this.current!)
    const done = this.current!
    this.current = undefined
    return done
  }

  async entry(type: EntryType, name: string, body: Buffer) {
    await this.begin(type, name)
    for (let off = 0; off < body.length; off += 1 << 20) await this.data(body.subarray(off, off + (1 << 20)))
    return this.end()
  }
}

/** Reads exact byte counts from an async iterable of buffers without quadratic copying. */
export class ByteReader {
  private chunks: Buffer[] = []
  private size = 0
  private readonly it: AsyncIterator<Buffer>
  private isEnded = false

  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]()
  }

  private async fill(n: number) {
    while (this.size < n && !this.isEnded) {
      const r = await this.it.next()
      if (r.done) this.isEnded = true
      else {
        this.chunks.push(r.value)
        this.size += r.value.length
      }
    }
  }

  /** Exactly n bytes; undefined at a clean end of input when `eofOk`; throws on a short read. */
  async read(n: number, eofOk = false): Promise<Buffer | undefined> {
    await this.fill(n)
    if (this.size === 0 && eofOk) return undefined
    if (this.size < n) throw new AppError('INVALID_REQUEST', 'backup content is truncated')
    const out = Buffer.allocUnsafe(n)
    let off = 0
    while (off < n) {
      const c = this.chunks[0]!
      const take = Math.min(c.length, n - off)
      c.copy(out, off, 0, take)
      off += take
      if (take === c.length) this.chunks.shift()
      else this.chunks[0] = c.subarray(take)
    }
    this.size -= n
    return out
  }
}

/** Iterates entries; `frames()` yields the entry's data and must be drained before the next entry. */
export async function* readEntries(reader: ByteReader) {
  while (true) {
    const t = await reader.read(1, true)
    if (!t) return
    const type = t.toString('ascii') as EntryType
    if (!'MTBCZ'.includes(type)) throw new AppError('INVALID_REQUEST', 'backup content is corrupt (entry type)')
    const nameLen = (await reader.read(4))!.readUInt32BE()
    if (nameLen > 4096) throw new AppError('INVALID_REQUEST', 'backup content is corrupt (name length)')
    const name = (await reader.read(nameLen))!.toString('utf8')
    const hash = createHash('sha256')
    const info = { type, name, bytes: 0, sha256: '' }
    let isDrained = false
    async function* frames() {
      if (isDrained) return
      while (true) {
        const len = (await reader.read(4))!.readUInt32BE()
        if (len === 0) break
        const data = (await reader.read(len))!
        hash.update(data)
        info.bytes += len
        yield data
      }
      info.sha256 = hash.digest('hex')
      isDrained = true
    }
    yield { info, frames }
    if (!isDrained) for await (const _ of frames()) void _
  }
}

export const collect = async (frames: AsyncIterable<Buffer>) => {
  const parts: Buffer[] = []
  for await (const f of frames) parts.push(f)
  return Buffer.concat(parts)
}
