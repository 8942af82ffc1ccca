import type { Context } from 'hono'
import { readOp } from '../../../appliance/src/ops/progress.ts'
import { startUpgrade } from '../../../appliance/src/ops/start-upgrade.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { embeddedOrConfiguredUrl } from './database-url.ts'
import { opFragment } from './view.ts'

/** POST /upgrade/:id/apply — starts applying a staged IMG (appliance/src/ops/start-upgrade.ts); answers its progress fragment. */
export const upgradeApply = async (c: Context<AppEnv>) => {
  const { dataDir } = c.var.deps.config
  const opId = startUpgrade(c.var.deps, c.var.actor!, {
    stagedId: c.req.param('id') ?? '',
    databaseUrl: () => embeddedOrConfiguredUrl(c),
  })
  await new Promise((r) => setTimeout(r, 50))
  return c.html(opFragment(readOp(dataDir, opId), opId))
}
