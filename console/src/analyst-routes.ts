import type { Hono } from 'hono'
import type { AppEnv } from '../../core/src/api/env.ts'
import { guard } from '../../core/src/api/middleware/auth.ts'
import { abuseMailboxCreate } from './analyst/abuse-mailbox-create.ts'
import { abuseMailboxNew } from './analyst/abuse-mailbox-new.ts'
import { abuseMailboxTest } from './analyst/abuse-mailbox-test.ts'
import { adminHome } from './analyst/admin-home.ts'
import { alertOriginal } from './analyst/alert-original.ts'
import { apiKeyCreate } from './analyst/api-key-create.ts'
import { apiKeyList } from './analyst/api-key-list.ts'
import { apiKeyRevoke } from './analyst/api-key-revoke.ts'
import { attachmentAdd } from './analyst/attachment-add.ts'
import { attachmentDownload } from './analyst/attachment-download.ts'
import { auditList } from './analyst/audit-list.ts'
import { auditVerify } from './analyst/audit-verify.ts'
import { conditionDelete } from './analyst/condition-delete.ts'
import { conditionDryRun } from './analyst/condition-dry-run.ts'
import { conditionEdit, conditionNew } from './analyst/condition-edit.ts'
import { conditionList } from './analyst/condition-list.ts'
import { conditionParams } from './analyst/condition-params.ts'
import { conditionCreate, conditionUpdate } from './analyst/condition-save.ts'
import { dashboardShow } from './analyst/dashboard-show.ts'
import { fieldCreate } from './analyst/field-create.ts'
import { fieldDelete } from './analyst/field-delete.ts'
import { fieldList } from './analyst/field-list.ts'
import { fieldUpdate } from './analyst/field-update.ts'
import { incidentAlerts } from './analyst/incident-alerts.ts'
import { incidentAssign } from './analyst/incident-assign.ts'
import { incidentBulk } from './analyst/incident-bulk.ts'
import { incidentComment } from './analyst/incident-comment.ts'
import { incidentCounts } from './analyst/incident-counts.ts'
import { incidentDescription } from './analyst/incident-description.ts'
import { incidentFields } from './analyst/incident-fields.ts'
import { incidentHostAdd } from './analyst/incident-host-add.ts'
import { incidentHostRemove } from './analyst/incident-host-remove.ts'
import { incidentList } from './analyst/incident-list.ts'
import { incidentQuarantine } from './analyst/incident-quarantine.ts'
import { incidentQuarantinePreview } from './analyst/incident-quarantine-preview.ts'
import { incidentShow } from './analyst/incident-show.ts'
import { incidentState } from './analyst/incident-state.ts'
import { incidentUsers } from './analyst/incident-users.ts'
import { investigationComment } from './analyst/investigation-comment.ts'
import { investigationCreate } from './analyst/investigation-create.ts'
import { investigationLink } from './analyst/investigation-link.ts'
import { investigationList } from './analyst/investigation-list.ts'
import { investigationShow } from './analyst/investigation-show.ts'
import { investigationState } from './analyst/investigation-state.ts'
import { listCreate } from './analyst/list-create.ts'
import { listIndex } from './analyst/list-index.ts'
import { listMemberAdd, listMemberDelete } from './analyst/list-member.ts'
import { listShow } from './analyst/list-show.ts'
import { notificationList } from './analyst/notification-list.ts'
import { notificationRead } from './analyst/notification-read.ts'
import { responsePermissionList } from './analyst/response-permission-list.ts'
import { responsePermissionUpdate } from './analyst/response-permission-update.ts'
import { responseRunAct } from './analyst/response-run-act.ts'
import { sourceCreate } from './analyst/source-create.ts'
import { sourceList } from './analyst/source-list.ts'
import { sourceShow } from './analyst/source-show.ts'
import { sourceTest } from './analyst/source-test.ts'
import { sourceUpdate } from './analyst/source-update.ts'
import { sourceUpload } from './analyst/source-upload.ts'
import { teamCreate, teamCreateForm } from './analyst/team-create.ts'
import { teamEdit } from './analyst/team-edit.ts'
import { teamList } from './analyst/team-list.ts'
import { teamMember } from './analyst/team-member.ts'
import { teamUpdate } from './analyst/team-update.ts'
import { templateDelete } from './analyst/template-delete.ts'
import { templateEdit, templateNew } from './analyst/template-edit.ts'
import { templateList } from './analyst/template-list.ts'
import { templatePreviewShow } from './analyst/template-preview.ts'
import { templateCreate, templateUpdate } from './analyst/template-save.ts'
import { templateTestSend } from './analyst/template-test-send.ts'
import { userCreate, userCreateForm } from './analyst/user-create.ts'
import { userDisable } from './analyst/user-disable.ts'
import { userEdit } from './analyst/user-edit.ts'
import { userList } from './analyst/user-list.ts'
import { userPassword } from './analyst/user-password.ts'
import { userTeams } from './analyst/user-teams.ts'

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
  const quarantine = { ...ui, permission: 'quarantine', object: 'incident' } as const
  app.get('/incidents/:id/quarantine', guard(quarantine), incidentQuarantinePreview)
  app.post('/incidents/:id/quarantine', guard(quarantine), incidentQuarantine)
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
  app.get('/sources/abuse-mailbox/new', guard({ ...ui, permission: 'sources.write' }), abuseMailboxNew)
  app.post('/sources/abuse-mailbox', guard({ ...ui, permission: 'sources.write' }), abuseMailboxCreate)
  app.post('/sources/abuse-mailbox/test', guard({ ...ui, permission: 'sources.write' }), abuseMailboxTest)
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

  const srcRead = { ...ui, permission: 'sources.read' } as const
  const srcWrite = { ...ui, permission: 'sources.write' } as const
  app.get('/responses/templates', guard(srcRead), templateList)
  app.get('/responses/templates/new', guard(srcWrite), templateNew)
  app.post('/responses/templates', guard(srcWrite), templateCreate)
  app.post('/responses/templates/preview', guard(srcRead), templatePreviewShow)
  app.get('/responses/templates/:id', guard(srcRead), templateEdit)
  app.post('/responses/templates/:id', guard(srcWrite), templateUpdate)
  app.post('/responses/templates/:id/preview', guard(srcRead), templatePreviewShow)
  app.post('/responses/templates/:id/test-send', guard(srcWrite), templateTestSend)
  app.post('/responses/templates/:id/delete', guard(srcWrite), templateDelete)
  app.get('/responses/permissions', guard({ ...ui, permission: 'responses.run' }), responsePermissionList)
  app.post('/responses/permissions/:type', guard({ ...ui, permission: 'teams.manage' }), responsePermissionUpdate)

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
