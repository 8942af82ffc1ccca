import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, notificationTemplates, teams } from '../../core/src/db/schema/index.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeUser, signInAs } from '../harness/factories.ts'
import { type SmtpPeer, startSmtpPeer } from '../peers/smtp.ts'

// The analyst UI's notification template editor and response-type run permissions page: form
// routes through app.request(), the test send to a real SMTP server.
type Session = { cookie: string; csrf: string }
let t: TestApp
let smtp: SmtpPeer
let admin: Session
let analyst: Session
let adminKey = ''
let connectorId = 0

beforeAll(async () => {
  t = await startTestApp()
  smtp = await startSmtpPeer()
  admin = await signInAs(t.api, (await makeUser(t.deps.db, ['Admins'])).user.username)
  analyst = await signInAs(t.api, (await makeUser(t.deps.db, ['Analysts'])).user.username)
  adminKey = await makeApiKey(t.deps.db, ['Admins'])
  const res = await t.api.request('/api/v1/connectors', {
    method: 'POST',
    headers: { authorization: adminKey, 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: 'smtp',
      name: 'relay',
      settings: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'soc@corp.example' },
      isOnPremises: true,
    }),
  })
  connectorId = ((await res.json()) as { data: { id: number } }).data.id
})
afterAll(async () => {
  await smtp?.close()
  await t?.close()
})

const get = (path: string, s: Session = admin) => t.api.request(path, { headers: { cookie: s.cookie } })
const post = (
  path: string,
  form: Record<string, string | string[]>,
  s: Session = admin,
  opts: { csrf?: boolean; headers?: Record<string, string> } = {},
) => {
  const body = new URLSearchParams()
  for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x)
  if (opts.csrf !== false) body.append('_csrf', s.csrf)
  return t.api.request(path, {
    method: 'POST',
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', ...opts.headers },
    body,
  })
}
const templatesNamed = (name: string) =>
  t.deps.db.select().from(notificationTemplates).where(eq(notificationTemplates.name, name))
const audits = async (action: string) =>
  (await t.deps.db.select().from(auditLog).where(eq(auditLog.action, action))).length
/** The message of the field error inside the named field's label (undefined when there is none). */
const errorBeside = (page: string, field: string) => {
  const at = page.indexOf(`name="${field}"`)
  const label = page.slice(at, page.indexOf('</label>', at))
  return /class="field-error"[^>]*>([^<]*)</.exec(label)?.[1]
}

