import { matchAlerts } from '../../domain/matching/match-alerts.ts'
import { alertMatchJob } from '../alert-match.ts'
import { withHandler } from '../define-job.ts'

export const alertMatchWorker = withHandler(alertMatchJob, ({ alerts }, { db, boss }) => matchAlerts(db, boss, alerts))
