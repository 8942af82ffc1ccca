import type { Hono } from 'hono'
import type { AppEnv } from '../../core/src/api/env.ts'
import { guard } from '../../core/src/api/middleware/auth.ts'
import { abuseMailboxCreate } from './handlers/abuse-mailbox-create.ts'
import { adminHome } from './handlers/admin-home.ts'
import { alertOriginal } from './handlers/alert-original.ts'
import { apiKeyCreate } from './handlers/api-key-create.ts'
import { apiKeyList } from './handlers/api-key-list.ts'
import { apiKeyRevoke } from './handlers/api-key-revoke.ts'
import { attachmentAdd } from './handlers/attachment-add.ts'
import { attachmentDownload } from './handlers/attachment-download.ts'
import { auditList } from './handlers/audit-list.ts'
import { auditVerify } from './handlers/audit-verify.ts'
import { conditionDelete } from './handlers/condition-delete.ts'
import { conditionDryRun } from './handlers/condition-dry-run.ts'
import { conditionEdit, conditionNew } from './handlers/condition-edit.ts'
import { conditionList } from './handlers/condition-list.ts'
import { conditionParams } from './handlers/condition-params.ts'
import { conditionCreate, conditionUpdate } from './handlers/condition-save.ts'
import { dashboardShow } from './handlers/dashboard-show.ts'
import { fieldCreate } from './handlers/field-create.ts'
import { fieldDelete } from './handlers/field-delete.ts'
import { fieldList } from './handlers/field-list.ts'
import { fieldUpdate } from './handlers/field-update.ts'
import { incidentAlerts } from './handlers/incident-alerts.ts'
import { incidentAssign } from './handlers/incident-assign.ts'
import { incidentBulk } from './handlers/incident-bulk.ts'
import { incidentComment } from './handlers/incident-comment.ts'
import { incidentCounts } from './handlers/incident-counts.ts'
import { incidentDescription } from './handlers/incident-description.ts'
import { incidentFields } from './handlers/incident-fields.ts'
import { incidentHostAdd } from './handlers/incident-host-add.ts'
import { incidentHostRemove } from './handlers/incident-host-remove.ts'
import { incidentList } from './handlers/incident-list.ts'
import { incidentShow } from './handlers/incident-show.ts'
import { incidentState } from './handlers/incident-state.ts'
import { incidentUsers } from './handlers/incident-users.ts'
import { investigationComment } from './handlers/investigation-comment.ts'
import { investigationCreate } from './handlers/investigation-create.ts'
import { investigationLink } from './handlers/investigation-link.ts'
import { investigationList } from './handlers/investigation-list.ts'
import { investigationShow } from './handlers/investigation-show.ts'
import { investigationState } from './handlers/investigation-state.ts'
import { listCreate } from './handlers/list-create.ts'
import { listIndex } from './handlers/list-index.ts'
import { listMemberAdd, listMemberDelete } from './handlers/list-member.ts'
import { listShow } from './handlers/list-show.ts'
import { notificationList } from './handlers/notification-list.ts'
import { notificationRead } from './handlers/notification-read.ts'
import { responseRunAct } from './handlers/response-run-act.ts'
import { sourceCreate } from './handlers/source-create.ts'
import { sourceList } from './handlers/source-list.ts'
import { sourceShow } from './handlers/source-show.ts'
import { sourceTest } from './handlers/source-test.ts'
import { sourceUpdate } from './handlers/source-update.ts'
import { sourceUpload } from './handlers/source-upload.ts'
import { teamCreate, teamCreateForm } from './handlers/team-create.ts'
import { teamEdit } from './handlers/team-edit.ts'
import { teamList } from './handlers/team-list.ts'
import { teamMember } from './handlers/team-member.ts'
import { teamUpdate } from './handlers/team-update.ts'
import { userCreate, userCreateForm } from './handlers/user-create.ts'
import { userDisable } from './handlers/user-disable.ts'
import { userEdit } from './handlers/user-edit.ts'
import { userList } from './handlers/user-list.ts'
import { userPassword } from './handlers/user-password.ts'
import { userTeams } from './handlers/user-teams.ts'