describe('notification template editor', () => {
  const draft = { name: 'VIP warning', subject: 'About {{subject}}', body: 'From {{sender}}\r\nto {{recipients}}' }

  it('lists the built-ins to sources.read; refuses writes without CSRF (403) and from a user without sources.write (403)', async () => {
    const list = await get('/responses/templates', analyst)
    expect(list.status).toBe(200)
    const text = await list.text()
    expect(text).toContain('Message quarantined')
    expect(text).toContain('Message released')
    expect(text).not.toContain('New template')
    expect((await get('/responses/templates/new', analyst)).status).toBe(403)

    expect((await post('/responses/templates', draft, admin, { csrf: false })).status).toBe(403)
    expect((await post('/responses/templates', draft, analyst)).status).toBe(403)
    expect(await templatesNamed('VIP warning')).toHaveLength(0)
    const [builtin] = await templatesNamed('Message quarantined')
    expect((await post(`/responses/templates/${builtin!.id}/delete`, {}, analyst)).status).toBe(403)
    expect((await post(`/responses/templates/${builtin!.id}/delete`, {}, admin, { csrf: false })).status).toBe(403)
    expect(await templatesNamed('Message quarantined')).toHaveLength(1)
  })

  it('refuses bad input with 422 and the error beside the field, keeping the values', async () => {
    const empty = await post('/responses/templates', { ...draft, subject: '  ' })
    expect(empty.status).toBe(422)
    const emptyPage = await empty.text()
    expect(errorBeside(emptyPage, 'subject')).toBe('must not be empty')
    expect(emptyPage).toContain('value="VIP warning"')

    const unknown = await post('/responses/templates', { ...draft, body: 'Hi {{recipient}} {{ incident.id }}' })
    expect(unknown.status).toBe(422)
    const unknownPage = await unknown.text()
    expect(errorBeside(unknownPage, 'body')).toBe('unknown placeholder {{recipient}}')
    expect(errorBeside(unknownPage, 'subject')).toBeUndefined()
    expect(await templatesNamed('VIP warning')).toHaveLength(0)

    const dup = await post('/responses/templates', { ...draft, name: 'Message released' })
    expect(dup.status).toBe(422)
    expect(errorBeside(await dup.text(), 'name')).toBe('a template with this name exists')
  })

  it('creates, edits and deletes a template (audited); the built-ins cannot be deleted', async () => {
    const created = await post('/responses/templates', draft)
    expect(created.status).toBe(303)
    const [row] = await templatesNamed('VIP warning')
    expect(row!.body).toBe('From {{sender}}\nto {{recipients}}')
    expect(created.headers.get('location')).toBe(`/responses/templates/${row!.id}?saved=1`)
    const edit = await (await get(`/responses/templates/${row!.id}`)).text()
    expect(edit).toContain('{{quarantine.status}}') // the placeholders beside the body
    expect(edit).toContain('From billing@examp1e-invoices.test') // the preview of the stored template

    const updated = await post(`/responses/templates/${row!.id}`, { ...draft, subject: 'Case {{incident.id}}' })
    expect(updated.status).toBe(303)
    expect((await templatesNamed('VIP warning'))[0]!.subject).toBe('Case {{incident.id}}')
    expect(await audits('notification_template.update')).toBe(1)

    const [builtin] = await templatesNamed('Message quarantined')
    expect((await post(`/responses/templates/${builtin!.id}/delete`, {})).status).toBe(409)
    expect(await templatesNamed('Message quarantined')).toHaveLength(1)
    const deleted = await post(`/responses/templates/${row!.id}/delete`, {})
    expect(deleted.status).toBe(303)
    expect(await templatesNamed('VIP warning')).toHaveLength(0)
    expect(await audits('notification_template.delete')).toBe(1)
    expect((await get(`/responses/templates/${row!.id}`)).status).toBe(404)
  })

  it('escapes a template named <script> in the list, the editor and the preview', async () => {
    const evil = '<script>window.__xss(1)</script>'
    expect(
      (await post('/responses/templates', { name: evil, subject: `${evil} {{subject}}`, body: `${evil}\n{{sender}}` }))
        .status,
    ).toBe(303)
    const [row] = await templatesNamed(evil)
    for (const page of [
      await (await get('/responses/templates')).text(),
      await (await get(`/responses/templates/${row!.id}`)).text(),
      await (
        await post(
          `/responses/templates/${row!.id}/preview`,
          { name: evil, subject: row!.subject, body: row!.body },
          admin,
        )
      ).text(),
    ]) {
      expect(page).not.toContain('<script>window')
      expect(page).toContain('&lt;script&gt;window.__xss(1)&lt;/script&gt;')
    }
  })

  it('previews a draft with the sample incident (htmx fragment) without saving it', async () => {
    const res = await post(
      '/responses/templates/preview',
      { name: 'unsaved', subject: 'Re: {{subject}}', body: 'Status {{quarantine.status}} for {{recipients}}' },
      analyst,
      { headers: { 'HX-Request': 'true' } },
    )
    expect(res.status).toBe(200)
    const fragment = await res.text()
    expect(fragment).not.toContain('<html')
    expect(fragment).toContain('[test] Re: Your invoice is overdue')
    expect(fragment).toContain('Status 1 successful for jane.doe@corp.example')
    expect(await templatesNamed('unsaved')).toHaveLength(0)
  })

  it('sends a test through the chosen connector to the real SMTP server; bad input is named', async () => {
    await post('/responses/templates', {
      name: 'Test me',
      subject: 'Incident {{incident.id}}',
      body: 'From {{sender}}',
    })
    const [row] = await templatesNamed('Test me')
    const path = `/responses/templates/${row!.id}/test-send`
    const page = await (await get(`/responses/templates/${row!.id}`)).text()
    expect(page).toContain(`<option value="${connectorId}">relay (smtp)</option>`)

    expect((await post(path, { connectorId: String(connectorId), to: 'a@corp.example' }, analyst)).status).toBe(403)
    expect(
      (await post(path, { connectorId: String(connectorId), to: 'a@corp.example' }, admin, { csrf: false })).status,
    ).toBe(403)
    const badTo = await post(path, { connectorId: String(connectorId), to: 'not-an-address' })
    expect(badTo.status).toBe(422)
    expect(errorBeside(await badTo.text(), 'to')).toBe('must be an e-mail address')
    const noConnector = await post(path, { connectorId: '999999', to: 'a@corp.example' })
    expect(noConnector.status).toBe(422)
    expect(smtp.messages).toHaveLength(0)

    const sent = await post(path, { connectorId: String(connectorId), to: 'me@corp.example' }, admin, {
      headers: { 'HX-Request': 'true' },
    })
    expect(sent.status).toBe(200)
    expect(await sent.text()).toContain('Sent to me@corp.example.')
    expect(smtp.messages).toHaveLength(1)
    expect(smtp.messages[0]!.envelopeTo).toEqual(['me@corp.example'])
    expect(smtp.messages[0]!.mail.subject).toBe('[test] Incident 12345')
    expect(smtp.messages[0]!.mail.text?.trim()).toBe('From billing@examp1e-invoices.test')
  })
})

