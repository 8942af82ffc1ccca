import { Hono } from 'hono'
import { abuseMailboxesApi } from './abuse-mailboxes/index.ts'
import { apiKeys } from './api-keys/index.ts'
import { audit } from './audit/index.ts'
import { compatIncidents } from './compat/incidents.ts'
import { compatLists } from './compat/lists.ts'
import { connectorsApi } from './connectors/index.ts'
import type { AppEnv } from './env.ts'
import { feeds } from './feeds/index.ts'
import { incidentFieldsApi } from './incident-fields/index.ts'
import { incidentsApi } from './incidents/index.ts'
import { intake } from './intake/index.ts'
import { investigationsApi } from './investigations/index.ts'
import { jobs } from './jobs/index.ts'
import { listsApi } from './lists/index.ts'
import { matchConditionsApi } from './match-conditions/index.ts'
import { httpMetrics, metricsApi } from './metrics/index.ts'
import { notificationTemplatesApi } from './notification-templates/index.ts'
import { notificationsApi } from './notifications/index.ts'
import { openapiApi } from './openapi/index.ts'
import { quarantineApi } from './quarantine/index.ts'
import { responsesApi } from './responses/index.ts'
import { sourcesApi } from './sources/index.ts'
import { teams } from './teams/index.ts'
import { users } from './users/index.ts'

/** The one REST route table: each resource module brings its own paths. */
export const apiRoutes = new Hono<AppEnv>()
apiRoutes.use('*', httpMetrics)
for (const module of [users, teams, apiKeys, audit, jobs]) apiRoutes.route('/', module)
for (const module of [
  intake,
  compatIncidents,
  compatLists,
  feeds,
  sourcesApi,
  abuseMailboxesApi,
  connectorsApi,
  matchConditionsApi,
  responsesApi,
  quarantineApi,
  incidentsApi,
  incidentFieldsApi,
  investigationsApi,
  listsApi,
  notificationsApi,
  notificationTemplatesApi,
  metricsApi,
  openapiApi,
])
  apiRoutes.route('/', module)
