import type { Db } from '../../db/client.ts'
import type { PgBoss } from '../../jobs/boss.ts'
import type { Logger } from '../../log.ts'
import { INTAKE_CHANNEL } from './append-intake.ts'
import { linkIntakeBatch } from './link-intake-batch.ts'
import { linkOldestOrSetAside } from './link-oldest-or-set-aside.ts'

export type LinkerOptions = {
  /** rows per batch (one transaction) */
  batch?: number
  /** after a NOTIFY, wait this long so that more appends join the batch */
  gatherMs?: number
  /**
   * under load (the last pass linked at least `busyRows`), wait this long instead: batches grow
   * from a few hundred to a thousand or more, and each alert costs less to link (issue 16)
   */
  busyGatherMs?: number
  busyRows?: number
  /** safety-net poll when no NOTIFY arrives (a missed one, a linker started after the append) */
  pollMs?: number
  /** VACUUM the intake log after this many rows linked (and at most every `vacuumEveryMs`) */
  vacuumRows?: number
  vacuumEveryMs?: number
}

/**
 * The linker of a worker process: wakes on NOTIFY `clawback_intake` (sent by every intake append)
 * or every `pollMs`, then links batches of the intake log until one comes back short. One loop per
 * process; several processes link at once safely (intake_link_batch). Returns its stop function,
 * which waits for the batch in progress.
 */
export const startIntakeLinker = async (
  db: Db,
  boss: PgBoss,
  log: Pick<Logger, 'error'>,
  options: LinkerOptions = {},
) => {
  const batch = options.batch ?? 2000
  const gatherMs = options.gatherMs ?? 50
  const busyGatherMs = options.busyGatherMs ?? 500
  const busyRows = options.busyRows ?? 200
  let lastPass = 0
  let running: Promise<void> | null = null
  let again = false
  let stopped = false
  let gather: NodeJS.Timeout | null = null
  // Every linked row leaves a dead tuple in the intake log, and the claim (ORDER BY id LIMIT n
  // FOR UPDATE SKIP LOCKED) walks the dead index entries before the live ones. Since migration 0018
  // the first claim to meet one marks it dead and later claims skip it (before, their MultiXact
  // xmax made every claim fetch their pages: ~87 ms per batch under sustained load); their space
  // comes back only with VACUUM, and autovacuum's naptime is a minute. The linker vacuums the log
  // itself once enough rows went through it; SKIP_LOCKED leaves it to whoever vacuums already.
  const vacuumRows = options.vacuumRows ?? 20_000
  const vacuumEveryMs = options.vacuumEveryMs ?? 5_000
  let sinceVacuum = 0
  let lastVacuum = Date.now()
  const vacuumIfDue = async () => {
    if (sinceVacuum < vacuumRows || Date.now() - lastVacuum < vacuumEveryMs) return
    sinceVacuum = 0
    lastVacuum = Date.now()
    await db.$client
      .unsafe('VACUUM (SKIP_LOCKED) intake_log')
      .catch((err) => log.error({ err }, 'intake linker: VACUUM failed'))
  }

  const loop = async () => {
    lastPass = 0
    do {
      again = false
      while (!stopped) {
        let linked: unknown[]
        try {
          linked = await linkIntakeBatch(db, boss, batch)
        } catch (err) {
          // One row may be what fails the batch: link the oldest alone, or set it aside.
          log.error({ err }, 'intake linker: a batch failed; linking the oldest row alone')
          if (await linkOldestOrSetAside(db, boss))
            log.error('intake linker: a row that cannot be linked was set aside in intake_failed')
          continue
        }
        sinceVacuum += linked.length
        lastPass += linked.length
        await vacuumIfDue()
        if (linked.length < batch) break
      }
    } while (again && !stopped)
  }
  const run = () => {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = loop()
      .catch((err) => log.error({ err }, 'intake linker: batch failed; retried at the next wake-up'))
      .finally(() => {
        running = null
      })
  }
  const onNotify = () => {
    if (gather || stopped) return
    gather = setTimeout(
      () => {
        gather = null
        run()
      },
      lastPass >= busyRows ? busyGatherMs : gatherMs,
    )
  }
  const listener = await db.$client.listen(INTAKE_CHANNEL, onNotify)
  const timer = setInterval(run, options.pollMs ?? 1000)
  run()
  return async () => {
    stopped = true
    clearInterval(timer)
    if (gather) clearTimeout(gather)
    await listener.unlisten().catch(() => {})
    await running
  }
}
