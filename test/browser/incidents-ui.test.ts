/// <reference lib="dom" />
import { eq, inArray, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertEmails, alerts, incidents } from '../../core/src/db/schema/index.ts'
import { XSS_CORPUS, XSS_PAYLOADS } from '../fixtures/xss.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { browserSignIn, launchBrowser, screenshot, serveApp } from '../harness/browser.ts'
import { makeTeam, makeUser, PASSWORD } from '../harness/factories.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'
import { armXss, expectNoXss } from '../harness/xss.ts'

let t: TestApp
let server: Awaited<ReturnType<typeof serveApp>>
let browser: Awaited<ReturnType<typeof launchBrowser>>
let admin: string
let insider: string
const ids: Record<string, number> = {}

const post = async (s: Awaited<ReturnType<typeof makeJsonSource>>, body: unknown) => {
  const res = await s.post(body)
  expect(res.status).toBe(200)
  return ((await res.json()) as { incident_id: number }).incident_id
}
/** A tab's count once htmx has loaded it (the page itself ships placeholders). */
const countOf = async (page: import('playwright-core').Page, state: string) => {
  const el = page.locator(`#incident-tabs .count[data-state=${state}]`)
  await expect.poll(() => el.textContent(), { timeout: 10_000 }).toMatch(/^\d+$/)
  return Number(await el.textContent())
}
const p = (i: number) => XSS_CORPUS[i % XSS_CORPUS.length]!

beforeAll(async () => {
  t = await startTestApp()
  const db = t.deps.db
  admin = (await makeUser(db, ['Admins'], 'lead.admin')).user.username
  const secret = await makeTeam(db, {
    isPrivate: true,
    name: 'Insider threat',
    permissions: ['incidents.read', 'incidents.write', 'alerts.read'],
  })
  insider = (await makeUser(db, ['Analysts', secret.name], 'hr.analyst')).user.username
  const s = await makeJsonSource(t, 'Mail gateway')
  for (const name of ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'jan-closed', 'feb-closed']) {
    ids[name] = await post(s, alertBody({ summary: `Invoice phish ${name}` }, { subject: `Your invoice ${name}` }))
  }
  ids.secret = await post(
    s,
    alertBody({ summary: 'Payroll diversion by a named employee' }, { subject: 'Salary change request' }),
  )
  await db.update(incidents).set({ isPrivate: true, teamId: secret.id }).where(eq(incidents.id, ids.secret))
  await db
    .update(incidents)
    .set({ state: 'closed', closedAt: new Date('2026-01-10T10:00:00Z') })
    .where(eq(incidents.id, ids['jan-closed']!))
  await db
    .update(incidents)
    .set({ state: 'closed', closedAt: new Date('2026-02-10T10:00:00Z') })
    .where(eq(incidents.id, ids['feb-closed']!))
  // every field that comes from an alert or an e-mail carries a hostile string
  ids.xss = await post(
    s,
    alertBody(
      {
        summary: p(0),
        description: p(1),
        classification: 'phish',
        attacker: { ip_address: '198.51.100.9', host_name: p(2), url: p(3) },
        target: { user: p(4) },
        threat_info: { name: p(5), url: p(6) },
      },
      {
        sender: p(7),
        recipient: [p(8), 'victim@corp.example'],
        subject: p(9),
        message_id: p(10),
        urls: [p(11), 'javascript:__xss(99)'],
        attachments: [{ name: p(12), size: 12, content_type: p(13), sha256: 'c'.repeat(64), md5: 'd'.repeat(32) }],
      },
    ),
  )
  server = await serveApp(t.api)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
  await t?.close()
})

