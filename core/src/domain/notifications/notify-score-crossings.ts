import { sql } from 'drizzle-orm'
import type { PgBoss } from 'pg-boss'
import type { DbOrTx } from '../../db/client.ts'
import { readNotificationSettings } from '../../settings/notifications.ts'
import { notifyUsers } from './notify-users.ts'

/**
 * Of the given (changed) incidents, those whose score is now at or above the threshold setting
 * and that were never notified for it: tells the assignee, or the team's members when unassigned.
 * Once per incident (a `score` notification already there stops it), inside the caller's
 * transaction. Returns how many incidents crossed.
 */
export const notifyScoreCrossings = async (tx: DbOrTx, boss: PgBoss | undefined, incidentIds: number[]) => {
  if (incidentIds.length === 0) return 0
  const { scoreThreshold } = await readNotificationSettings(tx)
  const crossed = (await tx.execute(sql`
    SELECT i.id::int AS id, i.score, i.assignee_id::int AS assignee_id,
           ARRAY(SELECT m.user_id::int FROM team_members m JOIN users u ON u.id = m.user_id
                  WHERE m.team_id = i.team_id AND NOT u.is_disabled) AS members
      FROM incidents i
     WHERE i.id = ANY(${`{${incidentIds.join(',')}}`}::bigint[]) AND i.score >= ${scoreThreshold}
       AND NOT EXISTS (SELECT 1 FROM user_notifications n WHERE n.incident_id = i.id AND n.kind = 'score')
     ORDER BY i.id`)) as unknown as {
    id: number
    score: number
    assignee_id: number | null
    members: number[]
  }[]
  for (const i of crossed)
    await notifyUsers(
      tx,
      {
        userIds: i.assignee_id !== null ? [i.assignee_id] : i.members,
        incidentId: i.id,
        kind: 'score',
        message: `Incident #${i.id} reached score ${i.score} (threshold ${scoreThreshold})`,
      },
      boss,
    )
  return crossed.length
}
