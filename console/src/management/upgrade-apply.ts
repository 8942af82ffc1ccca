import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Context } from 'hono'
import { opsPaths } from '../../../appliance/src/ops/paths.ts'
import { submitPrivilegedRequest } from '../../../appliance/src/ops/privileged-requests.ts'
import { listOps, newOpId, readOp, trackOp } from '../../../appliance/src/ops/progress.ts'
import { applyUpgrade } from '../../../appliance/src/upgrade/apply-upgrade.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { AppError } from '../../../core/src/errors.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { embeddedOrConfiguredUrl } from './database-url.ts'
import { opFragment } from './view.ts'

/** POST /upgrade/:id/apply — applies a staged, verified IMG in this process; progress via its status file. */
export const upgradeApply = async (c: Context<AppEnv>) => {
  const actor = c.var.actor!
  assertCan(actor, 'system.manage')
  const id = c.req.param('id') ?? ''
  const { config, keyring, log } = c.var.deps
  const file = path.join(opsPaths(config.dataDir).staging, `${id}.img`)
  if (!/^img-\d+$/.test(id) || !existsSync(file))
    throw new AppError('NOT_FOUND', 'staged upgrade image not found; upload it again')
  if (listOps(config.dataDir, 10).some((o) => o.kind !== 'backup' && o.state === 'running'))
    throw new AppError('CONFLICT', 'another restore or upgrade is running')
  const opId = newOpId('upgrade')
  if (config.privileged === 'systemd') {
    // the appliance: the console runs unprivileged; root's oneshot unit applies it (see ops/privileged-requests.ts)
    submitPrivilegedRequest(config.dataDir, {
      kind: 'upgrade-apply',
      opId,
      image: `${id}.img`,
      requestedBy: actor.label,
    })
    return c.html(opFragment(readOp(config.dataDir, opId), opId))
  }
  const databaseUrl = await embeddedOrConfiguredUrl(c)
  void trackOp(config.dataDir, opId, 'upgrade', async (progress) => {
    const r = await applyUpgrade({
      file,
      root: config.root,
      databaseUrl,
      dataDir: config.dataDir,
      keyring,
      actor,
      progress,
    })
    return { from: r.from, to: r.to, migrations: r.migrations.length }
  }).catch((err) => log.error({ err }, 'upgrade failed'))
  await new Promise((r) => setTimeout(r, 50))
  return c.html(opFragment(readOp(config.dataDir, opId), opId))
}
