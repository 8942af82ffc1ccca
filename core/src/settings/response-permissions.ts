import { z } from 'zod'
import type { DbOrTx } from '../db/client.ts'
import { readSetting } from './settings-store.ts'

/**
 * Which teams may run a response type by hand (settings key `responses.permissions`): a type with
 * a non-empty list is run, pressed, approved and undone only by members of those teams; a type
 * not listed is open to anyone with `responses.run`. Automatic runs are not affected.
 */
export const ZResponsePermissions = z.object({
  teamsByType: z.record(z.string(), z.array(z.number().int().positive())).default({}),
})
export type ResponsePermissions = z.infer<typeof ZResponsePermissions>
export const RESPONSE_PERMISSIONS_KEY = 'responses.permissions'

export const readResponsePermissions = (db: DbOrTx) => readSetting(db, RESPONSE_PERMISSIONS_KEY, ZResponsePermissions)
