import type { Db } from '../../db/client.ts'
import { teams } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { isPermission } from '../../policy/permissions.ts'
import { appendAudit } from '../audit/append-audit.ts'

/**
 * Creates a team with permissions. A private team owns private incidents and investigations.
 * @throws AppError FORBIDDEN without teams.manage, INVALID_REQUEST for an unknown permission,
 *   CONFLICT when the name is taken.
 */
export const createTeam = async (
  db: Db,
  actor: Actor,
  input: { name: string; description?: string; isPrivate?: boolean; permissions: string[] },
) => {
  assertCan(actor, 'teams.manage')
  const name = input.name.trim()
  if (!name || name.length > 100) throw new AppError('INVALID_REQUEST', 'name: 1 to 100 characters')
  const bad = input.permissions.filter((p) => !isPermission(p))
  if (bad.length) throw new AppError('INVALID_REQUEST', `permissions: unknown permission ${bad.join(', ')}`)
  return db.transaction(async (tx) => {
    const [team] = await tx
      .insert(teams)
      .values({
        name,
        description: input.description ?? '',
        isPrivate: input.isPrivate ?? false,
        permissions: [...new Set(input.permissions)],
      })
      .onConflictDoNothing()
      .returning()
    if (!team) throw new AppError('CONFLICT', `team ${name} already exists`)
    await appendAudit(tx, actor, {
      action: 'team.create',
      objectType: 'team',
      objectId: team.id,
      after: { name, isPrivate: team.isPrivate, permissions: team.permissions },
    })
    return team
  })
}
