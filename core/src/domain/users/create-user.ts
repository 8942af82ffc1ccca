import { inArray } from 'drizzle-orm'
import { assertPasswordAcceptable, hashPassword } from '../../auth/password.ts'
import type { Db } from '../../db/client.ts'
import { teamMembers, teams, users } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

export type CreateUserInput = {
  username: string
  password?: string
  email?: string
  displayName?: string
  teams?: string[]
  mustChangePassword?: boolean
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/

/**
 * Creates a local user, optionally in teams (by name). Adding to a private team is allowed here
 * because it is the admin's explicit act, and it is audited.
 * @throws AppError FORBIDDEN without users.manage, INVALID_REQUEST on a bad name/password or
 *   unknown team, CONFLICT when the username is taken.
 */
export const createUser = async (db: Db, actor: Actor, input: CreateUserInput) => {
  assertCan(actor, 'users.manage')
  if (!USERNAME.test(input.username))
    throw new AppError('INVALID_REQUEST', 'username: letters, digits, . _ @ - only (max 128)')
  if (input.password !== undefined) assertPasswordAcceptable(input.password)
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password)
  return db.transaction(async (tx) => {
    const wanted = input.teams ?? []
    const found = wanted.length ? await tx.select().from(teams).where(inArray(teams.name, wanted)) : []
    const missing = wanted.filter((n) => !found.some((t) => t.name === n))
    if (missing.length) throw new AppError('INVALID_REQUEST', `teams: unknown team ${missing.join(', ')}`)
    const [user] = await tx
      .insert(users)
      .values({
        username: input.username,
        email: input.email ?? null,
        displayName: input.displayName ?? null,
        passwordHash,
        mustChangePassword: input.mustChangePassword ?? false,
      })
      .onConflictDoNothing()
      .returning()
    if (!user) throw new AppError('CONFLICT', `username ${input.username} is taken`)
    if (found.length) await tx.insert(teamMembers).values(found.map((t) => ({ teamId: t.id, userId: user.id })))
    await appendAudit(tx, actor, {
      action: 'user.create',
      objectType: 'user',
      objectId: user.id,
      after: { username: user.username, email: user.email, teams: found.map((t) => t.name) },
    })
    return user
  })
}
