import { randomBytes } from 'node:crypto'
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Keyring } from '../../../core/src/crypto/master-secret.ts'
import type { Db } from '../../../core/src/db/client.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { opsPaths } from '../ops/paths.ts'
import type { Progress } from '../ops/progress.ts'
import { releaseVersion } from '../release.ts'
import { ContainerWriter } from './container.ts'
import { EncryptStream, newHeader } from './encrypted-stream.ts'
import { columnList, listTables, qualified, unpauseConnection } from './tables.ts'

export type BackupTrigger = 'manual' | 'scheduled' | 'pre-upgrade'
export type BackupMeta = {
  releaseVersion: string
  createdAt: string
  serverVersion: string
  migrations: { name: string; sha256: string }[]
  tables: { schema: string; name: string; columns: string[]; rows: number }[]
  blobs: number
  trigger: BackupTrigger
}

export type CreateBackupInput = {
  db: Db
  keyring: Keyring
  dataDir: string
  actor: Actor
  trigger?: BackupTrigger
  /** the configuration file to carry (CLAWBACK_CONFIG or /etc/clawback/clawback.conf) */
  configFile?: string
  progress?: Progress
  /** cancels the backup (a job's abort signal): the partial file is removed, the snapshot ended */
  signal?: AbortSignal
  /** abandon the backup when it writes nothing for this long (default 10 minutes) */
  stallMs?: number
}

/** How long a backup may write nothing before it is abandoned (a second line of defence). */
export const BACKUP_STALL_MS = 10 * 60 * 1000

/**
 * Aborts when `signal` aborts or when `written()` has not grown for `stallMs`; `aborted` rejects
 * with the reason (an UNAVAILABLE AppError naming the step), `dispose` stops watching.
 */
const abandonWhen = (signal: AbortSignal | undefined, stallMs: number, written: () => number, step: () => string) => {
  const ac = new AbortController()
  const abort = (message: string) => ac.abort(new AppError('UNAVAILABLE', message))
  const onCancel = () => abort(`backup cancelled at ${step()}`)
  if (signal?.aborted) onCancel()
  signal?.addEventListener('abort', onCancel, { once: true })
  let last = written()
  let since = Date.now()
  const timer = setInterval(
    () => {
      const now = written()
      if (now !== last) [last, since] = [now, Date.now()]
      else if (Date.now() - since >= stallMs && !ac.signal.aborted)
        abort(`backup stalled: nothing written for ${Math.round(stallMs / 1000)} s at ${step()}`)
    },
    Math.max(50, Math.min(5000, stallMs / 4)),
  )
  timer.unref()
  const aborted = new Promise<never>((_, reject) =>
    ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true }),
  )
  aborted.catch(() => {})
  return {
    signal: ac.signal,
    aborted,
    dispose: () => {
      clearInterval(timer)
      signal?.removeEventListener('abort', onCancel)
    },
  }
}

const walk = (dir: string, base = dir): string[] => {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) return walk(full, base)
    return e.isFile() ? [path.relative(base, full)] : []
  })
}

/**
 * Takes a consistent backup: one REPEATABLE READ READ ONLY snapshot, `COPY ... TO STDOUT (FORMAT
 * binary)` of every application table and pg-boss's job tables (parents first), the applied
 * migration list, every blob under `<data>/blobs`, the configuration file and TLS material — never
 * the master secret — encrypted under a key derived from the current master key, streamed in 1 MiB
 * chunks, into `<data>/backups/<name>.cbk` (written as .partial, renamed when complete). Audited.
 * A failed, cancelled (`signal`) or stalled (nothing written for `stallMs`) backup removes its
 * partial file and ends its snapshot transaction (a statement still waiting is cancelled).
 * @throws AppError FORBIDDEN without system.manage; UNAVAILABLE when cancelled or stalled.
 */
