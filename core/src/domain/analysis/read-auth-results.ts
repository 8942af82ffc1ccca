export type AuthVerdicts = { spf: string | null; dkim: string | null; dmarc: string | null; by: string | null }

/**
 * SPF, DKIM and DMARC as the receiving server recorded them (RFC 8601): the topmost
 * Authentication-Results header is the one our own border added; lower ones may be forged by the
 * sender and are ignored. Method results are lower-cased (pass, fail, softfail, neutral, none...).
 * With several DKIM results, a pass wins (one valid signature suffices).
 */
export const readAuthResults = (values: string[]): AuthVerdicts => {
  const top = values[0]
  if (!top) return { spf: null, dkim: null, dmarc: null, by: null }
  const by = /^\s*([^;\s]+)/.exec(top)?.[1]?.toLowerCase() ?? null
  const results = (method: string) =>
    [...top.matchAll(new RegExp(`(?:^|[;\\s])${method}\\s*=\\s*([a-z]+)`, 'gi'))].map((m) => m[1]!.toLowerCase())
  const dkim = results('dkim')
  return {
    spf: results('spf')[0] ?? null,
    dkim: dkim.includes('pass') ? 'pass' : (dkim[0] ?? null),
    dmarc: results('dmarc')[0] ?? null,
    by,
  }
}
