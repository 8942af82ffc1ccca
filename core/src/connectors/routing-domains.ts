/**
 * The accepted domains a stored mail connector serves, lower-cased, whatever shape its kind keeps
 * them in: a list (imap, msgraph) or one comma-separated string (ews, gmail). Quarantine routing
 * reads every kind through this, so a kind's settings shape cannot break routing for the others.
 */
export const routingDomains = (settings: unknown): string[] => {
  const domains = (settings as { domains?: unknown } | null)?.domains
  const list = typeof domains === 'string' ? domains.split(',') : Array.isArray(domains) ? domains : []
  return list
    .filter((d): d is string => typeof d === 'string')
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean)
}
