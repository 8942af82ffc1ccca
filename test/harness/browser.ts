import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import type { AppEnv } from '../../core/src/api/env.ts'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const ARTIFACTS = path.resolve('test/artifacts/screenshots')

/** Serves a test app on a loopback port for the browser; returns its base URL. */
export const serveApp = async (app: Hono<AppEnv>) => {
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise<void>((r) => server.once('listening', () => r()))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) }
}

/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), headless, with every
 * background network feature off so it talks to nothing but our loopback server.
 */
export const launchBrowser = async (): Promise<{
  browser: Browser
  newPage: () => Promise<{ page: Page; context: BrowserContext }>
  close: () => Promise<void>
}> => {
  const profile = mkdtempSync(path.join(tmpdir(), 'clawback-chromium-'))
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  return {
    browser,
    newPage: async () => {
      const context = await browser.newContext({ viewport: { width: 1366, height: 860 } })
      return { page: await context.newPage(), context }
    },
    close: async () => {
      await browser.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** Saves a full-page screenshot under test/artifacts/screenshots for reviewers. */
export const screenshot = async (page: Page, name: string) => {
  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true })
}

/** Signs in through the real form in the browser. */
export const browserSignIn = async (page: Page, baseUrl: string, username: string, password: string) => {
  await page.goto(`${baseUrl}/login`)
  await page.fill('input[name=username]', username)
  await page.fill('input[name=password]', password)
  await Promise.all([page.waitForNavigation(), page.click('button.primary')])
}
