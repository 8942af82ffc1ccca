import { type SQL, sql } from 'drizzle-orm'
import { incidents, userNotifications } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { visibleWhere } from '../../policy/index.ts'

/** Notifications of incidents the actor can (still) see, and those about no incident. */
export const visibleNotifications = (actor: Actor): SQL =>
  sql`(${userNotifications.incidentId} IS NULL OR EXISTS (SELECT 1 FROM ${incidents} WHERE ${incidents.id} = ${userNotifications.incidentId} AND ${visibleWhere(actor, incidents)}))`
