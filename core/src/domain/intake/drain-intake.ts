import type { Db } from '../../db/client.ts'
import type { PgBoss } from '../../jobs/boss.ts'
import { getIntakeBacklog } from './get-intake-backlog.ts'
import { linkIntakeBatch } from './link-intake-batch.ts'
import { linkOldestOrSetAside } from './link-oldest-or-set-aside.ts'

/**
 * Links until the intake log is empty (what tests and benchmarks call before reading incidents).
 * Rows another linker holds are waited for, not skipped: it returns once the log is empty.
 */
export const drainIntake = async (db: Db, boss: PgBoss, timeoutMs = 60_000) => {
  const until = Date.now() + timeoutMs
  for (;;) {
    const linked = await linkIntakeBatch(db, boss).catch(async () => {
      await linkOldestOrSetAside(db, boss)
      return [{}]
    })
    if (linked.length) continue
    if ((await getIntakeBacklog(db)).alerts === 0) return
    if (Date.now() > until) throw new Error('drainIntake: the intake log did not empty in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
