import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { setNotificationSettings } from '../../../core/src/domain/notifications/set-notification-settings.ts'
import { one, readForm } from '../forms.ts'
import { connectionsPage } from './connections-page.ts'
import { userMessage } from './view.ts'

const intOrRaw = (v: string) => (/^\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : v)

/** POST /connections/notifications: the e-mail connector and score threshold of workflow notifications. */
export const notificationSettingsSave = async (c: Context<AppEnv>) => {
  const form = await readForm(c)
  try {
    const connector = one(form, 'connectorId')
    await setNotificationSettings(c.var.deps.db, c.var.actor!, {
      connectorId: connector ? intOrRaw(connector) : null,
      scoreThreshold: intOrRaw(one(form, 'scoreThreshold')),
    })
    return connectionsPage(c, { notice: 'Notification settings saved.' })
  } catch (err) {
    return connectionsPage(c, { error: userMessage(err) }, 422)
  }
}
