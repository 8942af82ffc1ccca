import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isBackupDue, pruneScheduledBackups, setBackupSchedule } from '../../appliance/src/backup/backup-schedule.ts'
import { createBackup } from '../../appliance/src/backup/create-backup.ts'
import { listBackups } from '../../appliance/src/backup/list-backups.ts'
import { backupScheduleWorker } from '../../appliance/src/jobs/handlers/backup-schedule.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'

describe('scheduled backups', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(async () => {
    await app?.close()
  })

  it('is due at the configured hour (and weekday), once', () => {
    const daily = { frequency: 'daily' as const, hour: 2, weekday: 0, retention: 3 }
    const at = (iso: string) => new Date(iso)
    expect(isBackupDue(daily, at('2026-11-23T02:05:00Z'), undefined)).toBe(true)
    expect(isBackupDue(daily, at('2026-11-23T03:05:00Z'), undefined)).toBe(false)
    expect(isBackupDue(daily, at('2026-11-23T02:05:00Z'), at('2026-11-23T02:05:30Z'))).toBe(false)
    expect(isBackupDue(daily, at('2026-11-24T02:05:00Z'), at('2026-11-23T02:05:30Z'))).toBe(true)
    expect(isBackupDue({ ...daily, frequency: 'weekly', weekday: 0 }, at('2026-11-23T02:05:00Z'), undefined)).toBe(
      false,
    ) // a Monday
    expect(isBackupDue({ ...daily, frequency: 'weekly', weekday: 1 }, at('2026-11-23T02:05:00Z'), undefined)).toBe(true)
    expect(isBackupDue({ ...daily, frequency: 'off' }, at('2026-11-23T02:05:00Z'), undefined)).toBe(false)
  })

  it('the hourly job takes the backup when due and keeps only `retention` scheduled ones', async () => {
    const hour = new Date().getUTCHours()
    await setBackupSchedule(app.deps.db, SYSTEM, { frequency: 'daily', hour, weekday: 0, retention: 2 })
    const ctx = {
      db: app.deps.db,
      keyring: app.deps.keyring,
      dataDir: app.dataDir,
      log: app.deps.log,
      boss: app.deps.boss,
      signal: new AbortController().signal,
    }
    const first = (await backupScheduleWorker.run({}, ctx)) as { due: boolean }
    expect(first.due).toBe(true)
    expect(((await backupScheduleWorker.run({}, ctx)) as { due: boolean }).due).toBe(false)
    // two more scheduled backups, then the retention count keeps the newest two; manual ones stay
    await createBackup({
      db: app.deps.db,
      keyring: app.deps.keyring,
      dataDir: app.dataDir,
      actor: SYSTEM,
      trigger: 'manual',
    })
    await createBackup({
      db: app.deps.db,
      keyring: app.deps.keyring,
      dataDir: app.dataDir,
      actor: SYSTEM,
      trigger: 'scheduled',
    })
    const newest = await createBackup({
      db: app.deps.db,
      keyring: app.deps.keyring,
      dataDir: app.dataDir,
      actor: SYSTEM,
      trigger: 'scheduled',
    })
    const pruned = pruneScheduledBackups(app.dataDir, 2)
    expect(pruned).toHaveLength(1)
    const left = listBackups(app.dataDir)
    expect(left.filter((b) => b.trigger === 'scheduled')).toHaveLength(2)
    expect(left[0]!.name).toBe(newest.name)
    expect(left.filter((b) => b.trigger === 'manual')).toHaveLength(1)
  })
})
