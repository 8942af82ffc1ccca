/// <reference lib="dom" />
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  incidentFields,
  incidentFieldValues,
  incidents,
  incidentUsers,
  sources,
  users,
} from '../../core/src/db/schema/index.ts'
import { createApiKey } from '../../core/src/domain/api-keys/create-api-key.ts'
import { createField } from '../../core/src/domain/fields/create-field.ts'
import { createTeam } from '../../core/src/domain/teams/create-team.ts'
import { setMembership } from '../../core/src/domain/teams/set-membership.ts'
import { createUser } from '../../core/src/domain/users/create-user.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { HEADER_INJECTIONS, XSS_CORPUS, XSS_PAYLOADS } from '../fixtures/xss.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { browserSignIn, launchBrowser, screenshot, serveApp } from '../harness/browser.ts'
import { makeUser, PASSWORD } from '../harness/factories.ts'
import { armXss, expectNoXss } from '../harness/xss.ts'

let t: TestApp
let server: Awaited<ReturnType<typeof serveApp>>
let browser: Awaited<ReturnType<typeof launchBrowser>>
let adminName: string

/** A believable fortnight of incidents, inserted directly, so the dashboard has something to draw. */
const seedIncidents = async () => {
  const db = t.deps.db
  const [mail, tap] = await db
    .insert(sources)
    .values([
      { name: 'Abuse mailbox', type: 'json' },
      { name: 'Gateway TAP', type: 'json' },
    ])
    .returning()
  await db.insert(users).values([
    { username: 'j.doe', email: 'j.doe@example.com', department: 'Finance' },
    { username: 'm.roe', email: 'm.roe@example.com', department: 'HR' },
  ])
  const [classification] = await db.select().from(incidentFields).where(eq(incidentFields.name, 'Classification'))
  const now = Date.now()
  const rows = Array.from({ length: 60 }, (_, i) => {
    const created = new Date(now - ((i * 5.3) % 14) * 86_400_000 - (i % 7) * 3_600_000)
    const closed = i % 3 === 0 ? new Date(created.getTime() + (2 + (i % 5)) * 3_600_000) : null
    return {
      summary: `Phishing report ${i}`,
      state: (closed ? 'closed' : i % 4 === 1 ? 'new' : 'open') as 'closed' | 'new' | 'open',
      sourceId: i % 2 ? mail!.id : tap!.id,
      createdAt: created,
      firstActionAt: i % 4 === 1 ? null : new Date(created.getTime() + (5 + (i % 9) * 7) * 60_000),
      closedAt: closed && closed.getTime() < now ? closed : null,
    }
  })
  const inserted = await db
    .insert(incidents)
    .values(rows.map((r) => ({ ...r, state: r.closedAt ? r.state : r.state === 'closed' ? 'open' : r.state })))
    .returning({ id: incidents.id })
  await db.insert(incidentUsers).values(
    inserted.map((r, i) => ({
      incidentId: r.id,
      kind: 'target',
      username: ['j.doe@example.com', 'm.roe@example.com', 'ceo@example.com'][i % 3]!,
    })),
  )
  await db.insert(incidentFieldValues).values(
    inserted.map((r, i) => ({
      incidentId: r.id,
      fieldId: classification!.id,
      value: ['Phishing', 'Malware', 'Impostor', 'Phishing'][i % 4]!,
    })),
  )
  // hostile strings where the dashboard draws labels
  const [evil] = await db.insert(sources).values({ name: XSS_PAYLOADS[1], type: 'json' }).returning()
  const [x] = await db
    .insert(incidents)
    .values({ summary: XSS_PAYLOADS[0], state: 'open', sourceId: evil!.id, createdAt: new Date(now - 3 * 86_400_000) })
    .returning()
  await db.insert(incidentUsers).values({ incidentId: x!.id, kind: 'target', username: XSS_PAYLOADS[2] })
  await db
    .insert(incidentFieldValues)
    .values({ incidentId: x!.id, fieldId: classification!.id, value: XSS_PAYLOADS[3] })
}

beforeAll(async () => {
  t = await startTestApp()
  adminName = (await makeUser(t.deps.db, ['Admins'], 'soc.lead')).user.username
  await seedIncidents()
  server = await serveApp(t.api)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
  await t?.close()
})

