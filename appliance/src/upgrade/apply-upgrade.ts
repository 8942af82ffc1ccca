import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import type { Keyring } from '../../../core/src/crypto/master-secret.ts'
import { closeDb, openDb } from '../../../core/src/db/client.ts'
import { migrate } from '../../../core/src/db/migrate.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { createBackup } from '../backup/create-backup.ts'
import { restoreBackup } from '../backup/restore-backup.ts'
import type { Progress } from '../ops/progress.ts'
import { compareVersions } from '../release.ts'
import { readImg } from './img-format.ts'
import { releaseLayout, freeBytes as statFree } from './release-layout.ts'

export type UpgradeInput = {
  file: string
  root: string
  databaseUrl: string
  dataDir: string
  keyring: Keyring
  actor: Actor
  /** PEM; default: the key shipped in the running release (`current/appliance/keys/img-signing.pub`) */
  publicKeyPem?: string
  progress?: Progress
  /** free space on the release file system; a hook so tests can simulate a full disk */
  freeBytes?: (dir: string) => number
  /**
   * Proves the switched release works. On the appliance: restart the units through the privileged
   * helper and poll /readyz; the default checks the new release's files and schema are in place.
   */
  healthCheck?: (releaseDir: string) => Promise<void>
  /** runs after a rollback (the appliance restarts the role units on the previous release) */
  afterRollback?: () => Promise<void>
}

const withSchema = async <T>(url: string, fn: (sql: ReturnType<typeof openDb>['$client']) => Promise<T>) => {
  const db = openDb(url, { max: 1, applicationName: 'clawback-upgrade' })
  try {
    return await fn(db.$client)
  } finally {
    await closeDb(db)
  }
}
const appliedMigrations = (url: string) =>
  withSchema(url, async (sql) =>
    (await sql<{ name: string }[]>`SELECT name FROM schema_migrations ORDER BY name`).map((r) => r.name),
  )

/** The public key a release ships to verify the NEXT upgrade (release-layout.ts publicKeyFile). */
const SHIPPED_KEY = 'appliance/keys/img-signing.pub'

/**
 * Verifies an IMG without changing anything (signature against the running release's key, every
 * file's checksum, version order, minimum version, a public key for the next upgrade, free space). Returns the manifest (release notes
 * included). @throws AppError INVALID_REQUEST / CONFLICT with a message for the operator.
 */
export const verifyUpgrade = (input: Pick<UpgradeInput, 'file' | 'root' | 'publicKeyPem' | 'freeBytes'>) => {
  const layout = releaseLayout(input.root)
  const current = layout.currentVersion()
  if (!current) throw new AppError('CONFLICT', `no current release under ${layout.current}`)
  const pem = input.publicKeyPem ?? readFileSync(layout.publicKeyFile(), 'utf8')
  const { manifest, payloadBytes, packageVersion } = readImg(input.file, pem)
  // The release reports package.json's version (releaseVersion(), the health check, the next
  // upgrade's version order): an image whose package.json disagrees with its manifest could only
  // ever roll back, so it is refused before anything changes.
  if (packageVersion !== manifest.version)
    throw new AppError(
      'INVALID_REQUEST',
      `upgrade image ${manifest.version} carries package.json version ${packageVersion ?? '(none)'}: rebuild it with npm run build:img -- --version ${manifest.version}`,
    )
  if (compareVersions(manifest.version, current) <= 0) {
    throw new AppError(
      'CONFLICT',
      `upgrade image ${manifest.version} is not newer than the running release ${current} (downgrades are refused)`,
    )
  }
  if (compareVersions(current, manifest.minVersion) < 0) {
    throw new AppError(
      'CONFLICT',
      `upgrade image ${manifest.version} upgrades from ${manifest.minVersion} or later; this appliance runs ${current}`,
    )
  }
  if (!manifest.files.some((f) => f.path === SHIPPED_KEY && f.size > 0))
    throw new AppError(
      'INVALID_REQUEST',
      `upgrade image ${manifest.version} ships no ${SHIPPED_KEY}: once installed, no later upgrade could be verified (rebuild it with npm run build:img)`,
    )
  const need = payloadBytes * 2 + 64 * 1024 * 1024
  const free = (input.freeBytes ?? statFree)(layout.base)
  if (free < need)
    throw new AppError(
      'CONFLICT',
      `not enough free space: the upgrade needs ${Math.ceil(need / 2 ** 20)} MiB, ${Math.floor(free / 2 ** 20)} MiB are free`,
    )
  return { manifest, current, payloadBytes }
}