describe('incidents in Chromium', () => {
  it('filters the Closed tab by closed date range, with the filters in the URL', async () => {
    const { page, context } = await browser.newPage()
    await browserSignIn(page, server.url, admin, PASSWORD)
    await page.click('header nav >> text=Incidents')
    await page.click('#incident-tabs >> text=Closed')
    await page.waitForURL(/tab=closed/)
    await page.click('summary:has-text("Filters")')
    await page.fill('input[name=closed_from]', '2026-01-01')
    await page.fill('input[name=closed_to]', '2026-01-31')
    await Promise.all([page.waitForURL(/closed_from=2026-01-01/), page.click('text=Apply')])
    expect(page.url()).toContain('closed_to=2026-01-31')
    const rows = await page.locator('table.incidents tbody tr').allTextContents()
    expect(rows.join('\n')).toContain('Invoice phish jan-closed')
    expect(rows.join('\n')).not.toContain('feb-closed')
    await screenshot(page, 'incidents-closed-filtered')
    // the bookmarked URL shows the same view
    const again = await context.newPage()
    await again.goto(page.url())
    expect(await again.locator('table.incidents tbody tr').count()).toBe(1)
    await context.close()
  })

  it('opens an incident, comments, changes the disposition (with history) and closes it', async () => {
    const { page, context } = await browser.newPage()
    await browserSignIn(page, server.url, admin, PASSWORD)
    await page.goto(`${server.url}/incidents`)
    await screenshot(page, 'incidents-list')
    await Promise.all([page.waitForURL(new RegExp(`/incidents/${ids.alpha}$`)), page.click('text=Invoice phish alpha')])
    await page.fill('textarea[name=comment]', 'Reported by three users; checking the gateway logs.')
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Comment")')])
    expect(await page.locator('ol.comments').textContent()).toContain('checking the gateway logs')
    await page.selectOption('select[name="f:Abuse Disposition"]', 'Malicious')
    await Promise.all([page.waitForLoadState('load'), page.click('text=Save fields')])
    expect(await page.inputValue('select[name="f:Abuse Disposition"]')).toBe('Malicious')
    expect(await page.locator('h3:has-text("Disposition history") + ol').textContent()).toContain('Malicious')
    await page.fill('.head-actions input[name=summary]', 'Blocked sender, messages pulled')
    await Promise.all([page.waitForLoadState('load'), page.click('.head-actions button:has-text("Close")')])
    expect(await page.locator('.incident-head .badge').first().textContent()).toBe('closed')
    expect(await page.locator('ol.timeline').first().textContent()).toContain('Blocked sender, messages pulled')
    await screenshot(page, 'incident-page')
    await context.close()
  })

  it('bulk-closes selected incidents and the tab counts follow', async () => {
    const { page, context } = await browser.newPage()
    await browserSignIn(page, server.url, admin, PASSWORD)
    await page.goto(`${server.url}/incidents`)
    const before = await countOf(page, 'new')
    await page.check(`input[name=ids][value="${ids.bravo}"]`)
    await page.check(`input[name=ids][value="${ids.charlie}"]`)
    await page.fill('form#bulk input[name=summary]', 'Duplicate reports')
    await Promise.all([page.waitForLoadState('load'), page.click('form#bulk button[value=close]')])
    expect(await countOf(page, 'new')).toBe(before - 2)
    const closed = await t.deps.db
      .select()
      .from(incidents)
      .where(inArray(incidents.id, [ids.bravo!, ids.charlie!]))
    expect(closed.map((i) => i.state)).toEqual(['closed', 'closed'])
    // live counts: the tabs fragment refreshes by itself
    await t.deps.db.update(incidents).set({ state: 'closed', closedAt: new Date() }).where(eq(incidents.id, ids.delta!))
    const fragment = await page.evaluate(async () =>
      (await fetch('/incidents/counts', { headers: { 'HX-Request': 'true' } })).text(),
    )
    expect(fragment).toContain(`data-state="new">${before - 3}<`)
    await context.close()
  })

  it('hides a private incident from an admin outside its team: no row, no count, no search hit, no direct URL', async () => {
    const { page, context } = await browser.newPage()
    await browserSignIn(page, server.url, admin, PASSWORD)
    await page.goto(`${server.url}/incidents?tab=all`)
    const [{ n }] = (await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM incidents`,
    )) as unknown as [{ n: number }]
    expect(await countOf(page, 'all')).toBe(n - 1)
    expect(await page.content()).not.toContain('Payroll diversion')
    await page.goto(`${server.url}/incidents?tab=all&q=${encodeURIComponent('Salary change')}`)
    expect(await page.locator('table.incidents tbody tr').count()).toBe(0)
    const direct = await page.goto(`${server.url}/incidents/${ids.secret}`)
    expect(direct!.status()).toBe(404)
    expect(await page.content()).not.toContain('Payroll')
    await page.goto(`${server.url}/`)
    expect(await page.content()).not.toContain('Payroll')
    await context.close()

    const member = await browser.newPage()
    await browserSignIn(member.page, server.url, insider, PASSWORD)
    await member.page.goto(`${server.url}/incidents?tab=all&q=${encodeURIComponent('Salary change')}`)
    expect(await member.page.locator('table.incidents tbody tr').count()).toBe(1)
    const ok = await member.page.goto(`${server.url}/incidents/${ids.secret}`)
    expect(ok!.status()).toBe(200)
    await member.context.close()
  })

  it('creates an investigation and links incidents to it', async () => {
    const { page, context } = await browser.newPage()
    await browserSignIn(page, server.url, admin, PASSWORD)
    await page.click('header nav >> text=Investigations')
    await page.fill('input[name=name]', 'Invoice campaign, week 47')
    await page.fill('textarea[name=description]', 'Same sender infrastructure across reports.')
    await Promise.all([page.waitForURL(/\/investigations\/\d+$/), page.click('text=Create investigation')])
    await page.fill("input[placeholder^='Incident IDs']", `${ids.echo}, ${ids.alpha}`)
    await Promise.all([page.waitForLoadState('load'), page.click('text=Link incidents')])
    const linked = await page.locator('table tbody tr').allTextContents()
    expect(linked.join('\n')).toContain('Invoice phish echo')
    expect(linked.join('\n')).toContain('Invoice phish alpha')
    // an incident the admin cannot see cannot be linked, and the answer does not say it exists
    await page.fill("input[placeholder^='Incident IDs']", String(ids.secret))
    await Promise.all([page.waitForLoadState('load'), page.click('text=Link incidents')])
    expect(await page.locator('.field-error').textContent()).toContain('not found')
    await screenshot(page, 'investigation-page')
    await page.goto(`${server.url}/incidents/${ids.echo}`)
    expect(await page.locator('section:has(h2:text("Investigations"))').textContent()).toContain(
      'Invoice campaign, week 47',
    )
    await page.goto(`${server.url}/investigations`)
    await screenshot(page, 'investigations')
    await context.close()
  })

  it('creates a JSON source with a working POST URL, and uploads a CSV with a per-row report', async () => {
    const { page, context } = await browser.newPage()
    await browserSignIn(page, server.url, admin, PASSWORD)
    await page.click('header nav >> text=Sources')
    await page.fill('input[name=name]', 'Secure e-mail gateway')
    await Promise.all([page.waitForURL(/\/sources\/\d+$/), page.click('text=Create source')])
    const url = await page.inputValue('input[aria-label="POST URL"]')
    expect(url).toMatch(/\/threat\/json_event\/events\/[A-Za-z0-9_-]+$/)
    expect(await page.locator('pre.code').textContent()).toContain(`curl -sS -X POST '${url}'`)
    const sent = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alertBody({ summary: 'Sent to the shown URL' })),
    })
    expect(sent.status).toBe(200)
    await screenshot(page, 'source-json')

    await page.goto(`${server.url}/sources`)
    await page.fill('input[name=name]', 'Manual uploads')
    await page.selectOption('select[name=type]', 'csv')
    await Promise.all([page.waitForURL(/\/sources\/\d+$/), page.click('text=Create source')])
    await page.setInputFiles('input[type=file]', {
      name: 'bad.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('message-id,recipient\n<a1@x>,jdoe@corp.example\n<a2@x>,not-an-address\n<a3@x>\n'),
    })
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Upload")')])
    const report = await page.locator('table.report').textContent()
    expect(report).toContain('not an email address')
    expect(report).toContain('expected 2 fields')
    expect(await page.locator('.error').first().textContent()).toContain('nothing was stored')
    await screenshot(page, 'source-csv-report')
    await page.setInputFiles('input[type=file]', {
      name: 'good.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('<b1@x>,jdoe@corp.example\n<b2@x>,mroe@corp.example\n'),
    })
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Upload")')])
    expect(await page.locator('.notice.ok').textContent()).toMatch(/Stored 2 alerts as incident #\d+/)
    await Promise.all([page.waitForURL(/\/incidents\/\d+$/), page.click('.notice.ok a')])
    expect(await page.locator('details.alert').count()).toBe(2)
    await context.close()
  })

  it('never runs a payload from any alert or e-mail field, and shows them as text', async () => {
    const stored = await t.deps.db.select().from(alerts).where(eq(alerts.incidentId, ids.xss!))
    const emails = await t.deps.db.select().from(alertEmails).where(eq(alertEmails.alertId, stored[0]!.id))
    const shown = [
      stored[0]!.summary,
      stored[0]!.description,
      ...emails.flatMap((e) => [e.sender, e.subject, e.messageId ?? '', ...e.recipients, ...e.urls]),
    ].filter(Boolean)
    expect(shown.some((s) => XSS_PAYLOADS.some((x) => s.includes(x)))).toBe(true)
    const context = await browser.browser.newContext({ bypassCSP: true, viewport: { width: 1366, height: 860 } })
    await armXss(context)
    const page = await context.newPage()
    await browserSignIn(page, server.url, admin, PASSWORD)
    await page.goto(`${server.url}/incidents/${ids.xss}`)
    await expectNoXss(page, shown, 'incident page')
    await screenshot(page, 'xss-incident')
    await page.goto(`${server.url}/incidents?tab=all`)
    await expectNoXss(page, [stored[0]!.summary], 'incident list')
    await page.goto(`${server.url}/incidents?tab=all&q=${encodeURIComponent(XSS_PAYLOADS[0])}`)
    await expectNoXss(page, [XSS_PAYLOADS[0]], 'incident search')
    await page.goto(`${server.url}/`)
    await expectNoXss(page, [], 'dashboard')
    await context.close()
  })
})
