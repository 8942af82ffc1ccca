const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`)\]}]+/gi
const HREF = /\b(?:href|src|action)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi
const MAX_URLS = 500

const decodeEntities = (s: string) =>
  s
    .replace(/&amp;/gi, '&')
    .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n) % 0x110000))
    .replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCodePoint(Number.parseInt(n, 16) % 0x110000))

const normalise = (candidate: string) => {
  const trimmed = candidate.trim().replace(/[.,;:!?]+$/, '')
  try {
    const u = new URL(trimmed)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined
    return u.href
  } catch {
    return undefined
  }
}

/**
 * The http(s) URLs of a message: every URL written in the text plus every href/src/action of the
 * HTML (entities decoded), normalised by WHATWG URL parsing (lower-case host, punycode) and
 * de-duplicated in order of appearance; at most 500.
 */
export const extractUrls = (text: string, html: string): string[] => {
  const seen = new Set<string>()
  const add = (raw: string | undefined) => {
    if (!raw || seen.size >= MAX_URLS) return
    const u = normalise(decodeEntities(raw))
    if (u) seen.add(u)
  }
  for (const m of html.matchAll(HREF)) add(m[1] ?? m[2] ?? m[3])
  for (const m of decodeEntities(html.replace(/<[^>]*>/g, ' ')).matchAll(URL_IN_TEXT)) add(m[0])
  for (const m of text.matchAll(URL_IN_TEXT)) add(m[0])
  return [...seen]
}