/**
 * Applies an IMG: verify (nothing changes when it fails), take a pre-upgrade backup, install the
 * release beside the running one, migrate the database with the new release's migrations, switch
 * the `current` link, health-check. Any failure after the backup rolls back automatically: the link
 * points at the previous release again, the database is restored from the pre-upgrade backup when
 * the schema had changed, and the half-installed release is removed. Audited (success and rollback).
 * @throws AppError (verification) or the failure that caused the rollback, with `rolledBack` set.
 */
export const applyUpgrade = async (input: UpgradeInput) => {
  assertCan(input.actor, 'system.manage')
  const progress = input.progress ?? (() => {})
  progress('verifying image', 2)
  const { manifest, current } = verifyUpgrade(input)
  const layout = releaseLayout(input.root)
  const audit = async (action: string, after: Record<string, unknown>) => {
    const db = openDb(input.databaseUrl, { max: 1 })
    try {
      await db.transaction((tx) =>
        appendAudit(tx, input.actor, { action, objectType: 'release', objectId: manifest.version, after }),
      )
    } finally {
      await closeDb(db)
    }
  }

  progress('taking the pre-upgrade backup', 10)
  const db = openDb(input.databaseUrl, { max: 2 })
  let backupFile: string
  try {
    backupFile = (
      await createBackup({
        db,
        keyring: input.keyring,
        dataDir: input.dataDir,
        actor: input.actor,
        trigger: 'pre-upgrade',
        progress: (s, p) => progress(`backup: ${s}`, 10 + p * 0.3),
      })
    ).file
  } finally {
    await closeDb(db)
  }

  const target = layout.releaseDir(manifest.version)
  const partial = `${target}.partial`
  const before = await appliedMigrations(input.databaseUrl)
  let isSwitched = false
  try {
    progress('installing release', 45)
    rmSync(partial, { recursive: true, force: true })
    rmSync(target, { recursive: true, force: true })
    readImg(input.file, input.publicKeyPem ?? readFileSync(layout.publicKeyFile(), 'utf8'), partial)
    renameSync(partial, target)

    progress('migrating database', 60)
    const applied = await withSchema(input.databaseUrl, (sql) => migrate(sql, path.join(target, 'migrations')))

    progress('switching release', 75)
    layout.switchTo(manifest.version)
    isSwitched = true

    progress('health check', 85)
    await (input.healthCheck ?? defaultHealthCheck(input.databaseUrl, manifest.version))(target)
    await audit('upgrade.apply', {
      from: current,
      to: manifest.version,
      migrations: applied,
      backup: path.basename(backupFile),
    })
    progress('done', 100)
    return { from: current, to: manifest.version, migrations: applied, backup: backupFile, notes: manifest.notes }
  } catch (err) {
    progress('rolling back', 90)
    if (isSwitched) layout.switchTo(current)
    const afterFail = await appliedMigrations(input.databaseUrl).catch(() => undefined)
    const schemaChanged = !afterFail || afterFail.join() !== before.join()
    if (schemaChanged) {
      await restoreBackup({
        file: backupFile,
        keyring: input.keyring,
        dataDir: input.dataDir,
        databaseUrl: input.databaseUrl,
        actor: input.actor,
      })
    }
    rmSync(partial, { recursive: true, force: true })
    if (existsSync(target) && layout.currentVersion() !== manifest.version)
      rmSync(target, { recursive: true, force: true })
    await input.afterRollback?.().catch(() => {})
    await audit('upgrade.rollback', {
      from: current,
      to: manifest.version,
      reason: (err as Error).message,
      restoredBackup: schemaChanged ? path.basename(backupFile) : null,
    }).catch(() => {})
    const e = new AppError(
      'UNAVAILABLE',
      `upgrade to ${manifest.version} failed and was rolled back: ${(err as Error).message}`,
      { rolledBack: true },
    )
    throw e
  }
}

/** Without a service manager: the new release's files are in place and its schema is current. */
const defaultHealthCheck = (url: string, version: string) => async (releaseDir: string) => {
  const pkg = JSON.parse(readFileSync(path.join(releaseDir, 'package.json'), 'utf8'))
  if (pkg.version !== version) throw new Error(`release folder holds ${pkg.version}, expected ${version}`)
  await withSchema(url, async (sql) => {
    await sql`SELECT 1`
  })
}
