import { readdirSync } from 'node:fs'
import path from 'node:path'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBackup } from '../../appliance/src/backup/create-backup.ts'
import { restoreBackup } from '../../appliance/src/backup/restore-backup.ts'
import { closeDb, openDb } from '../../core/src/db/client.ts'
import { MAX_RECIPIENTS } from '../../core/src/domain/intake/normalize-alert.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'
import { tableChecksums } from './checksums.ts'

const addresses = (n: number) => Array.from({ length: n }, (_, i) => `u${i}@x.example`)

describe('backups of large rows', () => {
  let app: TestApp
  let admin: postgres.Sql
  const backupDir = () => path.join(app.dataDir, 'backups')
  /** sessions of this test database other than ours and the locker's, waiting on a lock or idle inside a transaction */
  const stuckSessions = async (except = 'none') =>
    admin`SELECT pid, state, wait_event_type FROM pg_stat_activity
           WHERE datname = ${app.testDb.name} AND pid <> pg_backend_pid() AND application_name <> ${except}
             AND (state = 'idle in transaction' OR wait_event_type = 'Lock')`

  beforeAll(async () => {
    app = await startTestApp({ CLAWBACK_MAX_BODY_BYTES: String(4 << 20) })
    admin = postgres(app.testDb.url, { max: 2, onnotice: () => {} })
  })
  afterAll(async () => {
    await admin?.end()
    await app?.close()
  })

  it(`intake caps an alert at ${MAX_RECIPIENTS} recipients, naming the field beyond it`, async () => {
    const { post } = await makeJsonSource(app)
    const over = await post(alertBody({}, { recipient: addresses(MAX_RECIPIENTS + 1) }))
    expect(over.status).toBe(400)
    expect(((await over.json()) as { error: { message: string } }).error.message).toBe(
      `email.recipient: more than ${MAX_RECIPIENTS} entries`,
    )
    const asText = await post(alertBody({}, { recipient: addresses(MAX_RECIPIENTS + 1).join(', ') }))
    expect(asText.status).toBe(400)
    const ok = await post(alertBody({}, { recipient: addresses(MAX_RECIPIENTS) }))
    expect(ok.status).toBe(200)
    const [row] = await app.deps.db
      .$client`SELECT cardinality(recipients) AS n FROM alert_emails ORDER BY id DESC LIMIT 1`
    expect(row!.n).toBe(MAX_RECIPIENTS)
  })

  it('backs up and restores rows of several MB (the 790 KB row that hung, one of 7 MB, a 5 MB raw alert)', async () => {
    const db = app.deps.db
    // Rows as an older release (or a direct write) could have stored them, beyond today's intake cap.
    await db.$client`UPDATE alert_emails SET recipients = ${addresses(50_000)} WHERE id = (SELECT min(id) FROM alert_emails)`
    await db.$client`INSERT INTO alert_emails (alert_id, recipients, subject)
                     SELECT alert_id, ${addresses(400_000)}, 'big' FROM alert_emails ORDER BY id LIMIT 1`
    await db.$client`UPDATE alerts SET raw = repeat('{"k":"v"}', 600000) WHERE id = (SELECT max(id) FROM alerts)`
    const [{ big }] =
      (await db.$client`SELECT max(octet_length(array_to_string(recipients, ',')))::int AS big FROM alert_emails`) as unknown as [
        { big: number },
      ]
    expect(big).toBeGreaterThan(6_000_000)
    const [{ m }] = (await db.$client`SELECT max(id)::int AS m FROM audit_log`) as unknown as [{ m: number }]
    const before = await tableChecksums(db.$client, m)

    const percents: number[] = []
    const backup = await createBackup({
      db,
      keyring: app.deps.keyring,
      dataDir: app.dataDir,
      actor: SYSTEM,
      progress: (_, p) => percents.push(p),
    })
    expect(Math.max(...percents)).toBeLessThanOrEqual(100)
    expect(await stuckSessions()).toEqual([])
    // the connection the backup used is fine for the next statement
    expect(await db.$client`SELECT 1 AS one`).toEqual([{ one: 1 }])

    await closeDb(db)
    await restoreBackup({
      file: backup.file,
      keyring: app.deps.keyring,
      dataDir: app.dataDir,
      databaseUrl: app.testDb.url,
      actor: SYSTEM,
    })
    app.deps.db = openDb(app.testDb.url, { max: 4 })
    expect(await tableChecksums(app.deps.db.$client, m)).toEqual(before)
  }, 120_000)

  it('a stalled or cancelled backup removes its partial file and ends its transaction', async () => {
    let release = () => {}
    const held = new Promise<void>((r) => {
      release = r
    })
    let locked = () => {}
    const isLocked = new Promise<void>((r) => {
      locked = r
    })
    // Another session holds a table: the backup's snapshot waits on it and writes nothing.
    const locker = postgres(app.testDb.url, { max: 1, onnotice: () => {}, connection: { application_name: 'locker' } })
    const holding = locker.begin(async (tx) => {
      await tx`LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE`
      locked()
      await held
    })
    await isLocked
    try {
      const input = { db: app.deps.db, keyring: app.deps.keyring, dataDir: app.dataDir, actor: SYSTEM }
      const started = Date.now()
      await expect(createBackup({ ...input, stallMs: 1500 })).rejects.toThrow(/backup stalled: nothing written for 2 s/)
      expect(Date.now() - started).toBeLessThan(15_000)
      expect(readdirSync(backupDir()).filter((f) => f.endsWith('.partial'))).toEqual([])
      await expect.poll(() => stuckSessions('locker'), { timeout: 5000 }).toEqual([])

      const cancel = new AbortController()
      setTimeout(() => cancel.abort(), 300)
      await expect(createBackup({ ...input, signal: cancel.signal })).rejects.toThrow(/backup cancelled/)
      expect(readdirSync(backupDir()).filter((f) => f.endsWith('.partial'))).toEqual([])
      await expect.poll(() => stuckSessions('locker'), { timeout: 5000 }).toEqual([])
    } finally {
      release()
      await holding
      await locker.end()
    }
    // and the pool still works for the next backup
    const next = await createBackup({ db: app.deps.db, keyring: app.deps.keyring, dataDir: app.dataDir, actor: SYSTEM })
    expect(next.size).toBeGreaterThan(0)
  }, 60_000)
})
