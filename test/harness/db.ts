import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { inject } from 'vitest'
import { closeDb, type Db, openDb } from '../../core/src/db/client.ts'

const TEMPLATE = 'clawback_template'

export type TestDb = { db: Db; url: string; name: string; drop: () => Promise<void> }

/** A fresh database for one test file, copied from the migrated template (fast: a file copy). */
export const createTestDb = async (): Promise<TestDb> => {
  const adminUrl = inject('pgAdminUrl')
  const name = `t_${randomBytes(6).toString('hex')}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`)
  await admin.end()
  const url = adminUrl.replace(/\/[^/]+$/, `/${name}`)
  const db = openDb(url, { max: 10 })
  return {
    db,
    url,
    name,
    drop: async () => {
      await closeDb(db)
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} })
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await a.end()
    },
  }
}
