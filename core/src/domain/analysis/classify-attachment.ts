import type { AttachmentFacts } from '../reports/report-types.ts'

export type AttachmentFlags = {
  isExecutable: boolean
  hasMacros: boolean
  isArchive: boolean
  isHtml: boolean
  /** the extension promises one kind of file, the bytes are another */
  isMismatched: boolean
}

const EXECUTABLE_EXT = new Set(
  'exe scr com pif bat cmd ps1 psm1 vbs vbe js jse wsf wsh hta jar msi msp lnk reg cpl dll sys iso img vhd vhdx appx msix application chm'.split(
    ' ',
  ),
)
const MACRO_EXT = new Set('docm dotm xlsm xltm xlam pptm potm ppsm sldm'.split(' '))
const ARCHIVE_EXT = new Set('zip rar 7z gz tgz tar bz2 xz cab ace arj z'.split(' '))
const EXECUTABLE_TYPES = new Set(['application/x-dosexec', 'application/x-executable', 'application/x-ms-shortcut'])
const ARCHIVE_TYPES = new Set([
  'application/zip',
  'application/vnd.rar',
  'application/x-7z-compressed',
  'application/gzip',
])
// What each harmless-looking extension's bytes must sniff as.
const EXPECTED: Record<string, (t: string) => boolean> = {
  pdf: (t) => t === 'application/pdf',
  png: (t) => t === 'image/png',
  jpg: (t) => t === 'image/jpeg',
  jpeg: (t) => t === 'image/jpeg',
  gif: (t) => t === 'image/gif',
  txt: (t) => t === 'text/plain',
  csv: (t) => t === 'text/plain',
  docx: (t) => t.startsWith('application/vnd.openxmlformats-officedocument.wordprocessingml'),
  xlsx: (t) => t.startsWith('application/vnd.openxmlformats-officedocument.spreadsheetml'),
  pptx: (t) => t.startsWith('application/vnd.openxmlformats-officedocument.presentationml'),
  doc: (t) => t === 'application/x-ole-storage',
  xls: (t) => t === 'application/x-ole-storage',
  zip: (t) => ARCHIVE_TYPES.has(t) || t.startsWith('application/vnd.openxmlformats'),
}

// Declared types a sender uses to make a file look harmless; the bytes must agree.
const DECLARED = new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/gif'])

const extension = (filename: string) => {
  const dot = filename.lastIndexOf('.')
  return dot >= 0
    ? filename
        .slice(dot + 1)
        .toLowerCase()
        .trim()
    : ''
}

/**
 * Classifies one attachment by its extension and its sniffed type (never by the declared type alone);
 * mismatched: the extension or the declared type promises another type than the bytes, or a double
 * extension hides the real one.
 */
export const classifyAttachment = (a: AttachmentFacts): AttachmentFlags => {
  const ext = extension(a.filename)
  const t = a.sniffedType
  return {
    isExecutable: EXECUTABLE_EXT.has(ext) || EXECUTABLE_TYPES.has(t) || t === 'application/x-iso9660-image',
    hasMacros: MACRO_EXT.has(ext) || t === 'application/vnd.ms-office.macroEnabled',
    isArchive: ARCHIVE_EXT.has(ext) || ARCHIVE_TYPES.has(t),
    isHtml: ['html', 'htm', 'shtml', 'xhtml', 'svg'].includes(ext) || t === 'text/html',
    isMismatched:
      (ext in EXPECTED && !EXPECTED[ext]!(t)) ||
      (DECLARED.has(a.declaredType) && a.declaredType !== t) ||
      // invoice.pdf.exe, quota.pdf.html: a harmless extension in front of the real one
      (/\.(pdf|docx?|xlsx?|jpe?g|png|txt)\.[a-z0-9]+$/i.test(a.filename) && !(ext in EXPECTED)),
  }
}
