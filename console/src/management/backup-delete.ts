import type { Context } from 'hono'
import { deleteBackup } from '../../../appliance/src/backup/list-backups.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { redirect } from '../htmx.ts'

/** POST /backups/:name/delete */
export const backupDelete = async (c: Context<AppEnv>) => {
  await deleteBackup(c.var.deps.db, c.var.actor!, c.var.deps.config.dataDir, c.req.param('name') ?? '')
  return redirect(c, '/backups')
}
