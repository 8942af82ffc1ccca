import { inArray, not, or, type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { AppError } from '../errors.ts'
import type { Actor } from './actor.ts'
import type { Permission } from './permissions.ts'

/**
 * The one authorization module. Domain functions call it, so the API, the UI, exports, counts,
 * search and dashboards obey the same rules.
 *
 * Private objects (an incident or investigation whose `isPrivate` is set) are visible only to
 * members of the owning team — not to Admins, who must add themselves to the team (audited).
 * Invisible objects answer NOT_FOUND so their existence is not revealed.
 */
export const can = (actor: Actor, permission: Permission) => actor.permissions.has(permission)

/** @throws AppError FORBIDDEN when the actor lacks the permission. */
export const assertCan = (actor: Actor, permission: Permission) => {
  if (!can(actor, permission)) throw new AppError('FORBIDDEN', `missing permission ${permission}`)
}

export type Ownable = { isPrivate: boolean; teamId: number | null }

export const canSee = (actor: Actor, object: Ownable) =>
  actor.kind === 'system' || !object.isPrivate || (object.teamId !== null && actor.teamIds.includes(object.teamId))

/** @throws AppError NOT_FOUND when the object is private to a team the actor is not in. */
export const assertVisible = <T extends Ownable>(actor: Actor, object: T | undefined, what: string): T => {
  if (!object || !canSee(actor, object)) throw new AppError('NOT_FOUND', `${what} not found`)
  return object
}

/** The SQL twin of `canSee`, for lists, counts, search and dashboards. */
export const visibleWhere = (actor: Actor, table: { isPrivate: AnyPgColumn; teamId: AnyPgColumn }): SQL => {
  if (actor.kind === 'system') return sql`true`
  if (actor.teamIds.length === 0) return not(table.isPrivate)
  return or(not(table.isPrivate), inArray(table.teamId, actor.teamIds)) as SQL
}

/**
 * `visibleWhere` for raw SQL over an aliased table (subqueries in select lists, where drizzle's
 * own column names would bind to the wrong table). Never NULL.
 */
export const visibleAt = (actor: Actor, alias: 'o' | 'i'): SQL => {
  if (actor.kind === 'system') return sql`true`
  const t = sql.raw(alias)
  return sql`(NOT ${t}.is_private OR coalesce(${t}.team_id = ANY(${`{${actor.teamIds.join(',')}}`}::bigint[]), false))`
}

/**
 * May the actor run (request, press, approve, undo) a response of this type by hand? `allowedTeams`
 * is the type's team list from the settings; empty means anyone with `responses.run`.
 */
export const canRunResponse = (actor: Actor, allowedTeams: readonly number[] | undefined) =>
  can(actor, 'responses.run') &&
  (actor.kind === 'system' || !allowedTeams?.length || actor.teamIds.some((t) => allowedTeams.includes(t)))

/** @throws FORBIDDEN naming the response type when `canRunResponse` says no */
export const assertCanRunResponse = (actor: Actor, type: string, allowedTeams: readonly number[] | undefined) => {
  if (!canRunResponse(actor, allowedTeams))
    throw new AppError('FORBIDDEN', `only members of the teams allowed to run ${type} may run it by hand`)
}
