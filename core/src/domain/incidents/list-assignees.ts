import { and, asc, eq, isNotNull } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { users } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'

/** Who an incident can be assigned to: enabled users who can sign in, by username. @throws AppError FORBIDDEN without incidents.read. */
export const listAssignees = async (db: Db, actor: Actor) => {
  assertCan(actor, 'incidents.read')
  return db
    .select({ id: users.id, username: users.username, displayName: users.displayName })
    .from(users)
    .where(and(eq(users.isDisabled, false), isNotNull(users.passwordHash)))
    .orderBy(asc(users.username))
}
