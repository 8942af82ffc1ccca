/** The forward formats we read, by the mail client that writes them. */
export type ForwardClient = 'outlook' | 'gmail' | 'apple-mail' | 'thunderbird'

export type ForwardedMessage = {
  client: ForwardClient
  from: { address: string | null; name: string | null }
  to: string[]
  cc: string[]
  replyTo: string[]
  subject: string
  /** as written in the block */
  dateText: string | null
  date: string | null
  body: string
  /** where the forward marker starts in the text given */
  offset: number
}

// Each client's marker line (plain-text rendering of the forward).
const MARKERS: [ForwardClient, RegExp][] = [
  ['gmail', /^-{5,} ?Forwarded message ?-{5,}\s*$/],
  ['thunderbird', /^-{5,} ?Forwarded Message ?-{5,}\s*$/],
  ['apple-mail', /^Begin forwarded message:\s*$/i],
  ['outlook', /^-{3,} ?Original Message ?-{3,}\s*$/i],
  ['outlook', /^_{10,}\s*$/],
]
// Header labels in the block (English, German, French, Spanish Outlook/Gmail renderings).
const LABELS: Record<string, 'from' | 'to' | 'cc' | 'subject' | 'date' | 'replyTo'> = {
  from: 'from',
  von: 'from',
  de: 'from',
  sent: 'date',
  date: 'date',
  gesendet: 'date',
  datum: 'date',
  envoyé: 'date',
  enviado: 'date',
  fecha: 'date',
  to: 'to',
  an: 'to',
  à: 'to',
  para: 'to',
  cc: 'cc',
  subject: 'subject',
  betreff: 'subject',
  objet: 'subject',
  asunto: 'subject',
  'reply-to': 'replyTo',
  'reply to': 'replyTo',
}
const EMAIL = /[A-Za-z0-9._%+'=-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g

const emails = (v: string) => [...v.matchAll(EMAIL)].map((m) => m[0].toLowerCase())
const person = (v: string) => {
  const address = emails(v)[0] ?? null
  const name = v
    .replace(/<[^>]*>|\[mailto:[^\]]*\]|\([^)]*@[^)]*\)/gi, '')
    .replace(EMAIL, '')
    .replace(/^[\s"']+|[\s"']+$/g, '')
  return { address, name: name || null }
}
const parseDate = (v: string) => {
  // "Mon, Dec 1, 2026 at 9:14 AM" (Gmail), "Monday, December 1, 2026 9:14 AM" (Outlook), RFC 5322 (others)
  const cleaned = v
    .replace(/\bat\b/i, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  const d = new Date(cleaned)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}
const unquote = (line: string) => line.replace(/^(?:>\s?)+/, '')

/**
 * Finds the innermost forwarded message in a report's plain text (a forward of a forward leads to
 * the original) and rebuilds its headers from the block each client writes under its marker:
 * Outlook (`-----Original Message-----` or an underscore rule, then From/Sent/To/Cc/Subject),
 * Gmail (`---------- Forwarded message ---------`), Apple Mail (`Begin forwarded message:`) and
 * Thunderbird (`-------- Forwarded Message --------`, tab-separated). Undefined when there is no
 * marker followed by at least a From and a Subject or Date line.
 */
export const reconstructForward = (text: string): ForwardedMessage | undefined => {
  const lines = text.split(/\r?\n/)
  let offset = 0
  const starts: { line: number; client: ForwardClient; offset: number }[] = []
  lines.forEach((raw, i) => {
    const line = unquote(raw).trim()
    const hit = MARKERS.find(([, re]) => re.test(line))
    if (hit) starts.push({ line: i, client: hit[0], offset })
    offset += raw.length + 1
  })
  for (const start of starts.reverse()) {
    const found = readBlock(lines, start.line + 1)
    if (!found) continue
    const { fields, next } = found
    if (!fields.from || !(fields.subject !== undefined || fields.date)) continue
    return {
      client: start.client,
      from: person(fields.from),
      to: emails(fields.to ?? ''),
      cc: emails(fields.cc ?? ''),
      replyTo: emails(fields.replyTo ?? ''),
      subject: fields.subject ?? '',
      dateText: fields.date ?? null,
      date: fields.date ? parseDate(fields.date) : null,
      body: lines.slice(next).map(unquote).join('\n').trim(),
      offset: start.offset,
    }
  }
  return undefined
}

const readBlock = (lines: string[], from: number) => {
  const fields: Partial<Record<(typeof LABELS)[string], string>> = {}
  let i = from
  while (i < lines.length && unquote(lines[i]!).trim() === '') i++
  let last: (typeof LABELS)[string] | undefined
  let count = 0
  for (; i < lines.length; i++) {
    const line = unquote(lines[i]!)
    if (line.trim() === '') break
    // "*From:* x" is how some clients render bold labels in plain text.
    const m = /^\s*\*?([A-Za-zÀ-ÿ -]{2,12}?)\*?\s*:\*?\s*(.*)$/.exec(line)
    const key = m ? LABELS[m[1]!.trim().toLowerCase()] : undefined
    if (m && key) {
      fields[key] = m[2]!.trim()
      last = key
      count++
    } else if (last && /^\s/.test(line)) {
      fields[last] = `${fields[last]} ${line.trim()}`
    } else break
  }
  return count ? { fields, next: i } : undefined
}
