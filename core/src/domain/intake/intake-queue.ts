import type { Db } from '../../db/client.ts'
import { metrics } from '../../metrics.ts'
import { type AppendedAlert, appendIntake } from './append-intake.ts'
import type { PendingAlert } from './store-alerts.ts'

type Waiting = { item: PendingAlert; resolve: (r: AppendedAlert) => void; reject: (e: unknown) => void }

/**
 * Group commit for intake (DESIGN.md "The flow of an alert"): alerts submitted while a flush is
 * running wait in memory and are appended together to the durable intake log by the next
 * transaction (`append-intake.ts`; the linker links them later, `link-intake-batch.ts`). Each submitter's promise
 * settles only after the transaction holding its alert committed (resolve) or failed (reject).
 * When a batch fails, its alerts are retried one by one so one bad alert cannot fail the others;
 * nothing is ever acknowledged without a commit.
 */
export class IntakeQueue {
  readonly db: Db
  readonly maxBatch: number
  readonly maxFlushes: number
  private waiting: Waiting[] = []
  private flushing = 0
  private scheduled = false

  constructor(db: Db, options: { maxBatch?: number; maxFlushes?: number } = {}) {
    this.db = db
    this.maxBatch = options.maxBatch ?? 400
    this.maxFlushes = options.maxFlushes ?? 4
  }

  /** Resolves once the alert is committed to the intake log, with its alert id. */
  submit(item: PendingAlert): Promise<AppendedAlert> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject })
      this.kick()
    })
  }

  private kick() {
    if (this.scheduled || this.flushing >= this.maxFlushes || this.waiting.length === 0) return
    this.scheduled = true
    // setImmediate lets requests parsed in the same event-loop turn join the batch.
    setImmediate(() => {
      this.scheduled = false
      void this.flush()
    })
  }

  private async flush() {
    if (this.flushing >= this.maxFlushes || this.waiting.length === 0) return
    this.flushing++
    const batch = this.waiting.splice(0, this.maxBatch)
    const started = performance.now()
    try {
      const stored = await appendIntake(
        this.db,
        batch.map((w) => w.item),
      )
      for (const [i, w] of batch.entries()) w.resolve(stored[i]!)
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(err)
      else {
        for (const w of batch) {
          try {
            const [one] = await appendIntake(this.db, [w.item])
            w.resolve(one!)
          } catch (e) {
            w.reject(e)
          }
        }
      }
    } finally {
      metrics.intakeBatch.observe({}, (performance.now() - started) / 1000)
      this.flushing--
      this.kick()
    }
  }
}

const queues = new WeakMap<Db, IntakeQueue>()

/** The process's intake queue for this database (one per Db handle). */
export const intakeQueueFor = (db: Db) => {
  let q = queues.get(db)
  if (!q) {
    q = new IntakeQueue(db)
    queues.set(db, q)
  }
  return q
}