describe('analyst UI in Chromium: sign-in, dashboard, administration', () => {
  it('signs in, shows the dashboard with its charts, and manages users, teams, keys, fields and the audit log', async () => {
    const { page, context } = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    page.on('console', (m) => m.type() === 'error' && !m.text().includes('422 (Unprocessable') && errors.push(m.text()))
    page.on('response', (r) => r.status() === 404 && errors.push(`404 ${r.url()}`))
    await browserSignIn(page, server.url, adminName, PASSWORD)
    expect(new URL(page.url()).pathname).toBe('/')
    await expect.poll(() => page.locator('h1').first().textContent()).toBe('Dashboard')
    expect(await page.locator('svg.chart').count()).toBeGreaterThanOrEqual(5)
    expect(await page.locator('.kpi').count()).toBe(6)
    await screenshot(page, 'dashboard')

    // users: create one through the form (a wrong password first: the values stay)
    await page.click('header nav >> text=Admin')
    await page.waitForURL('**/admin/users')
    await page.click('text=New user')
    await page.fill('input[name=username]', 'new.analyst')
    await page.fill('input[name=displayName]', 'Nina Analyst')
    await page.fill('input[name=password]', 'short')
    await page.evaluate(() => document.querySelector('input[name=password]')!.removeAttribute('minlength'))
    await page.check('input[name=teams][value=Analysts]')
    await Promise.all([page.waitForLoadState('load'), page.click('button.primary')])
    expect(await page.locator('.field-error').textContent()).toContain('at least 12 characters')
    expect(await page.inputValue('input[name=displayName]')).toBe('Nina Analyst')
    expect(await page.isChecked('input[name=teams][value=Analysts]')).toBe(true)
    await screenshot(page, 'admin-user-create-error')
    await page.fill('input[name=password]', 'a long enough password')
    await Promise.all([page.waitForURL(/\/admin\/users\/\d+$/), page.click('button.primary')])
    expect(await page.locator('h1').textContent()).toContain('new.analyst')
    await screenshot(page, 'admin-user')
    await page.goto(`${server.url}/admin/users`)
    expect(await page.locator('td', { hasText: 'Nina Analyst' }).count()).toBe(1)
    await screenshot(page, 'admin-users')

    // teams: a private team, then the admin adds themselves (allowed, audited)
    await page.goto(`${server.url}/admin/teams/new`)
    await page.fill('input[name=name]', 'Insider threat')
    await page.fill('input[name=description]', 'HR-sensitive cases')
    await page.check('input[name=isPrivate]')
    await page.check('input[name=permissions][value="incidents.read"]')
    await Promise.all([page.waitForURL(/\/admin\/teams\/\d+$/), page.click('button.primary')])
    expect(await page.locator('.card').nth(1).textContent()).toContain('You are not a member')
    await page.fill('input[name=username]', adminName)
    await Promise.all([page.waitForURL(/saved=1/), page.click('text=Add member')])
    expect(await page.locator('td', { hasText: adminName }).count()).toBe(1)
    await screenshot(page, 'admin-team')
    await page.goto(`${server.url}/admin/teams`)
    await screenshot(page, 'admin-teams')

    // API keys: shown once
    await page.goto(`${server.url}/admin/api-keys`)
    await page.fill('input[name=name]', 'SIEM connector')
    await page.check('input[name=teams][value=Admins]') // a key may act only for its creator's teams
    await Promise.all([page.waitForLoadState('load'), page.click('text=Create key')])
    const key = await page.inputValue('#new-key')
    expect(key).toMatch(/^[0-9a-f-]{36}$/)
    await screenshot(page, 'admin-api-key-created')
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: key } })
    expect(((await me.json()) as { label: string }).label).toBe('api-key:SIEM connector')
    await page.goto(`${server.url}/admin/api-keys`)
    expect(await page.locator('#new-key').count()).toBe(0)
    expect(await page.content()).not.toContain(key)
    page.once('dialog', (d) => d.accept())
    await Promise.all([page.waitForLoadState('load'), page.click('tr:has-text("SIEM connector") >> text=Revoke')])
    expect(await page.locator('tr.revoked').count()).toBe(1)
    expect((await fetch(`${server.url}/api/v1/me`, { headers: { authorization: key } })).status).toBe(401)
    await screenshot(page, 'admin-api-keys')

    // custom fields
    await page.goto(`${server.url}/admin/fields`)
    await page.fill('form[action="/admin/fields"] input[name=name]', 'Business unit')
    await page.selectOption('select[name=kind]', 'select')
    await page.fill('form[action="/admin/fields"] textarea[name=options]', 'Retail\nBanking')
    await Promise.all([page.waitForURL(/saved=1/), page.click('text=Add field')])
    expect(await page.locator('input[value="Business unit"]').count()).toBe(1)
    await screenshot(page, 'admin-fields')

    // audit log: filter, verification badge loaded by htmx
    await page.goto(`${server.url}/admin/audit`)
    await expect.poll(() => page.locator('#audit-verify').textContent()).toMatch(/Chain intact/)
    await page.fill('input[name=action]', 'team.')
    await Promise.all([page.waitForLoadState('load'), page.click('text=Filter')])
    const actions = await page.locator('table.audit tbody td:nth-child(4)').allTextContents()
    expect(actions.length).toBeGreaterThan(0)
    expect(actions.every((a) => a.startsWith('team.'))).toBe(true)
    expect(actions).toContain('team.self_join_private')
    await screenshot(page, 'admin-audit')

    // keyboard: "/" focuses the filter box
    await page.goto(`${server.url}/admin/users`)
    await page.keyboard.press('/')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('q')

    expect(errors.join('\n')).toBe('')
    await context.close()
  })

  it('never runs a payload from names, descriptions, fields or audit entries, and still shows the text', async () => {
    const db = t.deps.db
    const teamNames: string[] = []
    for (const [i, p] of XSS_CORPUS.entries()) {
      const team = await createTeam(db, SYSTEM, {
        name: `T${i} ${p}`.slice(0, 100),
        description: `desc ${p}`,
        permissions: ['incidents.read'],
      })
      teamNames.push(team.name)
      // the API-key form offers only its user's teams: join them so their names are rendered there too
      await setMembership(db, SYSTEM, { team: team.name, username: adminName, member: true })
    }
    const evilUser = await createUser(db, SYSTEM, {
      username: 'evil.display',
      password: PASSWORD,
      displayName: XSS_PAYLOADS.join(' '),
      teams: [teamNames[0]!],
    })
    await createField(db, SYSTEM, { name: XSS_PAYLOADS[0], kind: 'select', options: [...XSS_CORPUS] })
    await createField(db, SYSTEM, { name: XSS_PAYLOADS[5], kind: 'text' })
    await createApiKey(db, SYSTEM, { name: XSS_PAYLOADS[1], teams: [teamNames[1]!] })

    const context = await browser.browser.newContext({ bypassCSP: true, viewport: { width: 1366, height: 860 } })
    await armXss(context)
    const page = await context.newPage()
    await browserSignIn(page, server.url, adminName, PASSWORD)
    const visit = async (path: string, shown: readonly string[]) => {
      await page.goto(`${server.url}${path}`)
      await expectNoXss(page, shown, path)
    }
    await visit('/', [])
    await screenshot(page, 'xss-dashboard')
    await visit('/admin/teams', [...teamNames, ...XSS_CORPUS.map((p) => `desc ${p}`)])
    await screenshot(page, 'xss-teams')
    await visit('/admin/users', [XSS_PAYLOADS.join(' ')])
    await visit(`/admin/users/${evilUser.id}`, [XSS_PAYLOADS.join(' '), ...teamNames])
    await visit('/admin/api-keys', [XSS_PAYLOADS[1], ...teamNames])
    await visit('/admin/fields', [XSS_PAYLOADS[0], XSS_PAYLOADS[5], ...XSS_CORPUS])
    await screenshot(page, 'xss-fields')
    await visit(
      '/admin/audit?action=team.create',
      teamNames.map((n) =>
        JSON.stringify(n)
          .slice(1, -1)
          .replace(/\\r\\n/g, '\\r\\n'),
      ),
    )
    await screenshot(page, 'xss-audit')
    // reflected: filter values come back in the form, inert
    for (const p of XSS_PAYLOADS) {
      await visit(`/admin/users?q=${encodeURIComponent(p)}`, [p])
      await visit(`/admin/audit?actor=${encodeURIComponent(p)}&action=${encodeURIComponent(p)}`, [p])
    }
    // header injection never splits a header: the redirect after sign-in stays on our origin, no cookie planted
    for (const h of HEADER_INJECTIONS) await visit(`/login?next=${encodeURIComponent(`/admin/${h}`)}`, [])
    await context.close()
  })
})
