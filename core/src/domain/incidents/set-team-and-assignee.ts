import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { teamMembers, teams, users } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { notifyUsers } from '../notifications/notify-users.ts'
import { addHistory, touch, withIncident } from './incident-tx.ts'

const UNASSIGNED = (v: string | null | undefined) =>
  v === null || v === undefined || v === '' || v.toLowerCase() === 'unassigned'

/**
 * Sets team and assignee together (by name; "Unassigned"/empty/null clears, omitted keeps). An unchanged pair is
 * not an error (unlike the incumbent's 404). Assigning a new/open incident moves it to `assigned`;
 * clearing the assignee of an assigned one moves it back to `open`. A private incident keeps its
 * owning team visible: moving it to a team the actor is not in is refused.
 * @throws AppError FORBIDDEN, NOT_FOUND for the incident or an unknown team/user.
 */
export const setTeamAndAssignee = async (
  db: DbOrTx,
  actor: Actor,
  incidentId: number,
  input: { team?: string | null; assignee?: string | null },
) =>
  withIncident(db, actor, incidentId, async (tx, row) => {
    // An omitted team or assignee keeps its current value; null, "" or "Unassigned" clears it.
    let teamId: number | null = input.team === undefined ? row.teamId : null
    let userId: number | null = input.assignee === undefined ? row.assigneeId : null
    if (input.team !== undefined && !UNASSIGNED(input.team)) {
      const [t] = await tx.select().from(teams).where(sql`lower(${teams.name}) = lower(${input.team!})`)
      if (!t) throw new AppError('NOT_FOUND', 'team not found')
      teamId = t.id
    }
    if (input.assignee !== undefined && !UNASSIGNED(input.assignee)) {
      const [u] = await tx
        .select()
        .from(users)
        .where(sql`lower(${users.username}) = lower(${input.assignee!}) AND NOT ${users.isDisabled}`)
      if (!u) throw new AppError('NOT_FOUND', 'user not found')
      userId = u.id
      if (teamId !== null) {
        const [m] = await tx
          .select()
          .from(teamMembers)
          .where(sql`${teamMembers.teamId} = ${teamId} AND ${teamMembers.userId} = ${userId}`)
        if (!m) throw new AppError('INVALID_REQUEST', 'assignee: not a member of that team')
      }
    }
    if (
      row.isPrivate &&
      teamId !== row.teamId &&
      actor.kind !== 'system' &&
      (teamId === null || !actor.teamIds.includes(teamId))
    ) {
      throw new AppError('INVALID_REQUEST', 'team: a private incident can only move to a team you are in')
    }
    if (teamId === row.teamId && userId === row.assigneeId) return { changed: false }
    let state = row.state
    if (userId && (state === 'new' || state === 'open')) state = 'assigned'
    if (!userId && state === 'assigned') state = 'open'
    await touch(tx, incidentId, { teamId, assigneeId: userId, state, firstActionAt: row.firstActionAt ?? sql`now()` })
    await addHistory(tx, actor, incidentId, {
      historyType: 'assignment',
      field: 'team_and_assignee',
      stateFrom: `${row.teamId ?? ''}/${row.assigneeId ?? ''}`,
      stateTo: `${teamId ?? ''}/${userId ?? ''}`,
      summary: `team ${input.team || 'Unassigned'}, assignee ${input.assignee || 'Unassigned'}`,
    })
    if (state !== row.state)
      await addHistory(tx, actor, incidentId, {
        historyType: 'state_change',
        field: 'state',
        stateFrom: row.state,
        stateTo: state,
      })
    await appendAudit(tx, actor, {
      action: 'incident.assign',
      objectType: 'incident',
      objectId: incidentId,
      before: { teamId: row.teamId, assigneeId: row.assigneeId, state: row.state },
      after: { teamId, assigneeId: userId, state },
    })
    // The new assignee hears of it, unless they assigned themselves.
    if (userId !== null && userId !== row.assigneeId)
      await notifyUsers(tx, {
        userIds: [userId],
        exceptUserId: actor.userId,
        incidentId,
        kind: 'assigned',
        message: `Incident #${incidentId} was assigned to you by ${actor.label}`,
      })
    return { changed: true }
  })