const ui = { auth: 'actor', ui: true } as const

/** The analyst UI's route table: every page and form action, each behind its guard. */
export const mountAnalystRoutes = (app: Hono<AppEnv>) => {
  app.get('/dashboard', guard({ ...ui, permission: 'incidents.read' }), dashboardShow)

  const read = { ...ui, permission: 'incidents.read' } as const
  const write = { ...ui, permission: 'incidents.write' } as const
  app.get('/incidents', guard(read), incidentList)
  app.get('/incidents/counts', guard(read), incidentCounts)
  app.post('/incidents/bulk', guard(write), incidentBulk)
  app.get('/incidents/:id', guard({ ...read, object: 'incident' }), incidentShow)
  app.get('/incidents/:id/alerts', guard({ ...read, object: 'incident' }), incidentAlerts)
  app.post('/incidents/:id/state', guard({ ...write, object: 'incident' }), incidentState)
  app.post('/incidents/:id/assign', guard({ ...write, object: 'incident' }), incidentAssign)
  app.post('/incidents/:id/description', guard({ ...write, object: 'incident' }), incidentDescription)
  app.post('/incidents/:id/comments', guard({ ...write, object: 'incident' }), incidentComment)
  app.post('/incidents/:id/fields', guard({ ...write, object: 'incident' }), incidentFields)
  app.post('/incidents/:id/users', guard({ ...write, object: 'incident' }), incidentUsers)
  app.post('/incidents/:id/hosts', guard({ ...write, object: 'incident' }), incidentHostAdd)
  app.post('/incidents/:id/hosts/remove', guard({ ...write, object: 'incident' }), incidentHostRemove)
  app.post('/incidents/:id/attachments', guard({ ...write, object: 'incident' }), attachmentAdd('incident'))
  app.post('/response-runs/:id/:act', guard({ ...ui, permission: 'responses.run' }), responseRunAct)
  app.get('/attachments/:id', guard(ui), attachmentDownload)
  app.get('/alerts/:id/original', guard({ ...ui, permission: 'alerts.read' }), alertOriginal)

  const invRead = { ...ui, permission: 'investigations.read' } as const
  const invWrite = { ...ui, permission: 'investigations.write', object: 'investigation' } as const
  app.get('/investigations', guard(invRead), investigationList)
  app.post('/investigations', guard({ ...ui, permission: 'investigations.write' }), investigationCreate)
  app.get('/investigations/:id', guard({ ...invRead, object: 'investigation' }), investigationShow)
  app.post('/investigations/:id/links', guard(invWrite), investigationLink)
  app.post('/investigations/:id/comments', guard(invWrite), investigationComment)
  app.post('/investigations/:id/state', guard(invWrite), investigationState)
  app.post('/investigations/:id/attachments', guard(invWrite), attachmentAdd('investigation'))

  app.get('/lists', guard({ ...ui, permission: 'lists.read' }), listIndex)
  app.post('/lists', guard({ ...ui, permission: 'lists.write' }), listCreate)
  app.get('/lists/:id', guard({ ...ui, permission: 'lists.read' }), listShow)
  app.post('/lists/:id/members', guard({ ...ui, permission: 'lists.write' }), listMemberAdd)
  app.post('/lists/:id/members/:memberId/delete', guard({ ...ui, permission: 'lists.write' }), listMemberDelete)

  app.get('/sources', guard({ ...ui, permission: 'sources.read' }), sourceList)
  app.post('/sources', guard({ ...ui, permission: 'sources.write' }), sourceCreate)
  app.post('/sources/abuse-mailbox', guard({ ...ui, permission: 'sources.write' }), abuseMailboxCreate)
  app.get('/sources/:id', guard({ ...ui, permission: 'sources.read' }), sourceShow)
  app.post('/sources/:id', guard({ ...ui, permission: 'sources.write' }), sourceUpdate)
  app.post('/sources/:id/upload', guard({ ...ui, permission: 'sources.write' }), sourceUpload)
  app.post('/sources/:id/test', guard({ ...ui, permission: 'sources.write' }), sourceTest)
  app.get('/sources/:id/conditions', guard({ ...ui, permission: 'sources.read' }), conditionList)
  app.get('/sources/:id/conditions/new', guard({ ...ui, permission: 'sources.write' }), conditionNew)
  app.post('/sources/:id/conditions', guard({ ...ui, permission: 'sources.write' }), conditionCreate)
  app.post('/sources/:id/conditions/dry-run', guard({ ...ui, permission: 'sources.read' }), conditionDryRun)
  app.get('/match-conditions/params', guard({ ...ui, permission: 'sources.write' }), conditionParams)
  app.get('/match-conditions/:id', guard({ ...ui, permission: 'sources.read' }), conditionEdit)
  app.post('/match-conditions/:id', guard({ ...ui, permission: 'sources.write' }), conditionUpdate)
  app.post('/match-conditions/:id/delete', guard({ ...ui, permission: 'sources.write' }), conditionDelete)

  app.get('/notifications', guard(ui), notificationList)
  app.post('/notifications/read', guard(ui), notificationRead)

  app.get('/admin', guard(ui), adminHome)
  app.get('/admin/users', guard({ ...ui, permission: 'users.manage' }), userList)
  app.get('/admin/users/new', guard({ ...ui, permission: 'users.manage' }), userCreateForm)
  app.post('/admin/users', guard({ ...ui, permission: 'users.manage' }), userCreate)
  app.get('/admin/users/:id', guard({ ...ui, permission: 'users.manage' }), userEdit)
  app.post('/admin/users/:id/password', guard({ ...ui, permission: 'users.manage' }), userPassword)
  app.post('/admin/users/:id/disable', guard({ ...ui, permission: 'users.manage' }), userDisable)
  app.post('/admin/users/:id/teams', guard({ ...ui, permission: 'teams.manage' }), userTeams)

  app.get('/admin/teams', guard({ ...ui, permission: 'teams.manage' }), teamList)
  app.get('/admin/teams/new', guard({ ...ui, permission: 'teams.manage' }), teamCreateForm)
  app.post('/admin/teams', guard({ ...ui, permission: 'teams.manage' }), teamCreate)
  app.get('/admin/teams/:id', guard({ ...ui, permission: 'teams.manage' }), teamEdit)
  app.post('/admin/teams/:id', guard({ ...ui, permission: 'teams.manage' }), teamUpdate)
  app.post('/admin/teams/:id/members', guard({ ...ui, permission: 'teams.manage' }), teamMember)

  app.get('/admin/api-keys', guard({ ...ui, permission: 'api_keys.manage' }), apiKeyList)
  app.post('/admin/api-keys', guard({ ...ui, permission: 'api_keys.manage' }), apiKeyCreate)
  app.post('/admin/api-keys/:id/revoke', guard({ ...ui, permission: 'api_keys.manage' }), apiKeyRevoke)

  app.get('/admin/fields', guard({ ...ui, permission: 'fields.manage' }), fieldList)
  app.post('/admin/fields', guard({ ...ui, permission: 'fields.manage' }), fieldCreate)
  app.post('/admin/fields/:id', guard({ ...ui, permission: 'fields.manage' }), fieldUpdate)
  app.post('/admin/fields/:id/delete', guard({ ...ui, permission: 'fields.manage' }), fieldDelete)

  app.get('/admin/audit', guard({ ...ui, permission: 'audit.read' }), auditList)
  app.get('/admin/audit/verify', guard({ ...ui, permission: 'audit.read' }), auditVerify)
}
