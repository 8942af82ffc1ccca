import { z } from 'zod'
import { jobSpec } from './define-job.ts'

/**
 * Runs (or undoes) one response run (handler: handlers/response-run.ts). Bounded retries with backoff; a permanent failure goes to the
 * dead-letter queue and the run shows `failed` on the incident. Idempotent: a run already finished
 * is not run again, so a job retried after a worker died never acts twice on a finished run.
 */
export const responseRunJob = jobSpec({
  name: 'response.run',
  payload: z.object({ runId: z.number().int().positive(), action: z.enum(['run', 'undo']).default('run') }),
  queue: {
    retryLimit: 4,
    retryDelay: 5,
    retryBackoff: true,
    retryDelayMax: 300,
    expireInSeconds: 300,
    // A worker that dies mid-run stops the heartbeat: the run is retried at the next supervision
    // (a minute) instead of after expireInSeconds.
    heartbeatSeconds: 10,
    deadLetter: 'response.run.dlq',
    notify: true, // woken at commit: a pull starts within milliseconds of its match
  },
})
