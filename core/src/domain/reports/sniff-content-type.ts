const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((x, i) => b[at + i] === x)
const contains = (b: Uint8Array, needle: string, limit = b.length) =>
  Buffer.from(b.buffer, b.byteOffset, Math.min(limit, b.length)).includes(needle, 0, 'latin1')

/**
 * The type an attachment's bytes have, from their magic numbers (not from the name or the declared
 * type, which the sender chooses): executables, scripts' containers, archives, Office formats (a
 * macro project named), PDF, images, HTML and plain text. Unknown binary → application/octet-stream.
 */
export const sniffContentType = (bytes: Uint8Array): string => {
  const b = bytes
  if (startsWith(b, [0x4d, 0x5a])) return 'application/x-dosexec'
  if (startsWith(b, [0x7f, 0x45, 0x4c, 0x46])) return 'application/x-executable'
  if (startsWith(b, [0x4c, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00])) return 'application/x-ms-shortcut'
  if (startsWith(b, [0x25, 0x50, 0x44, 0x46])) return 'application/pdf'
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04]) || startsWith(b, [0x50, 0x4b, 0x05, 0x06])) {
    // OOXML and OpenDocument are zip files; the entry names are stored uncompressed in the headers.
    if (contains(b, 'vbaProject.bin')) return 'application/vnd.ms-office.macroEnabled'
    if (contains(b, 'word/')) return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
    if (contains(b, 'xl/')) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
    if (contains(b, 'ppt/')) return 'application/vnd.openxmlformats-officedocument.presentationml.presentation'
    if (contains(b, 'META-INF/MANIFEST.MF')) return 'application/java-archive'
    return 'application/zip'
  }
  if (startsWith(b, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    // Compound File: Office 97 documents, MSI installers and Outlook .msg files share it.
    // Directory entry names are UTF-16LE.
    if (contains(b, Buffer.from('__substg1.0_', 'utf16le').toString('latin1'))) return 'application/vnd.ms-outlook'
    if (contains(b, Buffer.from('_VBA_PROJECT', 'utf16le').toString('latin1')))
      return 'application/vnd.ms-office.macroEnabled'
    return 'application/x-ole-storage'
  }
  if (startsWith(b, [0x52, 0x61, 0x72, 0x21])) return 'application/vnd.rar'
  if (startsWith(b, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return 'application/x-7z-compressed'
  if (startsWith(b, [0x1f, 0x8b])) return 'application/gzip'
  if (startsWith(b, [0x43, 0x44, 0x30, 0x30, 0x31], 0x8001)) return 'application/x-iso9660-image'
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47])) return 'image/png'
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'image/jpeg'
  if (startsWith(b, [0x47, 0x49, 0x46, 0x38])) return 'image/gif'
  if (startsWith(b, [0x7b, 0x5c, 0x72, 0x74, 0x66])) return 'application/rtf'
  const head = Buffer.from(b.buffer, b.byteOffset, Math.min(1024, b.length)).toString('latin1')
  if (/<(!doctype html|html|script|body|form|meta)\b/i.test(head)) return 'text/html'
  // Text: no NUL and few control characters in the first kilobyte.
  let binary = 0
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i)
    if (c === 0) return 'application/octet-stream'
    if (c < 9 || (c > 13 && c < 32)) binary++
  }
  return binary > head.length / 20 ? 'application/octet-stream' : 'text/plain'
}
