/**
 * RFC 4180-ish CSV reader for uploads: BOM, CRLF/LF, quoted fields with doubled quotes and
 * embedded newlines. Returns rows with their 1-based starting line; an unterminated quote is an
 * error naming the line.
 */
export const parseCsv = (text: string): { line: number; fields: string[] }[] | { error: string } => {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const rows: { line: number; fields: string[] }[] = []
  let field = ''
  let fields: string[] = []
  let line = 1
  let rowLine = 1
  let quoted = false
  let quoteLine = 0
  let i = 0
  const endRow = () => {
    fields.push(field)
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ line: rowLine, fields })
    fields = []
    field = ''
  }
  while (i < s.length) {
    const ch = s[i]!
    if (quoted) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
      } else {
        if (ch === '\n') line++
        field += ch
      }
      i++
      continue
    }
    if (ch === '"' && field.trim() === '') {
      quoted = true
      quoteLine = line
      field = ''
    } else if (ch === ',') {
      fields.push(field)
      field = ''
    } else if (ch === '\r' && s[i + 1] === '\n') {
      i++
      endRow()
      line++
      rowLine = line
    } else if (ch === '\n' || ch === '\r') {
      endRow()
      line++
      rowLine = line
    } else field += ch
    i++
  }
  if (quoted) return { error: `line ${quoteLine}: unterminated quoted field` }
  if (field !== '' || fields.length) endRow()
  return rows
}
