import type { Context, Hono } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { guard } from '../../../core/src/api/middleware/auth.ts'
import { agentPage } from './agent-page.ts'
import { agentSave } from './agent-save.ts'
import { backupCreate } from './backup-create.ts'
import { backupDelete } from './backup-delete.ts'
import { backupDownload } from './backup-download.ts'
import { backupList } from './backup-list.ts'
import { backupRestore } from './backup-restore.ts'
import { backupSchedule } from './backup-schedule.ts'
import { backupUpload } from './backup-upload.ts'
import { backupVerify } from './backup-verify.ts'
import { connectionsPage } from './connections-page.ts'
import { connectorCreate } from './connector-create.ts'
import { connectorDelete } from './connector-delete.ts'
import { connectorEdit } from './connector-edit.ts'
import { connectorNew } from './connector-new.ts'
import { connectorTest } from './connector-test.ts'
import { connectorUpdate } from './connector-update.ts'
import { hostSettingsPage } from './host-settings-page.ts'
import { hostSettingsSave } from './host-settings-save.ts'
import { notificationSettingsSave } from './notification-settings-save.ts'
import { opStatus } from './op-status.ts'
import { proxySave } from './proxy-save.ts'
import { secretExport } from './secret-export.ts'
import { secretImport } from './secret-import.ts'
import { secretPage } from './secret-page.ts'
import { secretRotate } from './secret-rotate.ts'
import { systemJobRetry } from './system-job-retry.ts'
import { systemPage } from './system-page.ts'
import { tlsCertificate } from './tls-certificate.ts'
import { tlsCsr } from './tls-csr.ts'
import { tlsPage } from './tls-page.ts'
import { tlsSettings } from './tls-settings.ts'
import { upgradeApply } from './upgrade-apply.ts'
import { upgradePage } from './upgrade-page.ts'
import { upgradeUpload } from './upgrade-upload.ts'

const admin = () => guard({ auth: 'actor', ui: true, permission: 'system.manage' })
const view = (h: (c: Context<AppEnv>) => unknown) => (c: Context<AppEnv>) => h(c) as Response

/** The management console's route table (console role only; every page needs system.manage). */
export const mountConsolePages = (app: Hono<AppEnv>) => {
  app.get(
    '/system',
    admin(),
    view((c) => systemPage(c)),
  )
  app.post('/system/jobs/:queue/:id/retry', admin(), systemJobRetry)
  app.get(
    '/host',
    admin(),
    view((c) => hostSettingsPage(c)),
  )
  app.post('/host', admin(), hostSettingsSave)
  app.get('/ops/:id', admin(), opStatus)
  app.get(
    '/backups',
    admin(),
    view((c) => backupList(c)),
  )
  app.post('/backups', admin(), backupCreate)
  app.post('/backups/upload', admin(), backupUpload)
  app.post('/backups/schedule', admin(), backupSchedule)
  app.get('/backups/:name/download', admin(), backupDownload)
  app.post('/backups/:name/verify', admin(), backupVerify)
  app.post('/backups/:name/restore', admin(), backupRestore)
  app.post('/backups/:name/delete', admin(), backupDelete)
  app.get(
    '/secret',
    admin(),
    view((c) => secretPage(c)),
  )
  app.post('/secret/export', admin(), secretExport)
  app.post('/secret/import', admin(), secretImport)
  app.post('/secret/rotate', admin(), secretRotate)
  app.get(
    '/upgrade',
    admin(),
    view((c) => upgradePage(c)),
  )
  app.post('/upgrade/upload', admin(), upgradeUpload)
  app.post('/upgrade/:id/apply', admin(), upgradeApply)
  app.get(
    '/tls',
    admin(),
    view((c) => tlsPage(c)),
  )
  app.post('/tls/csr', admin(), tlsCsr)
  app.post('/tls/certificate', admin(), tlsCertificate)
  app.post('/tls/settings', admin(), tlsSettings)
  app.get(
    '/agent',
    admin(),
    view((c) => agentPage(c)),
  )
  app.post('/agent', admin(), agentSave)
  app.get(
    '/connections',
    admin(),
    view((c) => connectionsPage(c)),
  )
  app.post('/connections/proxy', admin(), proxySave)
  app.post('/connections/notifications', admin(), notificationSettingsSave)
  app.get('/connections/new', admin(), view(connectorNew))
  app.post('/connections/new', admin(), connectorCreate)
  app.get('/connections/:id', admin(), view(connectorEdit))
  app.post('/connections/:id', admin(), connectorUpdate)
  app.post('/connections/:id/test', admin(), connectorTest)
  app.post('/connections/:id/delete', admin(), connectorDelete)
}
