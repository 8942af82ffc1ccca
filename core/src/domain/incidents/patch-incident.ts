import type { Db } from '../../db/client.ts'
import type { Actor } from '../../policy/actor.ts'
import { addIncidentUsers } from './add-incident-users.ts'
import { setDescription } from './set-description.ts'
import { setIncidentPrivacy } from './set-incident-privacy.ts'
import { setTeamAndAssignee } from './set-team-and-assignee.ts'
import { updateIncidentFields } from './update-incident-fields.ts'

export type IncidentPatch = {
  fields?: Record<string, string | null>
  allowOverride?: boolean
  team?: string | null
  assignee?: string | null
  description?: string
  appendDescription?: boolean
  targets?: string[]
  attackers?: string[]
  isPrivate?: boolean
}

/**
 * Applies several edits to one incident (fields, team/assignee, description, users, privacy, in
 * that order) in ONE transaction: each step sees the ones before it, and when any step refuses
 * (400, 404) or fails, none of them is kept — no half-applied PATCH.
 * @throws AppError as the steps do (FORBIDDEN, NOT_FOUND, INVALID_REQUEST naming the field).
 */
export const patchIncident = async (db: Db, actor: Actor, id: number, p: IncidentPatch) =>
  db.transaction(async (tx) => {
    if (p.fields) await updateIncidentFields(tx, actor, id, p.fields, { allowOverride: p.allowOverride ?? true })
    if (p.team !== undefined || p.assignee !== undefined)
      await setTeamAndAssignee(tx, actor, id, { team: p.team, assignee: p.assignee })
    if (p.description !== undefined)
      await setDescription(tx, actor, id, { description: p.description, overwrite: !p.appendDescription })
    if (p.targets || p.attackers) await addIncidentUsers(tx, actor, id, { targets: p.targets, attackers: p.attackers })
    if (p.isPrivate !== undefined) await setIncidentPrivacy(tx, actor, id, p.isPrivate)
  })
