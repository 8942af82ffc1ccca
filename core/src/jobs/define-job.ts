import type { PgBoss, Queue } from 'pg-boss'
import type { z } from 'zod'
import type { Keyring } from '../crypto/master-secret.ts'
import type { Db } from '../db/client.ts'
import type { Logger } from '../log.ts'

/** What a job's `run` gets; `boss` so a handler can enqueue follow-up jobs inside its own transaction. */
export type JobContext = { db: Db; boss: PgBoss; log: Logger; signal: AbortSignal; keyring: Keyring; dataDir: string }

/**
 * A job's definition: a dotted name, a payload schema and a queue policy (retries, backoff, dead
 * letter, expiry) — all that enqueuing needs. It holds no handler code, so domain code that
 * enqueues imports only this (`jobs/<name>.ts`); the handler lives in `jobs/handlers/<name>.ts`.
 */
export type JobSpec<P> = {
  name: string
  payload: z.ZodType<P>
  queue: Pick<
    Queue,
    | 'retryLimit'
    | 'retryDelay'
    | 'retryBackoff'
    | 'retryDelayMax'
    | 'expireInSeconds'
    | 'deleteAfterSeconds'
    | 'heartbeatSeconds'
    | 'notify'
  > & {
    /** dead-letter queue name; created before the queue itself */
    deadLetter?: string
  }
  /** a cron expression: pg-boss schedules it once across every worker node */
  cron?: string
  /** a PostgreSQL NOTIFY channel: each worker node sends this job (once per second at most) when it fires */
  notifyChannel?: string
}

/** A definition with its idempotent handler: what a worker runs. The queue owns retries; `run` must be safe to run twice. */
export type JobDef<P> = JobSpec<P> & { run: (data: P, ctx: JobContext) => Promise<unknown> }

/** Declares a job's definition (no handler). */
export const jobSpec = <P>(spec: JobSpec<P>): JobSpec<P> => spec

/** Pairs a definition with its handler (in `jobs/handlers/`); the handler calls a domain function. */
export const withHandler = <P>(spec: JobSpec<P>, run: JobDef<P>['run']): JobDef<P> => ({ ...spec, run })

/** A job of any payload type, for the lists of jobs a process runs. */
// biome-ignore lint/suspicious/noExplicitAny: a list holds jobs whose payload types differ; each is validated by its own schema
export type AnyJobDef = JobDef<any>
