/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConnector } from '../../core/src/domain/connectors/create-connector.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { browserSignIn, launchBrowser, screenshot, serveApp } from '../harness/browser.ts'
import { makeUser, PASSWORD } from '../harness/factories.ts'
import { type SmtpPeer, startSmtpPeer } from '../peers/smtp.ts'

/**
 * An administrator in Chromium writes a notification template, previews it against the sample
 * incident, saves it and sends a test to a real SMTP server, which receives the rendered text.
 */
let t: TestApp
let server: Awaited<ReturnType<typeof serveApp>>
let browser: Awaited<ReturnType<typeof launchBrowser>>
let smtp: SmtpPeer
let username = ''
beforeAll(async () => {
  t = await startTestApp()
  smtp = await startSmtpPeer()
  username = (await makeUser(t.deps.db, ['Admins'])).user.username
  await createConnector(t.deps.db, t.deps.keyring, SYSTEM, {
    kind: 'smtp',
    name: 'Office relay',
    settings: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'soc@corp.example' },
    isOnPremises: true,
  })
  server = await serveApp(t.api)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
  await smtp?.close()
  await t?.close()
})

describe('notification templates in the browser', () => {
  it('create a template, preview it, send a test; the SMTP server gets the rendered text', async () => {
    const { page, context } = await browser.newPage()
    await browserSignIn(page, server.url, username, PASSWORD)
    await page.goto(`${server.url}/sources`)
    await page.getByRole('link', { name: 'Notification templates' }).click()
    await page.getByRole('link', { name: 'New template' }).click()
    await page.getByLabel('Name').fill('Finance heads-up')
    await page.getByLabel('Subject').fill('Phish {{incident.id}}: {{subject}}')
    await page
      .getByLabel('Body (plain text)')
      .fill('Sent by {{sender}} to {{recipients}}.\nQuarantine: {{quarantine.status}}')
    expect(await page.locator('.placeholders').textContent()).toContain('{{quarantine.status}}')

    // an unknown placeholder is refused beside the body, the values kept
    await page.getByLabel('Body (plain text)').fill('Dear {{recipient}}')
    await page.getByRole('button', { name: 'Save template' }).click()
    await expect.poll(() => page.locator('.field-error').textContent()).toBe('unknown placeholder {{recipient}}')
    expect(await page.getByLabel('Name').inputValue()).toBe('Finance heads-up')
    await page
      .getByLabel('Body (plain text)')
      .fill('Sent by {{sender}} to {{recipients}}.\nQuarantine: {{quarantine.status}}')

    await page.getByRole('button', { name: 'Preview' }).click() // htmx swaps #preview
    await expect
      .poll(() => page.locator('#preview .preview-body').textContent())
      .toBe('Sent by billing@examp1e-invoices.test to jane.doe@corp.example.\nQuarantine: 1 successful')
    expect(await page.locator('#preview .preview-subject').textContent()).toBe(
      '[test] Phish 12345: Your invoice is overdue',
    )

    await page.getByRole('button', { name: 'Save template' }).click()
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Saved.')
    await page.getByLabel('Connector').selectOption({ label: 'Office relay (smtp)' })
    await page.getByLabel('To', { exact: true }).fill('soc-lead@corp.example')
    await page.getByRole('button', { name: 'Send test' }).click()
    await expect.poll(() => page.locator('#test-send-result').textContent()).toBe('Sent to soc-lead@corp.example.')
    await screenshot(page, 'notification-template-editor')

    expect(smtp.messages).toHaveLength(1)
    const got = smtp.messages[0]!
    expect(got.envelopeTo).toEqual(['soc-lead@corp.example'])
    expect(got.mail.subject).toBe('[test] Phish 12345: Your invoice is overdue')
    expect(got.mail.text?.trim()).toBe(await page.locator('#preview .preview-body').textContent())
    await context.close()
  })
})
