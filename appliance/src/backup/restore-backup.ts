import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { PgBoss } from 'pg-boss'
import type { Keyring } from '../../../core/src/crypto/master-secret.ts'
import { closeDb, openDb, pgClient } from '../../../core/src/db/client.ts'
import { MIGRATIONS_DIR, migrate, readMigrations } from '../../../core/src/db/migrate.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import { BOSS_SCHEMA } from '../../../core/src/jobs/boss.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { opsPaths } from '../ops/paths.ts'
import type { Progress } from '../ops/progress.ts'
import { readBackup } from './read-backup.ts'
import { columnList, qualified, REBUILD_DERIVED } from './tables.ts'

export type RestoreInput = {
  file: string
  keyring: Keyring
  dataDir: string
  /** the database URL the runtime uses; its database is replaced only once the restore is complete */
  databaseUrl: string
  actor: Actor
  progress?: Progress
  migrationsDir?: string
  /** test hook: fail after loading, before the switch (proves a failed restore leaves data intact) */
  failBeforeSwitch?: boolean
}

const dbNameOf = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1))
const withDb = (url: string, name: string) => {
  const u = new URL(url)
  u.pathname = `/${encodeURIComponent(name)}`
  return u.toString()
}
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`

/** Blob names come from the file: refuse anything that would leave the blobs folder. */
const safeJoin = (root: string, name: string) => {
  const full = path.resolve(root, name)
  if (!full.startsWith(`${path.resolve(root)}${path.sep}`))
    throw new AppError('INVALID_REQUEST', `backup entry ${name} escapes its folder`)
  return full
}

/**
 * Restores a backup: verifies the whole file first (nothing is touched when it is corrupt or the
 * master key is missing), then creates a NEW database, migrates it to exactly the backup's
 * migration set, loads every table with COPY FROM (binary), resets identity sequences, checks the
 * row counts, applies this release's newer migrations, and only then switches: the old database is
 * renamed aside (`<name>_old_<stamp>`) and the new one takes its name in one transaction; blobs and
 * TLS files are swapped by directory rename. A failure before the switch drops the new database and
 * the staged files, leaving the previous data intact. Audited (in the restored database).
 * @throws AppError FORBIDDEN, INVALID_REQUEST (corrupt, from a newer release), UNAVAILABLE.
 */
export const restoreBackup = async (input: RestoreInput) => {
  assertCan(input.actor, 'system.manage')
  const progress = input.progress ?? (() => {})
  const started = performance.now()
  progress('verifying backup', 1)
  const { meta } = await readBackup(input.file, input.keyring, undefined, (p) => progress('verifying backup', p * 0.2))

  const local = new Map(readMigrations(input.migrationsDir ?? MIGRATIONS_DIR).map((m) => [m.name, m]))
  for (const m of meta.migrations) {
    const mine = local.get(m.name)
    if (!mine)
      throw new AppError(
        'INVALID_REQUEST',
        `backup comes from a newer release (${meta.releaseVersion}): migration ${m.name} is unknown here; upgrade first`,
      )
    if (mine.sha256 !== m.sha256)
      throw new AppError('INVALID_REQUEST', `migration ${m.name} differs from the one the backup was taken with`)
  }

  const target = dbNameOf(input.databaseUrl)
  const stamp = `${Date.now()}`
  const fresh = `${target}_restore_${stamp}`.slice(0, 63)
  const admin = pgClient(withDb(input.databaseUrl, 'postgres'), { max: 1, onnotice: () => {} })
  const paths = opsPaths(input.dataDir)
  mkdirSync(input.dataDir, { recursive: true })
  const staging = mkdtempSync(path.join(input.dataDir, '.restore-'))
  const stagedBlobs = path.join(staging, 'blobs')
  const stagedTls = path.join(staging, 'tls')
  mkdirSync(stagedBlobs, { recursive: true, mode: 0o700 })
  let isSwitched = false
  try {
    await admin.unsafe(`CREATE DATABASE ${ident(fresh)}`)
    const freshUrl = withDb(input.databaseUrl, fresh)
    const db = openDb(freshUrl, { max: 2, applicationName: 'clawback-restore' })
    try {
      progress('creating schema', 21)
      const subset = mkdtempSync(path.join(staging, 'migrations-'))
      for (const m of meta.migrations)
        copyFileSync(path.join(input.migrationsDir ?? MIGRATIONS_DIR, m.name), path.join(subset, m.name))
      await migrate(db.$client, subset)
      const boss = new PgBoss({
        connectionString: freshUrl,
        schema: BOSS_SCHEMA,
        supervise: false,
        schedule: false,
        max: 1,
      })
      await boss.start()
      await boss.stop({ graceful: false, close: true })

      const totalRows = Math.max(
        1,
        meta.tables.reduce((s, t) => s + t.rows, 0),
      )
      let rowsDone = 0
      await db.$client.begin(async (tx) => {
        const [{ rolsuper }] = (await tx.unsafe(
          'SELECT rolsuper FROM pg_roles WHERE rolname = current_user',
        )) as unknown as [{ rolsuper: boolean }]
        // superuser: skip FK/user triggers while loading (rows were consistent in the snapshot)
        if (rolsuper) await tx.unsafe('SET LOCAL session_replication_role = replica')
        // without superuser the user triggers fire: this one tells ours the rows are a restore
        await tx.unsafe("SET LOCAL clawback.restoring = 'on'")
        await tx.unsafe(
          `DELETE FROM ${BOSS_SCHEMA}.job; DELETE FROM ${BOSS_SCHEMA}.schedule; DELETE FROM ${BOSS_SCHEMA}.subscription; DELETE FROM ${BOSS_SCHEMA}.job_dependency; DELETE FROM ${BOSS_SCHEMA}.queue`,
        )
        await readBackup(input.file, input.keyring, async (info, frames) => {
          if (info.type === 'T') {
            const t = meta.tables.find((x) => `${x.schema}.${x.name}` === info.name)
            if (!t)
              throw new AppError('INVALID_REQUEST', `backup carries table ${info.name} that its metadata does not list`)
            progress(`loading ${info.name}`, 22 + (rowsDone / totalRows) * 60)
            const w = await tx.unsafe(`COPY ${qualified(t)} (${columnList(t)}) FROM STDIN (FORMAT binary)`).writable()
            for await (const f of frames) if (!w.write(f)) await new Promise<void>((r) => w.once('drain', () => r()))
            w.end()
            await finished(w)
            rowsDone += t.rows
          } else if (info.type === 'B' || info.type === 'C') {
            const root = info.type === 'B' ? stagedBlobs : staging
            const out = safeJoin(
              root,
              info.type === 'C' && info.name.startsWith('tls/')
                ? info.name
                : info.type === 'C'
                  ? `config/${info.name}`
                  : info.name,
            )
            mkdirSync(path.dirname(out), { recursive: true, mode: 0o700 })
            const ws = createWriteStream(out, { mode: 0o600 })
            for await (const f of frames) if (!ws.write(f)) await new Promise<void>((r) => ws.once('drain', () => r()))
            ws.end()
            await finished(ws)
          }
        })
        progress('resetting sequences', 84)
        const seqs = await tx<{ tbl: string; col: string; seq: string }[]>`
          SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS tbl, quote_ident(a.attname) AS col,
                 pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) AS seq
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname IN ('public') AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
             AND pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) IS NOT NULL`
        for (const s of seqs)
          await tx.unsafe(
            `SELECT setval('${s.seq.replaceAll("'", "''")}', coalesce((SELECT max(${s.col}) FROM ${s.tbl}), 0) + 1, false)`,
          )
        // the incident counts per state are derived, not carried (triggers may or may not have run while loading)
        await tx.unsafe(REBUILD_DERIVED)
        progress('checking row counts', 86)
        for (const t of meta.tables) {
          const [{ n }] = (await tx.unsafe(`SELECT count(*)::text AS n FROM ${qualified(t)}`)) as unknown as [
            { n: string },
          ]
          if (Number(n) !== t.rows)
            throw new AppError('INTERNAL', `restored ${t.schema}.${t.name} holds ${n} rows, the backup ${t.rows}`)
        }
      })
      progress('applying newer migrations', 90)
      const newer = await migrate(db.$client, input.migrationsDir ?? MIGRATIONS_DIR)
      if (input.failBeforeSwitch) throw new AppError('INTERNAL', 'restore stopped before the switch (test hook)')
      await closeDb(db)

      progress('switching database', 94)
      const [exists] = await admin<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM pg_database WHERE datname = ${target}`
      const old = `${target}_old_${stamp}`.slice(0, 63)
      if (exists!.n > 0) {
        await admin.unsafe(`ALTER DATABASE ${ident(target)} WITH ALLOW_CONNECTIONS false`)
        try {
          await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname IN (${target}, ${fresh}) AND pid <> pg_backend_pid()`
          await admin.begin(async (tx) => {
            await tx.unsafe(`ALTER DATABASE ${ident(target)} RENAME TO ${ident(old)}`)
            await tx.unsafe(`ALTER DATABASE ${ident(fresh)} RENAME TO ${ident(target)}`)
          })
        } catch (err) {
          await admin.unsafe(`ALTER DATABASE ${ident(target)} WITH ALLOW_CONNECTIONS true`).catch(() => {})
          throw err
        }
      } else {
        await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${fresh} AND pid <> pg_backend_pid()`
        await admin.unsafe(`ALTER DATABASE ${ident(fresh)} RENAME TO ${ident(target)}`)
      }
      isSwitched = true
      // keep only the previous database as a fallback; older leftovers of earlier restores go
      const leftovers = await admin<
        { datname: string }[]
      >`SELECT datname FROM pg_database WHERE datname LIKE ${`${target}_old_%`} AND datname <> ${old}`
      for (const l of leftovers) await admin.unsafe(`DROP DATABASE IF EXISTS ${ident(l.datname)} WITH (FORCE)`)

      progress('switching blobs', 97)
      const swap = (from: string, to: string) => {
        if (existsSync(to)) renameSync(to, `${to}.old-${stamp}`)
        if (existsSync(from)) renameSync(from, to)
      }
      swap(stagedBlobs, paths.blobs)
      if (existsSync(stagedTls)) swap(stagedTls, paths.tls)
      const restoredConfig = path.join(staging, 'config', 'clawback.conf')
      if (existsSync(restoredConfig))
        renameSync(restoredConfig, path.join(input.dataDir, `restored-clawback.conf.${stamp}`))
      rmSync(`${paths.blobs}.old-${stamp}`, { recursive: true, force: true })

      const after = openDb(input.databaseUrl, { max: 1 })
      try {
        const ms = Math.round(performance.now() - started)
        await after.transaction((tx) =>
          appendAudit(tx, input.actor, {
            action: 'backup.restore',
            objectType: 'backup',
            objectId: path.basename(input.file),
            after: {
              fromVersion: meta.releaseVersion,
              createdAt: meta.createdAt,
              newerMigrations: newer,
              previousDatabase: exists!.n > 0 ? old : null,
              ms,
            },
          }),
        )
        progress('done', 100)
        return { meta, newerMigrations: newer, previousDatabase: exists!.n > 0 ? old : undefined, ms }
      } finally {
        await closeDb(after)
      }
    } finally {
      await db.$client.end({ timeout: 1 }).catch(() => {})
    }
  } catch (err) {
    if (!isSwitched) await admin.unsafe(`DROP DATABASE IF EXISTS ${ident(fresh)} WITH (FORCE)`).catch(() => {})
    throw err
  } finally {
    rmSync(staging, { recursive: true, force: true })
    await admin.end({ timeout: 1 })
  }
}
