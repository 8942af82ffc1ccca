/// <reference lib="dom" />
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertEmails, alerts, listMembers } from '../../core/src/db/schema/index.ts'
import { createList } from '../../core/src/domain/lists/create-list.ts'
import { ALL_JOBS } from '../../core/src/jobs/all-jobs.ts'
import { startWorkers } from '../../core/src/jobs/worker.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { browserSignIn, launchBrowser, screenshot, serveApp } from '../harness/browser.ts'
import { makeUser, PASSWORD } from '../harness/factories.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'

/**
 * An analyst in Chromium: defines a match condition on a source (form, not JSON), dry-runs it,
 * enables it, an alert arrives, the response shows on the incident, and Undo takes the list
 * member away again.
 */
let t: TestApp
let server: Awaited<ReturnType<typeof serveApp>>
let browser: Awaited<ReturnType<typeof launchBrowser>>
let username = ''
let listId = 0
let src: Awaited<ReturnType<typeof makeJsonSource>>
beforeAll(async () => {
  t = await startTestApp()
  username = (await makeUser(t.deps.db, ['Admins'])).user.username
  listId = (await createList(t.deps.db, t.deps.keyring, SYSTEM, { name: 'Blocked domains', type: 'host' })).list.id
  src = await makeJsonSource(t, 'Mail gateway')
  await startWorkers(
    t.deps.boss,
    { db: t.deps.db, log: t.deps.log, keyring: t.deps.keyring, dataDir: t.dataDir },
    2,
    ALL_JOBS,
  )
  server = await serveApp(t.api)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
  await t.close()
})

const incidentOf = async (messageId: string) => {
  for (let i = 0; i < 200; i++) {
    const [row] = await t.deps.db
      .select({ id: alerts.incidentId })
      .from(alertEmails)
      .innerJoin(alerts, eq(alerts.id, alertEmails.alertId))
      .where(eq(alertEmails.messageId, messageId))
    if (row?.id) return row.id
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('no incident')
}

describe('response engine in the browser', () => {
  it('define, dry-run, enable a condition; the alert’s response shows on the incident; undo it', async () => {
    // an earlier alert, so the dry run has something to find
    expect((await src.post(alertBody({}, { message_id: '<old-1@evil.example>' }))).status).toBe(200)
    const oldIncident = await incidentOf('<old-1@evil.example>')

    const { page, context } = await browser.newPage()
    await browserSignIn(page, server.url, username, PASSWORD)
    await page.goto(`${server.url}/sources/${src.source.id}`)
    await page.getByRole('link', { name: 'Match conditions and responses' }).click()
    await page.getByRole('link', { name: 'New condition' }).click()
    await page.locator('input[name=name]').fill('Block phishing domains')
    await page.getByLabel('field (rule 1)').selectOption('classification')
    await page.getByLabel('operator (rule 1)').selectOption('eq')
    await page.getByLabel('value (rule 1)').fill('phish')
    await page.getByLabel('response 1', { exact: true }).selectOption('list.add')
    await expect.poll(() => page.locator('#x0-params').textContent()).toContain('valueFrom') // htmx swapped the fields in
    await page.locator('input[name="x0.p.listId"]').fill(String(listId))
    await page.locator('select[name="x0.p.valueFrom"]').selectOption('senderDomains')
    await page.getByLabel('Run the responses automatically').check()

    await page.getByRole('button', { name: 'Dry run (last 7 days)' }).click()
    await expect.poll(() => page.locator('#dry-run').textContent()).toContain('1 incident matched')
    expect(await page.locator('#dry-run').textContent()).toContain(`#${oldIncident}`)
    expect(await page.locator('#dry-run').textContent()).toContain('list.add: evil.example')
    expect(await t.deps.db.select().from(listMembers)).toHaveLength(0) // a dry run runs nothing

    await page.getByLabel('Enabled').check()
    await page.getByRole('button', { name: 'Save condition' }).click()
    await expect.poll(() => page.locator('main').textContent()).toContain('Block phishing domains')
    expect(await page.locator('main').textContent()).toContain('enabled')

    expect((await src.post(alertBody({}, { message_id: '<new-1@evil.example>' }))).status).toBe(200)
    const incidentId = await incidentOf('<new-1@evil.example>')
    for (let i = 0; i < 100 && (await t.deps.db.select().from(listMembers)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 150))
    await page.goto(`${server.url}/incidents/${incidentId}`)
    const runs = page.locator('#responses')
    expect(await runs.textContent()).toContain('Add to list')
    expect(await runs.textContent()).toContain('succeeded')
    await screenshot(page, 'incident-responses')
    await runs.getByRole('button', { name: 'Undo' }).click()
    for (let i = 0; i < 100 && (await t.deps.db.select().from(listMembers)).length > 0; i++)
      await new Promise((r) => setTimeout(r, 150))
    expect(await t.deps.db.select().from(listMembers)).toHaveLength(0)
    // the undo's own answer may still be navigating the page (a reload then raced it: "Not attached
    // to an active page", seen once in CI): load the incident afresh instead
    await page.goto(`${server.url}/incidents/${incidentId}`)
    await expect.poll(() => page.locator('#responses').textContent()).toContain('undone')
    await context.close()
  })
})
