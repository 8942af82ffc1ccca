import { isIP } from 'node:net'

// Well-known URL shorteners: the target is hidden behind a redirect we never follow (no network).
const SHORTENERS = new Set(
  'bit.ly bitly.com tinyurl.com t.co goo.gl ow.ly is.gd buff.ly rebrand.ly cutt.ly shorturl.at tiny.cc rb.gy bl.ink s.id t.ly v.gd lnkd.in trib.al qrco.de urlz.fr shorte.st adf.ly'.split(
    ' ',
  ),
)

export type UrlFlags = { host: string; isShortener: boolean; isIpHost: boolean; isPunycode: boolean }

/** The host of a URL and what it hides: a shortener's redirect, a bare IP address, punycode. */
export const classifyUrl = (url: string): UrlFlags => {
  let host = ''
  try {
    host = new URL(url).hostname.toLowerCase()
  } catch {
    return { host, isShortener: false, isIpHost: false, isPunycode: false }
  }
  const bare = host.replace(/^\[|\]$/g, '')
  return {
    host,
    isShortener: SHORTENERS.has(host.replace(/^www\./, '')),
    isIpHost: isIP(bare) !== 0,
    isPunycode: host.split('.').some((l) => l.startsWith('xn--')),
  }
}
