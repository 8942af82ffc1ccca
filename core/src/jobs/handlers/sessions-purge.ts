import { purgeSessions } from '../../domain/sessions/purge-sessions.ts'
import { withHandler } from '../define-job.ts'
import { sessionsPurgeJob } from '../sessions-purge.ts'

export const sessionsPurgeWorker = withHandler(sessionsPurgeJob, (_data, { db }) => purgeSessions(db))
