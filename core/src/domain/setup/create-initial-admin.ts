import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { sql } from 'drizzle-orm'
import { newToken } from '../../auth/tokens.ts'
import type { Db } from '../../db/client.ts'
import { users } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import { SYSTEM } from '../../policy/actor.ts'
import { createUser } from '../users/create-user.ts'

export const INITIAL_ADMIN_FILE = 'initial-admin.txt'

/**
 * On the very first start (no users at all) creates `admin` in Admins with a random password that
 * must be changed at first sign-in, and writes the credentials to `<dataDir>/initial-admin.txt`
 * (0600). Returns them so the caller prints them once; undefined on later starts, and in the
 * process that lost the race when several start at once on a fresh database (scale-out: the
 * loser's CONFLICT used to end that process before it was up).
 */
export const createInitialAdmin = async (db: Db, dataDir: string) => {
  const [{ n } = { n: 0 }] = await db.select({ n: sql<number>`count(*)::int` }).from(users)
  if (n > 0) return undefined
  const password = newToken(18)
  try {
    await createUser(db, SYSTEM, { username: 'admin', password, teams: ['Admins'], mustChangePassword: true })
  } catch (err) {
    if (err instanceof AppError && err.code === 'CONFLICT') return undefined
    throw err
  }
  const file = path.join(dataDir, INITIAL_ADMIN_FILE)
  writeFileSync(
    file,
    `username: admin\npassword: ${password}\n(you will be asked to choose a new password at first sign-in; delete this file afterwards)\n`,
    { mode: 0o600 },
  )
  return { username: 'admin', password, file }
}
