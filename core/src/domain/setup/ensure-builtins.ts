import type { Db } from '../../db/client.ts'
import { incidentFields, notificationTemplates, teams } from '../../db/schema/index.ts'
import { BUILTIN_TEAMS } from '../../policy/permissions.ts'
import { DEFAULT_TEMPLATES } from '../responses/render-template.ts'

/** Abuse dispositions and the sub-dispositions allowed under each (API-COMPAT.md). */
export const ABUSE_DISPOSITIONS = [
  'Malicious',
  'Suspicious',
  'Spam',
  'Bulk',
  'Low Risk',
  'False Negative',
  'Known Good',
  'Unknown',
] as const
export const SUB_DISPOSITIONS: Record<string, readonly string[]> = {
  Unknown: ['Needs Manual Review', 'Likely Harmless'],
}

export const BUILTIN_FIELDS = [
  {
    name: 'Classification',
    kind: 'select',
    options: [
      'Phishing',
      'Malware',
      'Spam',
      'Impostor',
      'Policy Violation',
      'Vulnerability',
      'Network',
      'Command and Control',
      'Data Match',
      'Authentication',
      'System Behavior',
      'Reported Abuse',
      'Unknown',
    ],
  },
  { name: 'Attack Vector', kind: 'select', options: ['Email', 'Web', 'Network', 'Endpoint', 'Unknown'] },
  { name: 'Severity', kind: 'select', options: ['Informational', 'Low', 'Medium', 'High', 'Critical'] },
  { name: 'Abuse Disposition', kind: 'select', options: [...ABUSE_DISPOSITIONS] },
  { name: 'Sub Disposition', kind: 'select', options: ['Needs Manual Review', 'Likely Harmless'] },
] as const

/**
 * Creates the built-in teams and incident fields when missing. Idempotent; keeps an admin's later
 * edits to built-in teams' permissions (only inserts what is absent).
 */
export const ensureBuiltins = async (db: Db) => {
  await db
    .insert(teams)
    .values(
      BUILTIN_TEAMS.map((t) => ({
        name: t.name,
        description: t.description,
        permissions: [...t.permissions],
        isBuiltin: true,
      })),
    )
    .onConflictDoNothing()
  await db
    .insert(incidentFields)
    .values(BUILTIN_FIELDS.map((f) => ({ name: f.name, kind: f.kind, options: [...f.options], isBuiltin: true })))
    .onConflictDoNothing()
  // The two default notification templates (quarantined, released); an admin may edit them.
  await db
    .insert(notificationTemplates)
    .values(DEFAULT_TEMPLATES.map((t) => ({ ...t, isBuiltin: true })))
    .onConflictDoNothing()
}
