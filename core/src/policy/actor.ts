import { PERMISSIONS, type Permission } from './permissions.ts'

/**
 * Who is acting: a signed-in user, an API key, or the system (jobs, intake). Permissions are the
 * union of the actor's teams'; `teamIds` decides which private incidents it can see.
 */
export type Actor = {
  kind: 'user' | 'api_key' | 'system'
  userId: number | null
  apiKeyId?: number
  label: string
  teamIds: number[]
  permissions: ReadonlySet<Permission>
  ip?: string
  requestId?: string
}

/** The system actor: may do everything, and sees private objects (jobs act for the product). */
export const SYSTEM: Actor = {
  kind: 'system',
  userId: null,
  label: 'system',
  teamIds: [],
  permissions: new Set(PERMISSIONS),
}

export const withRequest = (actor: Actor, ip: string | undefined, requestId: string | undefined): Actor => ({
  ...actor,
  ip,
  requestId,
})
