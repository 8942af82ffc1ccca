/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { BrowserContext, Page } from 'playwright-core'
import { expect } from 'vitest'

declare global {
  interface Window {
    __xss: (id: unknown) => void
    __xssHits: string[]
  }
}

/**
 * Arms a browser context for XSS checks: every page gets `window.__xss`, which records the
 * payload id that managed to run. Use a context created with `bypassCSP: true`, so that the test
 * proves the escaping itself (the Content-Security-Policy is only a second line of defence).
 */
export const armXss = async (context: BrowserContext) => {
  await context.addInitScript(() => {
    window.__xssHits = []
    window.__xss = (id: unknown) => window.__xssHits.push(String(id))
  })
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim()

/**
 * Asserts, on the page as loaded: no payload ran (nothing called `__xss`, no cookie was planted by
 * a header injection), no element carries a live event handler, `javascript:` URL, `hx-on`
 * handler or an htmx attribute holding a literal (not URL-encoded) payload call, and every string in `shown` is still readable on the page
 * (as text or as a form field's value; whitespace compared loosely).
 */
export const expectNoXss = async (page: Page, shown: readonly string[] = [], label = page.url()) => {
  await page.waitForLoadState('load')
  await page.waitForTimeout(150) // let onload/ontoggle/htmx load triggers fire if anything was injected
  const hits = await page.evaluate(() => window.__xssHits ?? [])
  expect(hits, `payloads executed on ${label}`).toEqual([])
  const live = await page.evaluate(() => {
    const bad: string[] = []
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.attributes) {
        const name = a.name.toLowerCase()
        const isUrl = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc'].includes(name)
        if (
          name.startsWith('on') ||
          (isUrl && /^\s*javascript:/i.test(a.value)) ||
          name === 'srcdoc' ||
          name.startsWith('hx-on') ||
          name.startsWith('data-hx-on') ||
          ((name.startsWith('hx-') || name.startsWith('data-hx')) && a.value.includes('__xss('))
        ) {
          bad.push(`<${el.tagName.toLowerCase()} ${a.name}="${a.value}">`)
        }
      }
      if (el.tagName === 'SCRIPT' && el.textContent?.includes('__xss')) bad.push('<script> with a payload')
      if (el.tagName === 'BASE') bad.push('<base> injected')
    }
    return bad
  })
  expect(live, `live markup from payloads on ${label}`).toEqual([])
  const cookies = await page.context().cookies()
  expect(
    cookies.filter((c) => c.name === 'xss_pwned'),
    `cookie planted on ${label}`,
  ).toEqual([])
  const text = squash(
    await page.evaluate(
      () =>
        `${document.body.innerText}\n${[...document.querySelectorAll('input, textarea')].map((e) => (e as HTMLInputElement).value).join('\n')}`,
    ),
  )
  for (const s of shown) expect(text, `"${s}" readable on ${label}`).toContain(squash(s))
}
