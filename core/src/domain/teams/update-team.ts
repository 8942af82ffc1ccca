import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { teams } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { isPermission } from '../../policy/permissions.ts'
import { appendAudit } from '../audit/append-audit.ts'

/** Permissions the built-in Admins team must keep, or nobody could administer Clawback any more. */
const ADMINS_KEEP = ['users.manage', 'teams.manage']

/**
 * Changes a team's description, private flag and permissions (audited with before and after).
 * @throws AppError FORBIDDEN without teams.manage, NOT_FOUND, INVALID_REQUEST for an unknown
 *   permission or when the built-in Admins team would lose users.manage / teams.manage.
 */
export const updateTeam = async (
  db: Db,
  actor: Actor,
  input: { teamId: number; description: string; isPrivate: boolean; permissions: string[] },
) => {
  assertCan(actor, 'teams.manage')
  const bad = input.permissions.filter((p) => !isPermission(p))
  if (bad.length) throw new AppError('INVALID_REQUEST', `permissions: unknown permission ${bad.join(', ')}`)
  if (input.description.length > 1000) throw new AppError('INVALID_REQUEST', 'description: at most 1000 characters')
  return db.transaction(async (tx) => {
    const [team] = await tx.select().from(teams).where(eq(teams.id, input.teamId)).for('update')
    if (!team) throw new AppError('NOT_FOUND', `team ${input.teamId} not found`)
    const permissions = [...new Set(input.permissions)].sort()
    if (team.isBuiltin && team.name === 'Admins' && ADMINS_KEEP.some((p) => !permissions.includes(p))) {
      throw new AppError('INVALID_REQUEST', `permissions: the Admins team must keep ${ADMINS_KEEP.join(' and ')}`)
    }
    const [row] = await tx
      .update(teams)
      .set({ description: input.description, isPrivate: input.isPrivate, permissions })
      .where(eq(teams.id, team.id))
      .returning()
    await appendAudit(tx, actor, {
      action: 'team.update',
      objectType: 'team',
      objectId: team.id,
      before: {
        name: team.name,
        description: team.description,
        isPrivate: team.isPrivate,
        permissions: team.permissions,
      },
      after: {
        name: team.name,
        description: row!.description,
        isPrivate: row!.isPrivate,
        permissions: row!.permissions,
      },
    })
    return row!
  })
}
