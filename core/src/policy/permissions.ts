/** Every permission a team can grant. Teams are the roles: members get the union. */
export const PERMISSIONS = [
  'incidents.read',
  'incidents.write',
  'investigations.read',
  'investigations.write',
  'alerts.read',
  'lists.read',
  'lists.write',
  'sources.read',
  'sources.write',
  'responses.run',
  /** run and undo mail quarantine (on top of responses.run) */
  'quarantine',
  'users.manage',
  'teams.manage',
  'api_keys.manage',
  'fields.manage',
  'audit.read',
  'system.manage',
  'scripts.manage',
] as const

export type Permission = (typeof PERMISSIONS)[number]

export const isPermission = (p: string): p is Permission => (PERMISSIONS as readonly string[]).includes(p)

/** Built-in teams created at first start. Admins get every permission except script authoring. */
export const BUILTIN_TEAMS = [
  {
    name: 'Admins',
    description: 'Administer Clawback',
    permissions: PERMISSIONS.filter((p) => p !== 'scripts.manage'),
  },
  {
    name: 'Script-Admins',
    description: 'Author and manage scripted responses',
    permissions: ['scripts.manage', 'incidents.read', 'alerts.read'] as Permission[],
  },
  {
    name: 'Analysts',
    description: 'Triage and respond to incidents',
    permissions: [
      'incidents.read',
      'incidents.write',
      'investigations.read',
      'investigations.write',
      'alerts.read',
      'lists.read',
      'lists.write',
      'sources.read',
      'responses.run',
      'quarantine',
    ] as Permission[],
  },
] as const

/** The union of some teams' permissions (unknown names, left by an older release, are dropped). */
export const permissionsOfTeams = (rows: { permissions: string[] }[]) => {
  const set = new Set<Permission>()
  for (const r of rows) for (const p of r.permissions) if (isPermission(p)) set.add(p)
  return set
}
