import { z } from 'zod'
import type { DbOrTx } from '../db/client.ts'
import { readSetting } from './settings-store.ts'

/**
 * Workflow notification settings (settings key `notifications`): the score at or above which the
 * assignee (or the team) is told, once per incident; the smtp connector for the e-mails (none:
 * the first enabled smtp connector).
 */
export const ZNotificationSettings = z.object({
  scoreThreshold: z.number().int().min(0).max(1000).default(80),
  connectorId: z.number().int().positive().nullable().default(null),
})
export const NOTIFICATIONS_KEY = 'notifications'

export const readNotificationSettings = (db: DbOrTx) => readSetting(db, NOTIFICATIONS_KEY, ZNotificationSettings)
