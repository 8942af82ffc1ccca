import { z } from 'zod'
import { parseOr400 } from '../../validation/parse-input.ts'

/** The source type of an abuse mailbox (`sources.type`). */
export const ABUSE_SOURCE_TYPE = 'abuse_mailbox'

/** What an abuse-mailbox source reads: which connector, whose mailbox, which folder, how often. */
export const ZAbuseMailboxSettings = z.strictObject({
  connectorId: z.number().int().positive().meta({ description: 'a connector with the mail.read capability' }),
  mailbox: z.email().max(320).toLowerCase().meta({ description: 'the abuse address (its mailbox)' }),
  folder: z.string().trim().min(1).max(200).default('INBOX'),
  processedFolder: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .default('Clawback Processed')
    .meta({ description: 'processed reports are moved here (created the first time)' }),
  intervalSeconds: z
    .number()
    .int()
    .min(5)
    .max(86_400)
    .default(60)
    .meta({ description: 'poll interval; with IMAP IDLE new mail is read at once and this is the safety net' }),
})
export type AbuseMailboxSettings = z.infer<typeof ZAbuseMailboxSettings>

/** Validates settings (the first issue names the field, `settings.<field>`). @throws AppError INVALID_REQUEST */
export const parseAbuseSettings = (raw: unknown): AbuseMailboxSettings =>
  parseOr400(ZAbuseMailboxSettings, raw, 'settings', 'settings')
