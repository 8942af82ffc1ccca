import type { z } from 'zod'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import type { Logger } from '../../log.ts'
import type { Actor } from '../../policy/actor.ts'
import type { Permission } from '../../policy/permissions.ts'
import type { IncidentFacts } from './incident-facts.ts'

/** What a response's `run`/`undo` gets: the database, secrets, the acting identity and the incident's facts. */
export type ResponseContext = {
  db: Db
  keyring: Keyring
  log: Logger
  signal: AbortSignal
  /** the data directory (blobs: stored original messages) */
  dataDir: string
  /** the requester for a button press, the system for automatic runs */
  actor: Actor
  runId: number
  incidentId: number
  facts: IncidentFacts
}

export type ResponseOutcome = { status: 'succeeded' | 'partial'; details: Record<string, unknown> }

/**
 * A response plug-in. `run` must be idempotent (a retried job calls it again for the same run):
 * it acts on one target and reports what it did. `undo`, where it exists, reverses one run.
 * Throwing ConnectorError/AppError lets the job layer retry or dead-letter.
 */
export type ResponseType<P = unknown> = {
  type: string
  title: string
  params: z.ZodType<P>
  /** a permission needed on top of responses.run to request, press, approve or undo it (e.g. quarantine) */
  permission?: Permission
  /** the values one incident gives this response (one run each), e.g. every sender domain; [''] for one run */
  targets(params: P, facts: IncidentFacts): string[]
  run(params: P, target: string, ctx: ResponseContext): Promise<ResponseOutcome>
  undo?(params: P, target: string, ctx: ResponseContext): Promise<ResponseOutcome>
}
