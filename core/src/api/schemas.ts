import { z } from 'zod'

/**
 * The shapes the native API answers with. Routes declare them with `output()` (describe.ts); the
 * OpenAPI document is generated from them, and when `Deps.checkResponses` is set (every test app)
 * each JSON answer is checked against its declaration, so a field added, renamed or dropped by the
 * domain fails the tests instead of drifting from the document. Strict objects: an undocumented
 * field is a mismatch too.
 */

/** A timestamp as JSON carries it (Date#toJSON or the SQL `isoZ`). */
export const ZTime = z.iso.datetime({ offset: true })
const ZId = z.number().int()

export const ZError = z.strictObject({
  error: z.strictObject({
    code: z.string().meta({ description: 'stable error code (INVALID_REQUEST, NOT_FOUND, CONFLICT, ...)' }),
    message: z.string().meta({ description: 'safe to show; for 400 it starts with the field name' }),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
})

export const data = <S extends z.ZodType>(schema: S) => z.strictObject({ data: schema })

export const ZDeleted = z.strictObject({ id: ZId, deleted: z.literal(true) })

export const ZSource = z.strictObject({
  id: ZId,
  name: z.string(),
  type: z.string(),
  settings: z.unknown(),
  linkingRules: z.unknown(),
  isEnabled: z.boolean(),
  createdAt: ZTime,
  updatedAt: ZTime,
  url: z.string().optional().meta({ description: 'the POST URL with its token (json sources, when asked)' }),
})

export const ZList = z.strictObject({
  id: ZId,
  name: z.string(),
  type: z.string(),
  description: z.string(),
  createdAt: ZTime,
  updatedAt: ZTime,
  feedUrl: z.string().optional(),
})

export const ZListMember = z.strictObject({
  id: ZId,
  listId: ZId,
  value: z.string(),
  description: z.string(),
  expiresAt: ZTime.nullable(),
  originIncidentId: ZId.nullable(),
  addedBy: ZId.nullable(),
  createdAt: ZTime,
  updatedAt: ZTime,
})

export const ZAttachment = z.strictObject({
  id: ZId,
  incidentId: ZId.nullable(),
  investigationId: ZId.nullable(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  uploadedBy: ZId.nullable(),
  createdAt: ZTime,
})

export const ZIncidentHistory = z.strictObject({
  id: ZId,
  incidentId: ZId,
  userId: ZId.nullable(),
  actorLabel: z.string(),
  historyType: z.string(),
  field: z.string().nullable(),
  stateFrom: z.string().nullable(),
  stateTo: z.string().nullable(),
  summary: z.string(),
  detail: z.string(),
  responseId: ZId.nullable(),
  createdAt: ZTime,
})

export const ZInvestigation = z.strictObject({
  id: ZId,
  name: z.string(),
  description: z.string(),
  state: z.string(),
  teamId: ZId.nullable(),
  assigneeId: ZId.nullable(),
  isPrivate: z.boolean(),
  createdBy: ZId.nullable(),
  createdAt: ZTime,
  updatedAt: ZTime,
  closedAt: ZTime.nullable(),
})

export const ZInvestigationHistory = z.strictObject({
  id: ZId,
  investigationId: ZId,
  userId: ZId.nullable(),
  actorLabel: z.string(),
  historyType: z.string(),
  summary: z.string(),
  detail: z.string(),
  incidentId: ZId.nullable(),
  createdAt: ZTime,
})

export const ZInvestigationDetail = ZInvestigation.extend({
  incidents: z.array(
    z.strictObject({
      id: ZId,
      state: z.string(),
      type: z.string(),
      summary: z.string(),
      severity: z.string(),
      linkedAt: ZTime,
    }),
  ),
  history: z.array(ZInvestigationHistory),
  attachments: z.array(ZAttachment),
})

export const ZInvestigationPage = z.strictObject({
  items: z.array(
    z.strictObject({
      id: ZId,
      name: z.string(),
      state: z.string(),
      isPrivate: z.boolean(),
      teamId: ZId.nullable(),
      createdAt: ZTime,
      updatedAt: ZTime,
      incidentCount: z.number().int(),
    }),
  ),
  nextBeforeId: ZId.optional().meta({ description: 'pass as before_id for the next page' }),
})

const ZStringBool = z.enum(['true', 'false'])
/** One compatible quarantine result (API-COMPAT.md "Shapes"): the booleans as strings, as the incumbent sends them. */
export const ZCompatQuarantineResult = z.strictObject({
  alertSource: z.string(),
  startTime: z.string().nullable(),
  endTime: z.string().nullable(),
  status: z.enum(['successful', 'failed', 'pending']).meta({
    description:
      'successful (also after undo: wasUndone "true"); failed, also for "Message not found" and exempt recipients; pending while under way',
  }),
  recipientType: z.enum(['Original Recipient', 'Distribution List', 'Forwarded', 'Search']),
  recipient: z.string(),
  messageId: z.string(),
  isRead: ZStringBool,
  wasUndone: ZStringBool,
  details: z.string(),
})

/** The compatible incident object: its core fields and quarantine results are checked, the many others passed through. */
export const ZCompatIncident = z
  .object({
    id: ZId,
    summary: z.string(),
    state: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    quarantine_results: z.array(ZCompatQuarantineResult),
    successful_quarantines: z.number().int().nonnegative(),
    failed_quarantines: z.number().int().nonnegative(),
    pending_quarantines: z.number().int().nonnegative(),
  })
  .loose()
  .refine(
    (i) =>
      i.successful_quarantines + i.failed_quarantines + i.pending_quarantines === i.quarantine_results.length &&
      (['successful', 'failed', 'pending'] as const).every(
        (s) => i.quarantine_results.filter((q) => q.status === s).length === i[`${s}_quarantines`],
      ),
    { message: 'the quarantine counters count the results by status' },
  )

export const ZIncidentPage = z.strictObject({
  items: z.array(
    z.strictObject({
      id: ZId,
      state: z.string(),
      type: z.string(),
      severity: z.string(),
      score: z.number(),
      summary: z.string(),
      isPrivate: z.boolean(),
      teamId: ZId.nullable(),
      team: z.string().nullable(),
      assigneeId: ZId.nullable(),
      assignee: z.string().nullable(),
      source: z.string().nullable(),
      abuseDisposition: z.string().nullable(),
      classification: z.string().nullable(),
      alertCount: z.number().int(),
      createdAt: ZTime,
      updatedAt: ZTime,
      closedAt: ZTime.nullable(),
    }),
  ),
  nextCursor: z.string().optional().meta({ description: 'pass as cursor for the next page' }),
  counts: z.record(z.string(), z.number().int()),
})

export const ZIncidentActivity = z.strictObject({
  history: z.array(ZIncidentHistory),
  attachments: z.array(ZAttachment),
})

export const ZField = z.strictObject({
  id: ZId,
  name: z.string(),
  kind: z.string(),
  options: z.array(z.string()),
  isBuiltin: z.boolean(),
  createdAt: ZTime,
})

export const ZUser = z.strictObject({
  id: ZId,
  username: z.string(),
  email: z.string().nullable(),
  displayName: z.string().nullable(),
  isDisabled: z.boolean(),
  lockedUntil: ZTime.nullable(),
  lastLoginAt: ZTime.nullable(),
  createdAt: ZTime,
  teams: z.array(z.string()),
})

export const ZTeam = z.strictObject({
  id: ZId,
  name: z.string(),
  description: z.string(),
  isPrivate: z.boolean(),
  isBuiltin: z.boolean(),
  permissions: z.array(z.string()),
  createdAt: ZTime,
  members: z.array(z.string()).optional().meta({
    description: "usernames (team list only; a private team's are listed only to its members and to teams.manage)",
  }),
})

export const ZApiKey = z.strictObject({
  id: ZId,
  name: z.string(),
  prefix: z.string(),
  createdBy: ZId.nullable(),
  createdAt: ZTime,
  lastUsedAt: ZTime.nullable(),
  expiresAt: ZTime.nullable(),
  revokedAt: ZTime.nullable(),
  teams: z.array(z.string()),
})

export const ZAuditRecord = z.strictObject({
  id: ZId,
  at: ZTime,
  actorUserId: ZId.nullable(),
  actorLabel: z.string(),
  action: z.string(),
  objectType: z.string().nullable(),
  objectId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
  ip: z.string().nullable(),
  requestId: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
})

export const ZFailedJob = z.strictObject({
  id: z.string(),
  queue: z.string(),
  state: z.string(),
  isDeadLetter: z.boolean(),
  sourceQueue: z.string().nullable(),
  retryCount: z.number().int(),
  error: z.unknown(),
  createdAt: ZTime,
  completedAt: ZTime.nullable(),
})

export const ZConnector = z.strictObject({
  id: ZId,
  kind: z.string(),
  name: z.string(),
  settings: z.record(z.string(), z.unknown()),
  secretsSet: z.array(z.string()).meta({ description: 'names of the secrets stored (values are never returned)' }),
  isEnabled: z.boolean(),
  isOnPremises: z.boolean(),
  lastTest: z.strictObject({ at: ZTime, isOk: z.boolean(), message: z.string() }).nullable(),
  createdAt: ZTime,
  updatedAt: ZTime,
})

export const ZConnectorKind = z.strictObject({
  kind: z.string(),
  title: z.string(),
  description: z.string(),
  capabilities: z.array(z.string()),
  settings: z.record(z.string(), z.unknown()).meta({ description: 'JSON Schema of the settings object' }),
  secrets: z.array(z.strictObject({ name: z.string(), label: z.string(), isRequired: z.boolean() })),
  docs: z.string(),
})

const ZResponseSpecOut = z.strictObject({
  type: z.string(),
  params: z.record(z.string(), z.unknown()),
  requiresApproval: z.boolean(),
})
export const ZMatchCondition = z.strictObject({
  id: ZId,
  sourceId: ZId.nullable(),
  position: z.number().int(),
  name: z.string(),
  description: z.string(),
  condition: z
    .unknown()
    .meta({ description: 'condition tree: {all:[..]}, {any:[..]}, {not:..}, {field, op, value}, {}' }),
  responses: z.array(ZResponseSpecOut),
  isAutomatic: z.boolean(),
  isEnabled: z.boolean(),
  continueAfterMatch: z.boolean(),
  createdAt: ZTime,
  updatedAt: ZTime,
})
export const ZDryRun = z.strictObject({
  alertsEvaluated: z.number().int(),
  isTruncated: z.boolean(),
  alertsMatched: z.number().int(),
  incidentsMatched: z.number().int(),
  incidents: z.array(
    z.strictObject({
      incidentId: ZId,
      summary: z.string(),
      alerts: z.number().int(),
      responses: z.array(z.strictObject({ type: z.string(), targets: z.array(z.string()) })),
    }),
  ),
})
export const ZResponseRun = z.strictObject({
  id: ZId,
  type: z.string(),
  title: z.string(),
  target: z.string(),
  status: z
    .string()
    .meta({ description: 'offered, awaiting_approval, queued, running, succeeded, partial, failed, rejected, undone' }),
  matchConditionId: ZId.nullable(),
  attempts: z.number().int(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  canUndo: z.boolean(),
  canRun: z
    .boolean()
    .meta({ description: 'the caller may run, approve or undo it (responses.run and an allowed team)' }),
  createdAt: ZTime,
  finishedAt: ZTime.nullable(),
  undoneAt: ZTime.nullable(),
})

export const ZResponsePermission = z.strictObject({
  type: z.string(),
  title: z.string(),
  canUndo: z.boolean(),
  teamIds: z.array(ZId).meta({ description: 'teams allowed to run it by hand; empty: anyone with responses.run' }),
  canRun: z.boolean().meta({ description: 'the caller may run it by hand' }),
})