describe('response-type run permissions page', () => {
  const teamId = async (name: string) =>
    (await t.deps.db.select({ id: teams.id }).from(teams).where(eq(teams.name, name)))[0]!.id
  const apiTypes = async () => {
    const res = await t.api.request('/api/v1/response-types', { headers: { authorization: adminKey } })
    return ((await res.json()) as { data: { type: string; teamIds: number[] }[] }).data
  }

  it('lists every response type to responses.run; only teams.manage gets the forms; CSRF and permission are enforced', async () => {
    const page = await get('/responses/permissions', analyst)
    expect(page.status).toBe(200)
    const text = await page.text()
    for (const t of await apiTypes()) expect(text).toContain(t.type)
    expect(text).toContain('all teams with responses.run')
    expect(text).not.toContain('action="/responses/permissions/')
    expect(await (await get('/responses/permissions')).text()).toContain('action="/responses/permissions/list.add"')

    const analysts = String(await teamId('Analysts'))
    expect((await post('/responses/permissions/list.add', { teamIds: analysts }, analyst)).status).toBe(403)
    expect((await post('/responses/permissions/list.add', { teamIds: analysts }, admin, { csrf: false })).status).toBe(
      403,
    )
    expect((await apiTypes()).find((x) => x.type === 'list.add')!.teamIds).toEqual([])
    expect(await audits('response.permissions')).toBe(0)
  })

  it('sets and clears the teams of one type through the audited domain call; the API shows the effect', async () => {
    const admins = await teamId('Admins')
    const saved = await post('/responses/permissions/webhook.post', { teamIds: [String(admins)] })
    expect(saved.status).toBe(303)
    expect((await apiTypes()).find((x) => x.type === 'webhook.post')!.teamIds).toEqual([admins])
    expect((await apiTypes()).find((x) => x.type === 'list.add')!.teamIds).toEqual([])
    expect(await audits('response.permissions')).toBe(1)
    const page = await (await get('/responses/permissions', analyst)).text()
    expect(page).toMatch(
      /webhook\.post<\/div><\/td>\s*<td class="allowed">Admins<\/td>\s*<td><span class="muted">may not run/,
    )

    expect((await post('/responses/permissions/webhook.post', {})).status).toBe(303) // none ticked: all teams
    expect((await apiTypes()).find((x) => x.type === 'webhook.post')!.teamIds).toEqual([])
    expect(await audits('response.permissions')).toBe(2)
  })

  it('refuses bad input naming the field (422) and an unknown response type (404)', async () => {
    const bad = await post('/responses/permissions/list.add', { teamIds: 'abc' })
    expect(bad.status).toBe(422)
    expect(await bad.text()).toMatch(/class="field-error" role="alert">not a team</)
    const unknown = await post('/responses/permissions/list.add', { teamIds: '999999' })
    expect(unknown.status).toBe(422)
    expect(await unknown.text()).toMatch(/class="field-error" role="alert">unknown team</)
    expect((await post('/responses/permissions/no.such', { teamIds: [] })).status).toBe(404)
    expect((await apiTypes()).find((x) => x.type === 'list.add')!.teamIds).toEqual([])
  })
})
