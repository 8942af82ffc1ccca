import type { Context } from 'hono'
import { readOp } from '../../../appliance/src/ops/progress.ts'
import { startRestore } from '../../../appliance/src/ops/start-restore.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { embeddedOrConfiguredUrl } from './database-url.ts'
import { opFragment } from './view.ts'

/** POST /backups/:name/restore — starts the restore (appliance/src/ops/start-restore.ts); answers its progress fragment. */
export const backupRestore = async (c: Context<AppEnv>) => {
  const { dataDir } = c.var.deps.config
  const opId = startRestore(c.var.deps, c.var.actor!, {
    backupName: c.req.param('name') ?? '',
    databaseUrl: await embeddedOrConfiguredUrl(c),
  })
  await new Promise((r) => setTimeout(r, 50))
  return c.html(opFragment(readOp(dataDir, opId), opId))
}
