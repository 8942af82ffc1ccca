/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { incidents } from '../../core/src/db/schema/index.ts'
import { XSS_PAYLOADS } from '../fixtures/xss.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { browserSignIn, launchBrowser, screenshot, serveApp } from '../harness/browser.ts'
import { makeUser, PASSWORD } from '../harness/factories.ts'
import { armXss, expectNoXss } from '../harness/xss.ts'

/** Adding, showing and removing an incident's hosts in a real browser (htmx swaps the hosts card). */
let t: TestApp
let server: Awaited<ReturnType<typeof serveApp>>
let browser: Awaited<ReturnType<typeof launchBrowser>>
let username = ''
let incidentId = 0
beforeAll(async () => {
  t = await startTestApp()
  username = (await makeUser(t.deps.db, ['Analysts'])).user.username
  const [i] = await t.deps.db.insert(incidents).values({ summary: 'Hosts by hand', state: 'open' }).returning()
  incidentId = i!.id
  server = await serveApp(t.api)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
  await t.close()
})

describe('incident hosts in the browser', () => {
  it('adds hosts in place (no reload), shows a hostile one as text, refuses an empty one, and removes one', async () => {
    const { page, context } = await browser.newPage()
    await armXss(context)
    await browserSignIn(page, server.url, username, PASSWORD)
    await page.goto(`${server.url}/incidents/${incidentId}`)
    const hosts = page.locator('#incident-hosts')
    await page.evaluate(() => {
      ;(window as unknown as { marker: number }).marker = 1 // survives only if the page is not reloaded
    })

    await hosts.locator('select[name=kind]').selectOption('cnc')
    await hosts.locator('input[name=host][aria-label="Host to add"]').fill('c2.evil.example')
    await hosts.getByRole('button', { name: 'Add host' }).click()
    await expect.poll(() => hosts.textContent()).toContain('c2.evil.example')

    const hostile = XSS_PAYLOADS[0]!
    await page.locator('#incident-hosts select[name=kind]').selectOption('url')
    await page.locator('#incident-hosts input[aria-label="Host to add"]').fill(hostile)
    await page.locator('#incident-hosts').getByRole('button', { name: 'Add host' }).click()
    await expect.poll(() => page.locator('#incident-hosts').textContent()).toContain(hostile.trim())
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1)
    await expectNoXss(page, [hostile])

    // an empty host (the browser's own check bypassed): the 422 is swapped in with the message
    await page.locator('#incident-hosts input[aria-label="Host to add"]').evaluate((el) => {
      ;(el as HTMLInputElement).required = false
      ;(el as HTMLInputElement).value = '   '
    })
    await page.locator('#incident-hosts').getByRole('button', { name: 'Add host' }).click()
    await expect.poll(() => page.locator('#incident-hosts .field-error').textContent()).toMatch(/1 to 2048 characters/)

    await page.locator('#incident-hosts').getByRole('button', { name: 'Remove C&C host c2.evil.example' }).click()
    await expect.poll(() => page.locator('#incident-hosts').textContent()).not.toContain('c2.evil.example')
    await screenshot(page, 'incident-hosts')
    await context.close()
  })
})
