/**
 * PEM text however it was pasted: the JSON key file's `\n` escapes, or line breaks a one-line form
 * field turned into spaces. Every BEGIN/END block is rebuilt with 64-character lines; text without
 * a block is answered trimmed (the library that reads it names the problem).
 */
export const pemOf = (raw: string) => {
  const text = raw.trim().replace(/\\n/g, '\n')
  const blocks = [...text.matchAll(/(-----BEGIN ([A-Z0-9 ]+)-----)([A-Za-z0-9+/=\s]*?)(-----END \2-----)/g)]
  if (blocks.length === 0) return text
  return blocks
    .map((b) => `${b[1]}\n${(b[3]!.replace(/\s+/g, '').match(/.{1,64}/g) ?? []).join('\n')}\n${b[4]}\n`)
    .join('')
}

/** The `caCertificate` setting of a connector kind (ews, ad, msgraph), as the HTTP client's `ca` option. */
export const caOf = (settings: unknown): string[] | undefined => {
  const pem = (settings as { caCertificate?: unknown } | null)?.caCertificate
  return typeof pem === 'string' && pem.trim() ? [pemOf(pem)] : undefined
}
