import type { Context } from 'hono'
import { setBackupSchedule } from '../../../appliance/src/backup/backup-schedule.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { backupList } from './backup-list.ts'
import { userMessage } from './view.ts'

/** POST /backups/schedule */
export const backupSchedule = async (c: Context<AppEnv>) => {
  const b = await c.req.parseBody()
  const n = (k: string) => Number(b[k])
  try {
    await setBackupSchedule(c.var.deps.db, c.var.actor!, {
      frequency: b.frequency,
      hour: n('hour'),
      weekday: n('weekday'),
      retention: n('retention'),
    })
    return backupList(c, { notice: 'Schedule saved.' })
  } catch (err) {
    return backupList(c, { error: userMessage(err) }, 422)
  }
}
