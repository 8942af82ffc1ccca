import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Deps } from '../../../core/src/deps.ts'
import { AppError } from '../../../core/src/errors.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { applyUpgrade } from '../upgrade/apply-upgrade.ts'
import { opsPaths } from './paths.ts'
import { submitPrivilegedRequest } from './privileged-requests.ts'
import { assertNoRestoreOrUpgradeRunning, newOpId, trackOp } from './progress.ts'

/**
 * Starts applying a staged, verified IMG (`<staging>/<id>.img`) and returns its operation id at
 * once. On the appliance the console runs unprivileged, so root's oneshot unit applies it
 * (ops/privileged-requests.ts); from a checkout it is applied in this process. Progress is in the
 * operation's status file either way.
 * @throws AppError FORBIDDEN without `system.manage`, NOT_FOUND for an unknown staged image,
 *   CONFLICT while another restore/upgrade runs.
 */
export const startUpgrade = (
  deps: Pick<Deps, 'config' | 'keyring' | 'log'>,
  actor: Actor,
  input: { stagedId: string; databaseUrl: () => Promise<string> },
) => {
  assertCan(actor, 'system.manage')
  const { config, keyring, log } = deps
  const file = path.join(opsPaths(config.dataDir).staging, `${input.stagedId}.img`)
  if (!/^img-\d+$/.test(input.stagedId) || !existsSync(file))
    throw new AppError('NOT_FOUND', 'staged upgrade image not found; upload it again')
  assertNoRestoreOrUpgradeRunning(config.dataDir)
  const opId = newOpId('upgrade')
  if (config.privileged === 'systemd') {
    submitPrivilegedRequest(config.dataDir, {
      kind: 'upgrade-apply',
      opId,
      image: `${input.stagedId}.img`,
      requestedBy: actor.label,
    })
    return opId
  }
  void trackOp(config.dataDir, opId, 'upgrade', async (progress) => {
    const r = await applyUpgrade({
      file,
      root: config.root,
      databaseUrl: await input.databaseUrl(),
      dataDir: config.dataDir,
      keyring,
      actor,
      progress,
    })
    return { from: r.from, to: r.to, migrations: r.migrations.length }
  }).catch((err) => log.error({ err }, 'upgrade failed'))
  return opId
}
