import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listNotifications } from '../../../core/src/domain/notifications/list-notifications.ts'
import { csrfField } from '../forms.ts'
import { page } from '../views/layout.ts'

const KIND_LABEL: Record<string, string> = {
  assigned: 'Assigned',
  state_changed: 'State changed',
  score: 'Score',
  response_finished: 'Response finished',
  response_failed: 'Response failed',
}

/** GET /notifications: the signed-in user's own notifications, newest first; unread ones marked. */
export const notificationList = async (c: Context<AppEnv>) => {
  const { items, unread } = await listNotifications(c.var.deps.db, c.var.actor!)
  c.header('Cache-Control', 'no-store')
  return page(
    c,
    'Notifications',
    html`<section class="card">
  <h1>Notifications <small id="unread-count">${unread} unread</small></h1>
  ${
    unread
      ? html`<form method="post" action="/notifications/read">${csrfField(c)}<button>Mark all read</button></form>`
      : ''
  }
  ${
    items.length === 0
      ? html`<p class="empty">No notifications.</p>`
      : html`<table class="list"><thead><tr><th>When</th><th>What</th><th>Message</th><th>Incident</th></tr></thead><tbody>
${items.map(
  (n) => html`<tr class="${n.readAt ? 'read' : 'unread'}" data-id="${n.id}">
  <td>${n.createdAt.toISOString().slice(0, 16).replace('T', ' ')}</td>
  <td>${KIND_LABEL[n.kind] ?? n.kind}${n.readAt ? '' : html` <span class="badge">new</span>`}</td>
  <td>${n.message}</td>
  <td>${n.incidentId ? html`<a href="/incidents/${n.incidentId}">#${n.incidentId}</a>` : ''}</td>
</tr>`,
)}</tbody></table>`
  }
</section>`,
  )
}
