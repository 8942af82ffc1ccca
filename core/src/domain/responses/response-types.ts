import type { ResponseType } from './response-type.ts'
import { emailNotify } from './types/email-notify.ts'
import { incidentAssign } from './types/incident-assign.ts'
import { incidentClose } from './types/incident-close.ts'
import { incidentSetFields } from './types/incident-set-fields.ts'
import { listAdd } from './types/list-add.ts'
import { listRemove } from './types/list-remove.ts'
import { mailQuarantine } from './types/mail-quarantine.ts'
import { submitForAnalysis } from './types/submit-for-analysis.ts'
import { webhookPost } from './types/webhook-post.ts'

/**
 * Every response type, explicitly listed. Later issues add quarantine (mail.remediate), directory
 * actions, firewall pushes, scripts: one file under types/ and one line here.
 */
export const RESPONSE_TYPES: ResponseType<never>[] = [
  listAdd,
  listRemove,
  emailNotify,
  webhookPost,
  incidentClose,
  incidentAssign,
  incidentSetFields,
  mailQuarantine,
  submitForAnalysis,
] as ResponseType<never>[]

export const responseTypeOf = (type: string): ResponseType<unknown> | undefined =>
  RESPONSE_TYPES.find((t) => t.type === type) as ResponseType<unknown> | undefined
