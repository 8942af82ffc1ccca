import { randomBytes } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBackup } from '../../appliance/src/backup/create-backup.ts'
import { listBackups } from '../../appliance/src/backup/list-backups.ts'
import { readBackup } from '../../appliance/src/backup/read-backup.ts'
import { restoreBackup } from '../../appliance/src/backup/restore-backup.ts'
import { exportMasterSecret } from '../../appliance/src/secret/export-master-secret.ts'
import { importMasterSecret } from '../../appliance/src/secret/import-master-secret.ts'
import { getCredential, putCredential } from '../../core/src/crypto/credentials.ts'
import { loadOrCreateMasterSecret } from '../../core/src/crypto/master-secret.ts'
import { closeDb, openDb } from '../../core/src/db/client.ts'
import { MIGRATIONS_DIR } from '../../core/src/db/migrate.ts'
import { enqueue } from '../../core/src/jobs/boss.ts'
import { sessionsPurgeJob } from '../../core/src/jobs/sessions-purge.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { dirChecksums, tableChecksums } from './checksums.ts'

const PASSPHRASE = 'a long operator passphrase'

describe('backup and restore', () => {
  let app: TestApp
  let backupFile: string
  /** a copy outside the data directory, which the round trip destroys */
  let keptBackup: string
  let exported: string
  let before: Record<string, string>
  let blobsBefore: Record<string, string>
  let auditMax: number

  beforeAll(async () => {
    app = await startTestApp()
    const { db, keyring, dataDir } = { ...app.deps, dataDir: app.dataDir }
    await db.$client`INSERT INTO incidents (summary, description, severity, score) SELECT 'incident ' || g, repeat('x', g % 50), 'High', g FROM generate_series(1, 500) g`
    await db.$client`INSERT INTO settings (key, value) VALUES ('smtp', '{"host":"mail.example.test","port":25}')`
    await putCredential(db, keyring, { ownerKind: 'system', ownerId: 'virustotal', name: 'api_key' }, 'vt-secret-value')
    await db.transaction((tx) => enqueue(app.deps.boss, tx, sessionsPurgeJob, {}))
    mkdirSync(path.join(dataDir, 'blobs', 'ab', 'cd'), { recursive: true })
    writeFileSync(path.join(dataDir, 'blobs', 'ab', 'cd', 'message.eml'), `Subject: hi\r\n\r\n${'body '.repeat(1000)}`)
    writeFileSync(path.join(dataDir, 'blobs', 'ab', 'big.bin'), randomBytes(3 * 1024 * 1024 + 17))
    const [{ m }] = (await db.$client`SELECT coalesce(max(id), 0)::int AS m FROM audit_log`) as unknown as [
      { m: number },
    ]
    auditMax = m
    before = await tableChecksums(db.$client, auditMax)
    blobsBefore = dirChecksums(path.join(dataDir, 'blobs'))
    const backup = await createBackup({ db, keyring, dataDir, actor: SYSTEM })
    backupFile = backup.file
    keptBackup = path.join(mkdtempSync(path.join(tmpdir(), 'cb-kept-')), 'kept.cbk')
    writeFileSync(keptBackup, readFileSync(backupFile))
    exported = await exportMasterSecret(db, SYSTEM, keyring, PASSPHRASE)
  })
  afterAll(async () => {
    await app?.close()
    if (keptBackup) rmSync(path.dirname(keptBackup), { recursive: true, force: true })
  })

  it('lists the backup with its size and version and verifies it', async () => {
    const [item] = listBackups(app.dataDir)
    expect(item?.name).toBe(path.basename(backupFile))
    expect(item?.size).toBeGreaterThan(3 * 1024 * 1024)
    expect(item?.version).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version)
    const { meta } = await readBackup(backupFile, app.deps.keyring)
    expect(meta.tables.find((t) => t.name === 'incidents')?.rows).toBe(500)
    expect(meta.blobs).toBe(2)
  })

  it('never carries the master secret', () => {
    const raw = readFileSync(backupFile)
    for (const key of app.deps.keyring.keys.values()) {
      expect(raw.includes(key.secret)).toBe(false)
      expect(raw.includes(Buffer.from(key.secret.toString('base64')))).toBe(false)
    }
  })

  it('refuses a tampered or truncated backup', async () => {
    const raw = readFileSync(backupFile)
    const dir = mkdtempSync(path.join(tmpdir(), 'cb-tamper-'))
    const flipped = Buffer.from(raw)
    flipped[Math.floor(raw.length / 2)]! ^= 1
    writeFileSync(path.join(dir, 'flipped.cbk'), flipped)
    writeFileSync(path.join(dir, 'short.cbk'), raw.subarray(0, raw.length - 100))
    await expect(readBackup(path.join(dir, 'flipped.cbk'), app.deps.keyring)).rejects.toThrow(/integrity/)
    await expect(readBackup(path.join(dir, 'short.cbk'), app.deps.keyring)).rejects.toThrow(/truncated/)
    rmSync(dir, { recursive: true, force: true })
  })

  it('a restore that fails before the switch leaves the current data intact', async () => {
    await app.deps.db.$client`INSERT INTO incidents (summary) VALUES ('made after the backup')`
    await expect(
      restoreBackup({
        file: backupFile,
        keyring: app.deps.keyring,
        dataDir: app.dataDir,
        databaseUrl: app.testDb.url,
        actor: SYSTEM,
        failBeforeSwitch: true,
      }),
    ).rejects.toThrow(/before the switch/)
    const [{ n }] = (await app.deps.db.$client`SELECT count(*)::int AS n FROM incidents`) as unknown as [{ n: number }]
    expect(n).toBe(501)
    const admin = postgres(app.testDb.url.replace(/\/[^/]+$/, '/postgres'), { max: 1 })
    const left = await admin`SELECT datname FROM pg_database WHERE datname LIKE ${`${app.testDb.name}_restore_%`}`
    await admin.end()
    expect(left).toHaveLength(0)
  })

  it('round trip: destroy everything, restore into a fresh data directory with the imported secret', async () => {
    const url = app.testDb.url
    // destroy: the database and the data directory are gone
    await closeDb(app.deps.db)
    const admin = postgres(url.replace(/\/[^/]+$/, '/postgres'), { max: 1, onnotice: () => {} })
    await admin.unsafe(`DROP DATABASE ${app.testDb.name} WITH (FORCE)`)
    await admin.end()
    const freshDir = mkdtempSync(path.join(tmpdir(), 'cb-fresh-'))
    const copy = path.join(freshDir, 'upload.cbk')
    writeFileSync(copy, readFileSync(backupFile))
    rmSync(app.dataDir, { recursive: true, force: true })

    const keyFile = path.join(freshDir, 'master.key')
    const keyring = loadOrCreateMasterSecret(keyFile)
    const localId = keyring.current.id
    // without the old master secret: refused, nothing created
    await expect(
      restoreBackup({ file: copy, keyring, dataDir: freshDir, databaseUrl: url, actor: SYSTEM }),
    ).rejects.toThrow(/does not hold/)
    // wrong passphrase / corrupt export: refused, keyring unchanged
    await expect(
      importMasterSecret(undefined, SYSTEM, keyring, keyFile, exported, 'not the passphrase!'),
    ).rejects.toThrow(/wrong passphrase/)
    await expect(
      importMasterSecret(
        undefined,
        SYSTEM,
        keyring,
        keyFile,
        exported.replace(/"ciphertext": "../, '"ciphertext": "AA'),
        PASSPHRASE,
      ),
    ).rejects.toThrow()
    expect(keyring.current.id).toBe(localId)
    expect(loadOrCreateMasterSecret(keyFile).current.id).toBe(localId)

    await importMasterSecret(undefined, SYSTEM, keyring, keyFile, exported, PASSPHRASE)
    const steps: string[] = []
    const result = await restoreBackup({
      file: copy,
      keyring,
      dataDir: freshDir,
      databaseUrl: url,
      actor: SYSTEM,
      progress: (s) => steps.push(s),
    })
    expect(result.previousDatabase).toBeUndefined()
    expect(steps).toContain('switching database')

    const db = openDb(url, { max: 2 })
    try {
      expect(await tableChecksums(db.$client, auditMax)).toEqual(before)
      expect(dirChecksums(path.join(freshDir, 'blobs'))).toEqual(blobsBefore)
      expect(
        await getCredential(db, loadOrCreateMasterSecret(keyFile), {
          ownerKind: 'system',
          ownerId: 'virustotal',
          name: 'api_key',
        }),
      ).toBe('vt-secret-value')
      // identity sequences continue after the restored rows
      const [row] =
        (await db.$client`INSERT INTO incidents (summary) VALUES ('after restore') RETURNING id`) as unknown as [
          { id: number },
        ]
      expect(Number(row.id)).toBeGreaterThan(500)
      const [audit] = (await db.$client`SELECT action FROM audit_log ORDER BY id DESC LIMIT 1`) as unknown as [
        { action: string },
      ]
      expect(audit.action).toBe('backup.restore')
    } finally {
      await closeDb(db)
    }
    // restore again over the now-existing database: the previous one is kept aside
    const again = await restoreBackup({ file: copy, keyring, dataDir: freshDir, databaseUrl: url, actor: SYSTEM })
    expect(again.previousDatabase).toMatch(/_old_/)
    rmSync(freshDir, { recursive: true, force: true })
    app.deps.db = openDb(url, { max: 2 })
  })

  it('restores onto a newer release (its newer migrations run after the load) and refuses a backup from a newer release', async () => {
    const newer = mkdtempSync(path.join(tmpdir(), 'cb-newer-'))
    cpSync(MIGRATIONS_DIR, newer, { recursive: true })
    writeFileSync(path.join(newer, '9001_newer_release.sql'), 'CREATE TABLE newer_release_probe (id int);')
    const freshDir = mkdtempSync(path.join(tmpdir(), 'cb-newer-data-'))
    const copy = path.join(freshDir, 'b.cbk')
    writeFileSync(copy, readFileSync(keptBackup))
    // the original appliance's keys are gone with its data dir: use the exported secret again
    const keyFile = path.join(freshDir, 'master.key')
    const ring = loadOrCreateMasterSecret(keyFile)
    await importMasterSecret(undefined, SYSTEM, ring, keyFile, exported, PASSPHRASE)
    const r = await restoreBackup({
      file: copy,
      keyring: ring,
      dataDir: freshDir,
      databaseUrl: app.testDb.url,
      actor: SYSTEM,
      migrationsDir: newer,
    })
    expect(r.newerMigrations).toEqual(['9001_newer_release.sql'])
    const [{ t }] = (await app.deps.db
      .$client`SELECT to_regclass('public.newer_release_probe')::text AS t`) as unknown as [{ t: string | null }]
    expect(t).toBe('newer_release_probe')

    const older = mkdtempSync(path.join(tmpdir(), 'cb-older-'))
    const first = readdirSync(MIGRATIONS_DIR)
      .filter((f) => f.endsWith('.sql'))
      .sort()[0]!
    cpSync(path.join(MIGRATIONS_DIR, first), path.join(older, first))
    await expect(
      restoreBackup({
        file: copy,
        keyring: ring,
        dataDir: freshDir,
        databaseUrl: app.testDb.url,
        actor: SYSTEM,
        migrationsDir: older,
      }),
    ).rejects.toThrow(/newer release/)
    for (const d of [newer, older, freshDir]) rmSync(d, { recursive: true, force: true })
  })
})
