import { existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import type { Db } from '../../../core/src/db/client.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { opsPaths } from '../ops/paths.ts'
import { readBackupHeader } from './read-backup.ts'

export type BackupListItem = {
  name: string
  size: number
  createdAt: string
  version: string
  trigger: string
  keyId: string
  isReadable: boolean
}

/** The backups in `<data>/backups`, newest first, from their plaintext headers (no decryption). */
export const listBackups = (dataDir: string): BackupListItem[] => {
  const dir = opsPaths(dataDir).backups
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cbk'))
    .map((name) => {
      const file = path.join(dir, name)
      const size = statSync(file).size
      try {
        const h = readBackupHeader(file)
        return {
          name,
          size,
          createdAt: h.createdAt,
          version: h.releaseVersion,
          trigger: h.kind,
          keyId: h.keyId,
          isReadable: true,
        }
      } catch {
        return {
          name,
          size,
          createdAt: statSync(file).mtime.toISOString(),
          version: '?',
          trigger: '?',
          keyId: '?',
          isReadable: false,
        }
      }
    })
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
}

/** Resolves a backup name to its file, refusing anything that is not a plain name in the backups folder. */
export const backupFile = (dataDir: string, name: string) => {
  if (!/^[A-Za-z0-9._-]+\.cbk$/.test(name)) throw new AppError('INVALID_REQUEST', 'not a backup name')
  const file = path.join(opsPaths(dataDir).backups, name)
  if (!existsSync(file)) throw new AppError('NOT_FOUND', `backup ${name} not found`)
  return file
}

/** Deletes one backup file. Audited. @throws FORBIDDEN, NOT_FOUND */
export const deleteBackup = async (db: Db, actor: Actor, dataDir: string, name: string) => {
  assertCan(actor, 'system.manage')
  const file = backupFile(dataDir, name)
  const size = statSync(file).size
  rmSync(file)
  await db.transaction((tx) =>
    appendAudit(tx, actor, { action: 'backup.delete', objectType: 'backup', objectId: name, before: { size } }),
  )
}