export const createBackup = async (input: CreateBackupInput) => {
  assertCan(input.actor, 'system.manage')
  const { db, keyring, dataDir } = input
  const progress = input.progress ?? (() => {})
  const paths = opsPaths(dataDir)
  mkdirSync(paths.backups, { recursive: true, mode: 0o700 })
  const version = releaseVersion()
  const trigger = input.trigger ?? 'manual'
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')
  const name = `clawback-${stamp}-${randomBytes(2).toString('hex')}-${version}-${trigger}.cbk`
  const final = path.join(paths.backups, name)
  const partial = `${final}.partial`

  const plain = new PassThrough({ highWaterMark: 1 << 20 })
  const header = { ...newHeader(keyring, version, trigger) }
  const written = pipeline(plain, new EncryptStream(keyring, header), createWriteStream(partial, { mode: 0o600 }))
  const w = new ContainerWriter(plain)
  const blobs = walk(paths.blobs)
  const started = performance.now()
  let meta: BackupMeta | undefined
  let step = 'starting'
  const stop = abandonWhen(
    input.signal,
    input.stallMs ?? BACKUP_STALL_MS,
    () => w.bytes,
    () => step,
  )
  const report: Progress = (s, p) => {
    step = s
    progress(s, Math.min(95, p))
  }
  let backendPid: number | undefined
  stop.signal.addEventListener('abort', () => {
    // A statement that waits (on a lock, say) is cancelled, so the transaction fails and rolls
    // back on its own connection (terminating the backend instead races postgres.js's ROLLBACK).
    if (backendPid) db.$client`SELECT pg_cancel_backend(${backendPid})`.catch(() => {})
    plain.destroy(stop.signal.reason as Error)
  })
  try {
    const work = db.$client.begin('isolation level repeatable read read only', async (tx) => {
      backendPid = ((await tx`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }])[0].pid
      const tables = await listTables(tx)
      const [{ total }] = (await tx<
        { total: string }[]
      >`SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS total FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public','pgboss') AND c.relkind = 'r'`) as unknown as [
        { total: string },
      ]
      const blobBytes = blobs.reduce((s, b) => s + statSync(path.join(paths.blobs, b)).size, 0)
      const estimate = Math.max(1, Number(total) * 0.6 + blobBytes)
      const [{ server_version }] = (await tx.unsafe('SHOW server_version')) as unknown as [{ server_version: string }]
      const migrations = await tx<
        { name: string; sha256: string }[]
      >`SELECT name, sha256 FROM schema_migrations ORDER BY name`
      const counted = []
      for (const t of tables) {
        const [{ n }] = (await tx.unsafe(`SELECT count(*)::text AS n FROM ${qualified(t)}`)) as unknown as [
          { n: string },
        ]
        counted.push({ ...t, rows: Number(n) })
      }
      meta = {
        releaseVersion: version,
        createdAt: header.createdAt,
        serverVersion: server_version,
        migrations: [...migrations],
        tables: counted,
        blobs: blobs.length,
        trigger,
      }
      await w.entry('M', 'meta.json', Buffer.from(JSON.stringify(meta)))
      for (const t of counted) {
        report(`table ${t.schema}.${t.name}`, (w.bytes / estimate) * 95)
        await w.begin('T', `${t.schema}.${t.name}`)
        const stream = await tx
          .unsafe(`COPY (SELECT ${columnList(t)} FROM ${qualified(t)}) TO STDOUT (FORMAT binary)`)
          .readable()
        try {
          for await (const chunk of stream) {
            await w.data(chunk as Buffer)
            report(`table ${t.schema}.${t.name}`, (w.bytes / estimate) * 95)
          }
        } finally {
          unpauseConnection(stream)
        }
        await w.end()
      }
      for (const b of blobs) {
        report(`blob ${b}`, (w.bytes / estimate) * 95)
        await w.begin('B', b)
        for await (const chunk of createReadStream(path.join(paths.blobs, b), { highWaterMark: 1 << 20 }))
          await w.data(chunk as Buffer)
        await w.end()
      }
    })
    work.catch(() => {}) // when abandoned, its late failure is expected
    await Promise.race([work, stop.aborted])
    const configFile = input.configFile ?? process.env.CLAWBACK_CONFIG ?? '/etc/clawback/clawback.conf'
    if (existsSync(configFile) && statSync(configFile).isFile())
      await w.entry('C', 'clawback.conf', readFileSync(configFile))
    for (const f of walk(paths.tls)) await w.entry('C', `tls/${f}`, readFileSync(path.join(paths.tls, f)))
    await w.entry('Z', 'manifest.json', Buffer.from(JSON.stringify({ entries: w.entries })))
    plain.end()
    await written
    renameSync(partial, final)
  } catch (err) {
    plain.destroy()
    await written.catch(() => {})
    rmSync(partial, { force: true })
    throw stop.signal.aborted ? stop.signal.reason : err
  } finally {
    stop.dispose()
  }
  const size = statSync(final).size
  const ms = Math.round(performance.now() - started)
  await db.transaction((tx) =>
    appendAudit(tx, input.actor, {
      action: 'backup.create',
      objectType: 'backup',
      objectId: name,
      after: { size, trigger, version, tables: meta!.tables.length, blobs: blobs.length, ms },
    }),
  )
  progress('done', 100)
  return { name, file: final, size, ms, meta: meta! }
}
