// Second-level labels under which registrations happen one level deeper (example.co.uk).
const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'ac', 'gov', 'edu', 'ne', 'or', 'go'])

/** The domain of an address (lower-case, after the last @), or '' when there is none. */
export const domainOf = (address: string | null | undefined) =>
  address?.includes('@') ? address.slice(address.lastIndexOf('@') + 1).toLowerCase() : ''

/**
 * The organisational domain of a host: its last two labels, three under a two-letter country code
 * with a generic second level (co.uk, com.au). An approximation of the Public Suffix List that
 * needs no data file; used only to decide whether two domains belong to the same organisation.
 */
export const orgDomain = (host: string) => {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.')
  if (labels.length <= 2) return labels.join('.')
  const tld = labels.at(-1)!
  const sld = labels.at(-2)!
  return labels.slice(tld.length === 2 && SECOND_LEVEL.has(sld) ? -3 : -2).join('.')
}
